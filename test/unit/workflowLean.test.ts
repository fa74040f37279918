import { expect, test } from 'vitest';
import { ACTIVITY, type ApprovalPolicy, type BeginResult } from '../../src/workflow/activityContract.js';
import { EVENTS, WORKFLOW_VERSION, type CancelEvent } from '../../src/workflow/contract.js';
import { emailChangeOrchestrator } from '../../src/workflow/emailChangeOrchestrator.js';
import { activityNames, APPROVED as approval, CONFIRMED as confirmed, replayInput, runFromStart, START } from './workflowReplayHarness.js';

/**
 * Version 4 under the real `durable-functions` replay engine: the same request in fewer steps
 * (issue 12: every step costs the host a history write and the app a read of the request).
 * `beginRequest` stores and mails the confirmation, `screenAndAsk` screens and asks, and
 * `approveAndReset` approves, resets and completes; the waits are version 3's.
 */

const INPUT = replayInput(WORKFLOW_VERSION);
const HOUR = 3_600_000;
const POLICY: ApprovalPolicy = { approvalTimeoutMs: 72 * HOUR, reminderAfterMs: 24 * HOUR, confirmationRequired: true, confirmationTimeoutMs: 24 * HOUR };
/** As the step answers it: the expiry its first run mailed (before a retry, so not the step's end + 24 h). */
const CONFIRMATION_EXPIRES_AT = new Date(START + 7 * 60_000 + POLICY.confirmationTimeoutMs!).toISOString();
const BEGUN: BeginResult = { policy: POLICY, confirmationExpiresAt: CONFIRMATION_EXPIRES_AT };
const cancel: CancelEvent = { reason: 'Cancelled by the requester on the tracking page.', by: 'requester', at: '2024-05-01T10:30:00.000Z', origin: 'requester' };

const run = runFromStart(emailChangeOrchestrator, INPUT, { [ACTIVITY.beginRequest]: BEGUN });
const names = activityNames;

test('the happy path is four steps: begin, screen and ask, approve and reset, the mails', async () => {
  const { state, calls, openTimers } = await run([confirmed, { event: EVENTS.approvalDecision, input: approval }]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  expect(names(calls)).toEqual([ACTIVITY.beginRequest, ACTIVITY.screenAndAsk, ACTIVITY.approveAndReset, ACTIVITY.sendOutcomeMails]);
  expect(calls[0].input).toEqual(INPUT);
  // The approval time counts from the confirmation (raised a minute after the first step ended).
  const confirmedAt = START + 1_000 + 60_000;
  expect(calls[1].input).toEqual({ requestId: INPUT.requestId, deadline: new Date(confirmedAt + POLICY.approvalTimeoutMs).toISOString() });
  expect(calls[2].input).toEqual({ requestId: INPUT.requestId, decision: approval });
  expect(state.customStatus).toEqual({ status: 'Completed' });
  expect(openTimers).toEqual([]);
});

test('the confirmation waits until the expiry the first step mailed, then settles and ends Expired', async () => {
  const { state, calls, host } = await run([{ timer: true }]);
  expect(state.output).toBe('Expired');
  expect(names(calls)).toEqual([ACTIVITY.beginRequest, ACTIVITY.settleConfirmation, ACTIVITY.recordOutcome, ACTIVITY.sendOutcomeMails]);
  expect(host.history.find((event) => event.EventType === 10)?.FireAt).toEqual(new Date(CONFIRMATION_EXPIRES_AT));
  expect(calls[2].input).toEqual({ requestId: INPUT.requestId, outcome: 'Expired', mailsFollow: true });
});

test('a cancel while the confirmation waits ends Cancelled without asking the directory', async () => {
  const { state, calls, openTimers } = await run([{ event: EVENTS.cancel, input: cancel }]);
  expect(state.output).toBe('Cancelled');
  expect(names(calls)).toEqual([ACTIVITY.beginRequest, ACTIVITY.recordOutcome, ACTIVITY.sendOutcomeMails]);
  expect(openTimers).toEqual([]);
});

test('a confirmation whose claim a cancel won ends Cancelled after the step finds it: nobody is asked', async () => {
  const { state, calls } = await run([confirmed], { [ACTIVITY.screenAndAsk]: () => ({ outcome: 'unconfirmed', confirmation: { kind: 'cancel', cancel } }) });
  expect(state.output).toBe('Cancelled');
  expect(names(calls)).toEqual([ACTIVITY.beginRequest, ACTIVITY.screenAndAsk, ACTIVITY.recordOutcome, ACTIVITY.sendOutcomeMails]);
  expect(calls[2].input).toEqual({ requestId: INPUT.requestId, outcome: 'Cancelled', cancel, mailsFollow: true });
});

test('a declined guest ends Declined with no wait left open', async () => {
  const { state, calls, openTimers } = await run([confirmed], { [ACTIVITY.screenAndAsk]: () => ({ outcome: 'declined', reason: 'NoApprover' }) });
  expect(state.output).toBe('Declined');
  expect(state.customStatus).toEqual({ status: 'Declined', declineReason: 'NoApprover' });
  expect(names(calls)).toEqual([ACTIVITY.beginRequest, ACTIVITY.screenAndAsk]);
  expect(openTimers).toEqual([]);
});

test('with confirmation turned off, the guest is screened at once', async () => {
  const { state, calls } = await run([{ event: EVENTS.approvalDecision, input: approval }], {
    [ACTIVITY.beginRequest]: () => ({ ...BEGUN, policy: { ...POLICY, confirmationRequired: false } }),
  });
  expect(state.output).toBe('Completed');
  expect(names(calls)).toEqual([ACTIVITY.beginRequest, ACTIVITY.screenAndAsk, ACTIVITY.approveAndReset, ACTIVITY.sendOutcomeMails]);
});

test('no answer by the reminder time: fresh links with the reminder wording, then the decision', async () => {
  const { state, calls } = await run([confirmed, { timer: true }, { event: EVENTS.approvalDecision, input: approval }]);
  expect(state.output).toBe('Completed');
  expect(names(calls)).toEqual([ACTIVITY.beginRequest, ACTIVITY.screenAndAsk, ACTIVITY.requestApproval, ACTIVITY.approveAndReset, ACTIVITY.sendOutcomeMails]);
  expect(calls[2].input).toMatchObject({ requestId: INPUT.requestId, reminder: true, deadline: (calls[1].input as { deadline: string }).deadline });
});

test('a cancel raised while the approvers are being asked is not lost: Cancelled at once', async () => {
  const { state, calls, openTimers } = await run([confirmed, { event: EVENTS.cancel, input: cancel, whilePending: ACTIVITY.screenAndAsk }]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Cancelled');
  expect(names(calls)).toEqual([ACTIVITY.beginRequest, ACTIVITY.screenAndAsk, ACTIVITY.recordOutcome, ACTIVITY.sendOutcomeMails]);
  expect(openTimers).toEqual([]);
});

test('a reset Graph refused for good: mail is put back, Failed is stored, then the mails', async () => {
  const refused = { ok: false, code: 'Request_BadRequest', message: 'No.' };
  const { state, calls } = await run([confirmed, { event: EVENTS.approvalDecision, input: approval }], {
    [ACTIVITY.approveAndReset]: () => ({ outcome: refused, completed: false }),
    [ACTIVITY.restoreMail]: () => 'done',
  });
  expect(state.output).toBe('Failed');
  expect(names(calls).slice(2)).toEqual([ACTIVITY.approveAndReset, ACTIVITY.restoreMail, ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails]);
  expect(calls[4].input).toEqual({ requestId: INPUT.requestId, outcome: refused });
});
