import { expect, test } from 'vitest';
import { ACTIVITY, type ApprovalPolicy } from '../../src/workflow/activityContract.js';
import { EVENTS, type ApprovalDecisionEvent, type CancelEvent } from '../../src/workflow/contract.js';
import { emailChangeOrchestrator } from '../../src/workflow/emailChangeOrchestrator.js';
import { activityNames, APPROVED as approval, CONFIRMED as confirmed, replayInput, runFromStart, START } from './workflowReplayHarness.js';

/**
 * Version 3 under the real `durable-functions` replay engine: the new address confirms before the
 * directory is asked anything (DESIGN §2 step 3), one Cancel waiter serves both waits, and every
 * ending's mails are a step of their own.
 */

const INPUT = replayInput(3);
const HOUR = 3_600_000;
const POLICY: ApprovalPolicy = { approvalTimeoutMs: 72 * HOUR, reminderAfterMs: 24 * HOUR, confirmationRequired: true, confirmationTimeoutMs: 24 * HOUR };

const run = runFromStart(emailChangeOrchestrator, INPUT, { [ACTIVITY.getApprovalPolicy]: POLICY });
const names = activityNames;

test('the new address confirms first; only then is the guest screened and the approver asked', async () => {
  const { state, calls, openTimers } = await run([confirmed, { event: EVENTS.approvalDecision, input: approval }]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  expect(names(calls)).toEqual([
    ACTIVITY.recordRequest,
    ACTIVITY.getApprovalPolicy,
    ACTIVITY.requestConfirmation,
    ACTIVITY.recordConfirmation,
    ACTIVITY.screenRequest,
    ACTIVITY.requestApproval,
    ACTIVITY.markApproved,
    ACTIVITY.executeReset,
    ACTIVITY.completeRequest,
    ACTIVITY.sendOutcomeMails,
  ]);
  // Two activities (a second each here) ran before the confirmation deadline was fixed.
  expect(calls[2].input).toEqual({ requestId: INPUT.requestId, expiresAt: new Date(START + 2_000 + POLICY.confirmationTimeoutMs!).toISOString(), required: true });
  expect(openTimers).toEqual([]);
});

test('unconfirmed at the deadline: Expired without asking the directory, and its mails follow as their own step', async () => {
  const { state, calls, openTimers } = await run([{ timer: true }]);
  expect(state.output).toBe('Expired');
  expect(names(calls)).toEqual([
    ACTIVITY.recordRequest,
    ACTIVITY.getApprovalPolicy,
    ACTIVITY.requestConfirmation,
    ACTIVITY.settleConfirmation,
    ACTIVITY.recordOutcome,
    ACTIVITY.sendOutcomeMails,
  ]);
  expect(calls[4].input).toEqual({ requestId: INPUT.requestId, outcome: 'Expired', mailsFollow: true });
  expect(state.customStatus).toEqual({ status: 'Expired' });
  expect(openTimers).toEqual([]);
});

test('a confirmation claimed just before the deadline stands: the request goes on to its approvers', async () => {
  const { state, calls } = await run([{ timer: true }, { event: EVENTS.approvalDecision, input: approval }], { [ACTIVITY.settleConfirmation]: () => ({ kind: 'confirmed' }) });
  expect(state.output).toBe('Completed');
  expect(names(calls).slice(3, 6)).toEqual([ACTIVITY.settleConfirmation, ACTIVITY.recordConfirmation, ACTIVITY.screenRequest]);
});

test('a cancel while the confirmation waits ends the request Cancelled and cancels the confirmation timer', async () => {
  const cancel: CancelEvent = { reason: 'Cancelled by the requester on the tracking page.', by: 'requester', at: '2024-05-01T10:30:00.000Z', origin: 'requester' };
  const { state, calls, openTimers } = await run([{ event: EVENTS.cancel, input: cancel }]);
  expect(state.output).toBe('Cancelled');
  expect(names(calls)).not.toContain(ACTIVITY.screenRequest);
  expect(calls.find((c) => c.name === ACTIVITY.recordOutcome)?.input).toEqual({ requestId: INPUT.requestId, outcome: 'Cancelled', cancel, mailsFollow: true });
  expect(names(calls).at(-1)).toBe(ACTIVITY.sendOutcomeMails);
  expect(openTimers).toEqual([]);
});

test('a cancel that arrives between the waits (while the guest is screened) is not lost: Cancelled at once, not at the deadline', async () => {
  const cancel: CancelEvent = { reason: 'Phoned', by: 'admin', at: '2024-05-01T10:30:00.000Z', origin: 'admin' };
  const { state, calls, openTimers } = await run([confirmed, { event: EVENTS.cancel, input: cancel, whilePending: ACTIVITY.screenRequest }]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Cancelled');
  expect(names(calls)).not.toContain(ACTIVITY.settleDeadline);
  expect(calls.find((c) => c.name === ACTIVITY.recordOutcome)?.input).toEqual({ requestId: INPUT.requestId, outcome: 'Cancelled', cancel, mailsFollow: true });
  expect(openTimers).toEqual([]);
});

test('with confirmation turned off, the tracking link is mailed and the guest is screened at once', async () => {
  const { state, calls } = await run([{ event: EVENTS.approvalDecision, input: approval }], { [ACTIVITY.getApprovalPolicy]: () => ({ ...POLICY, confirmationRequired: false }) });
  expect(state.output).toBe('Completed');
  expect(names(calls).slice(0, 4)).toEqual([ACTIVITY.recordRequest, ACTIVITY.getApprovalPolicy, ACTIVITY.requestConfirmation, ACTIVITY.screenRequest]);
  expect((calls[2].input as { required: boolean }).required).toBe(false);
});

test('a rejection is stored, then its mails go out as a step of their own', async () => {
  const rejection: ApprovalDecisionEvent = { ...approval, outcome: 'rejected', comment: 'Unknown to me' };
  const { state, calls } = await run([confirmed, { event: EVENTS.approvalDecision, input: rejection }]);
  expect(state.output).toBe('Rejected');
  expect(names(calls).slice(-2)).toEqual([ACTIVITY.recordOutcome, ACTIVITY.sendOutcomeMails]);
  expect(calls.at(-2)?.input).toEqual({ requestId: INPUT.requestId, outcome: 'Rejected', decision: rejection, mailsFollow: true });
  expect(state.customStatus).toEqual({ status: 'Rejected', decidedBy: approval.approverMail });
});

test('a confirmation whose claim a cancel won (a stale link raised it) ends Cancelled: nobody is asked', async () => {
  const cancel: CancelEvent = { reason: 'Cancelled by the requester on the tracking page.', by: 'requester', at: '2024-05-01T10:30:00.000Z', origin: 'requester' };
  const { state, calls } = await run([confirmed], { [ACTIVITY.recordConfirmation]: () => ({ kind: 'cancel', cancel }) });
  expect(state.output).toBe('Cancelled');
  expect(names(calls)).not.toContain(ACTIVITY.screenRequest);
  expect(calls.find((c) => c.name === ACTIVITY.recordOutcome)?.input).toEqual({ requestId: INPUT.requestId, outcome: 'Cancelled', cancel, mailsFollow: true });
});
