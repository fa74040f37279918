import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { ACTIVITY, type ResetOutcome } from '../../src/workflow/activityContract.js';
import { EVENTS, type ApprovalDecisionEvent, type CancelEvent } from '../../src/workflow/contract.js';
import { emailChangeOrchestrator } from '../../src/workflow/emailChangeOrchestrator.js';
import { happyAnswer, replay, type HostState, type RaceStep } from './workflowReplayHarness.js';

/**
 * Version 4 does a request's work in fewer steps, so a deployment meets version 3 instances that
 * must replay their histories unchanged (README "Changing the orchestration"). The fixtures are
 * what the host had stored for such instances, recorded by the orchestrator and replay harness of
 * git 69813b8 (the last commit before version 4) with input `workflowVersion: 3` and a policy of
 * 72 h to decide, a reminder after 24 h and 24 h to confirm: `replay(..., { stopWhenWaiting: true })`
 * right after `requestConfirmation`, then after the confirmation (screened, approvers asked) before
 * the reminder and after it; then approved, Graph refusing the reset, with `{ stopBefore }` while
 * `restoreMail` runs and while `completeRequest` runs. Here the current code picks them up.
 */

const fixture = <T>(name: string) => JSON.parse(readFileSync(path.join(__dirname, `fixtures/${name}.json`), 'utf8')) as T;
const { awaitingConfirmation } = fixture<{ awaitingConfirmation: HostState }>('workflowV3AwaitingConfirmation');
const { beforeReminder, afterReminder } = fixture<{ beforeReminder: HostState; afterReminder: HostState }>('workflowV3AwaitingApproval');
const { restoringMail, completingRequest } = fixture<{ restoringMail: HostState; completingRequest: HostState }>('workflowV3RefusedReset');

const REFUSED: ResetOutcome = { ok: false, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress', requestId: 'graph-req-v3' };
const answer = (name: string, input: unknown): unknown => (name === ACTIVITY.restoreMail ? 'done' : happyAnswer(name, input));
const resume = (recorded: HostState, race: RaceStep[]) => replay(emailChangeOrchestrator, recorded, answer, race);
const names = (calls: { name: string }[]) => calls.map((c) => c.name);

const confirmed: RaceStep = { event: EVENTS.newEmailConfirmed, input: {} };
const approval: ApprovalDecisionEvent = { outcome: 'approved', approverId: 'a', approverMail: 'a@contoso.com', at: '2024-05-02T12:00:00.000Z' };
const approved: RaceStep = { event: EVENTS.approvalDecision, input: approval };
const cancel: CancelEvent = { reason: 'Cancelled by the requester on the tracking page.', by: 'requester', at: '2024-05-01T10:30:00.000Z', origin: 'requester' };
const cancelled: RaceStep = { event: EVENTS.cancel, input: cancel };
/** Version 3's steps after an approval that Graph carried out. */
const APPROVED_TAIL = [ACTIVITY.markApproved, ACTIVITY.executeReset, ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails];

test('the fixtures are version 3 instances, recorded with its steps', () => {
  for (const recorded of [awaitingConfirmation, beforeReminder, afterReminder, restoringMail, completingRequest]) {
    expect(recorded.input.workflowVersion).toBe(3);
    expect(recorded.leaves.slice(0, 3).map((leaf) => leaf.functionName)).toEqual([ACTIVITY.recordRequest, ACTIVITY.getApprovalPolicy, ACTIVITY.requestConfirmation]);
  }
  expect(afterReminder.leaves.filter((leaf) => leaf.functionName === ACTIVITY.requestApproval)).toHaveLength(2);
});

test('an instance waiting for its confirmation when the new code is deployed goes on with version 3 steps and completes', async () => {
  const { state, calls, openTimers } = await resume(awaitingConfirmation, [confirmed, approved]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  expect(names(calls)).toEqual([ACTIVITY.recordConfirmation, ACTIVITY.screenRequest, ACTIVITY.requestApproval, ...APPROVED_TAIL]);
  expect(calls[0].input).toBe(awaitingConfirmation.input.requestId);
  expect(openTimers).toEqual([]);
});

test('an instance waiting for its confirmation is cancelled with the instance-wide Cancel waiter', async () => {
  const { state, calls, openTimers } = await resume(awaitingConfirmation, [cancelled]);
  expect(state.output).toBe('Cancelled');
  expect(names(calls)).toEqual([ACTIVITY.recordOutcome, ACTIVITY.sendOutcomeMails]);
  expect(calls[0].input).toEqual({ requestId: awaitingConfirmation.input.requestId, outcome: 'Cancelled', cancel, mailsFollow: true });
  expect(openTimers).toEqual([]);
});

test('an instance left unconfirmed settles its confirmation deadline, then expires', async () => {
  const { state, calls } = await resume(awaitingConfirmation, [{ timer: true }]);
  expect(state.output).toBe('Expired');
  expect(names(calls)).toEqual([ACTIVITY.settleConfirmation, ACTIVITY.recordOutcome, ACTIVITY.sendOutcomeMails]);
  expect(calls[1].input).toEqual({ requestId: awaitingConfirmation.input.requestId, outcome: 'Expired', mailsFollow: true });
});

test('an instance waiting before its reminder completes on the approval with version 3 steps', async () => {
  const { state, calls, openTimers } = await resume(beforeReminder, [approved]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  expect(names(calls)).toEqual(APPROVED_TAIL);
  expect(calls[0].input).toEqual({ requestId: beforeReminder.input.requestId, decision: approval });
  expect(openTimers).toEqual([]);
});

test('an instance waiting before its reminder sends it, then completes', async () => {
  const { state, calls } = await resume(beforeReminder, [{ timer: true }, approved]);
  expect(state.output).toBe('Completed');
  expect(names(calls)).toEqual([ACTIVITY.requestApproval, ...APPROVED_TAIL]);
  expect(calls[0].input).toMatchObject({ reminder: true });
});

test('an instance waiting after its reminder completes on the approval with version 3 steps', async () => {
  const { state, calls, openTimers } = await resume(afterReminder, [approved]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  expect(names(calls)).toEqual(APPROVED_TAIL);
  expect(openTimers).toEqual([]);
});

test('an instance waiting for the decision is cancelled by the Cancel waiter its confirmation wait made', async () => {
  for (const recorded of [beforeReminder, afterReminder]) {
    const { state, calls, openTimers } = await resume(recorded, [cancelled]);
    expect(state.output).toBe('Cancelled');
    expect(state.customStatus).toEqual({ status: 'Cancelled', decidedBy: 'requester' });
    expect(names(calls)).toEqual([ACTIVITY.recordOutcome, ACTIVITY.sendOutcomeMails]);
    expect(openTimers).toEqual([]);
  }
});

test('an instance left to its deadline settles it, then expires', async () => {
  const { state, calls } = await resume(afterReminder, [{ timer: true }]);
  expect(state.output).toBe('Expired');
  expect(names(calls)).toEqual([ACTIVITY.settleDeadline, ACTIVITY.recordOutcome, ACTIVITY.sendOutcomeMails]);
  expect(calls[0].input).toBe(afterReminder.input.requestId);
});

test('an instance putting mail back after a refused reset finishes its tail: Failed with Graph’s code', async () => {
  expect(restoringMail.leaves.slice(-3).map((leaf) => leaf.functionName)).toEqual([ACTIVITY.markApproved, ACTIVITY.executeReset, ACTIVITY.restoreMail]);
  const { state, calls } = await resume(restoringMail, []);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Failed');
  expect(state.customStatus).toEqual({ status: 'Failed', errorCode: REFUSED.code });
  expect(names(calls)).toEqual([ACTIVITY.restoreMail, ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails]);
  expect(calls[1].input).toEqual({ requestId: restoringMail.input.requestId, outcome: REFUSED });
});

test('an instance completing a refused reset stores it Failed and mails', async () => {
  const { state, calls } = await resume(completingRequest, []);
  expect(state.output).toBe('Failed');
  expect(names(calls)).toEqual([ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails]);
  expect(calls[0].input).toEqual({ requestId: completingRequest.input.requestId, outcome: REFUSED });
});
