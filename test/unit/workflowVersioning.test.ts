import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { ACTIVITY, type ResetOutcome } from '../../src/workflow/activityContract.js';
import { EVENTS, type ApprovalDecisionEvent } from '../../src/workflow/contract.js';
import { emailChangeOrchestrator } from '../../src/workflow/emailChangeOrchestrator.js';
import { replay, type HostState } from './workflowReplayHarness.js';

/**
 * An instance may wait days for a decision, so a deployment meets instances started by the
 * previous code (README "Changing the orchestration"). The fixture is what the host had stored for
 * such instances: histories recorded by the orchestrator as it was before workflow versions (git
 * a5b6624, waiting with new event waiters per round), stopped while waiting for the approval,
 * once before and once after the reminder. Here the current code picks them up.
 */

const fixture = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/workflowV1AwaitingApproval.json'), 'utf8')) as {
  beforeReminder: HostState;
  afterReminder: HostState;
};
/**
 * Recorded by the orchestrator of git d4cb27e~1 (the last before version 2's new steps) from
 * `afterReminder`: approved, the reset refused by Graph, stopped while `completeRequest` runs.
 */
const completing = JSON.parse(readFileSync(path.join(__dirname, 'fixtures/workflowV1CompletingRefusedReset.json'), 'utf8')) as {
  completingRefusedReset: HostState;
};

const INVITED: ResetOutcome = { ok: true, invitationId: 'inv-1', inviteRedeemUrl: 'https://login.example/redeem' };
const answers = (name: string, input: unknown): unknown => {
  switch (name) {
    case ACTIVITY.executeReset:
      return INVITED;
    case ACTIVITY.completeRequest:
      return (input as { outcome: ResetOutcome }).outcome.ok ? 'Completed' : 'Failed';
    case ACTIVITY.recordOutcome:
      return (input as { outcome: string }).outcome;
    case ACTIVITY.sendOutcomeMails:
      return 'sent';
    case ACTIVITY.settleDeadline:
      return { kind: 'deadline' };
    default:
      return null;
  }
};
const approval: ApprovalDecisionEvent = { outcome: 'approved', approverId: 'a', approverMail: 'a@contoso.com', at: '2024-05-02T12:00:00.000Z' };

test('the fixture is a version 1 instance: its input carries no workflow version', () => {
  expect(fixture.afterReminder.input.workflowVersion).toBeUndefined();
  expect(fixture.afterReminder.leaves.filter((leaf) => leaf.functionName === ACTIVITY.requestApproval)).toHaveLength(2);
});

test('an instance waiting after its reminder when the new code is deployed completes on the approval', async () => {
  const { state, calls, openTimers } = await replay(emailChangeOrchestrator, fixture.afterReminder, answers, [{ event: EVENTS.approvalDecision, input: approval }]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  expect(calls.map((c) => c.name)).toEqual([ACTIVITY.markApproved, ACTIVITY.executeReset, ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails]);
  expect(calls[0].input).toEqual({ requestId: fixture.afterReminder.input.requestId, decision: approval });
  expect(openTimers).toEqual([]);
});

test('an instance waiting before its reminder when the new code is deployed goes on through the reminder and completes', async () => {
  const { state, calls } = await replay(emailChangeOrchestrator, fixture.beforeReminder, answers, [{ timer: true }, { event: EVENTS.approvalDecision, input: approval }]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  expect(calls.map((c) => c.name)).toEqual([ACTIVITY.requestApproval, ACTIVITY.markApproved, ACTIVITY.executeReset, ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails]);
});

test('an old instance left to its deadline still expires', async () => {
  const { state, calls } = await replay(emailChangeOrchestrator, fixture.afterReminder, answers, [{ timer: true }]);
  expect(state.output).toBe('Expired');
  expect(calls.map((c) => c.name)).toEqual([ACTIVITY.settleDeadline, ACTIVITY.recordOutcome]);
});

test('an old instance completing a refused reset when the new code is deployed replays its steps, then puts mail back and mails', async () => {
  const recorded = completing.completingRefusedReset;
  expect(recorded.input.workflowVersion).toBeUndefined();
  expect(recorded.leaves.slice(-2).map((leaf) => leaf.functionName)).toEqual([ACTIVITY.executeReset, ACTIVITY.completeRequest]);
  const { state, calls } = await replay(emailChangeOrchestrator, recorded, (name, input) => (name === ACTIVITY.restoreMail ? 'done' : answers(name, input)), []);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Failed');
  // The steps version 1 never had come after the last one it recorded.
  expect(calls.map((c) => c.name)).toEqual([ACTIVITY.completeRequest, ACTIVITY.restoreMail, ACTIVITY.sendOutcomeMails]);
  expect(calls[0].input).toMatchObject({ outcome: { ok: false, code: 'BadRequest' } });
});
