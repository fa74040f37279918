import { expect, test } from 'vitest';
import { ACTIVITY, type ResetOutcome } from '../../src/workflow/activityContract.js';
import { EVENTS, type ApprovalDecisionEvent, type CancelEvent } from '../../src/workflow/contract.js';
import { emailChangeOrchestrator } from '../../src/workflow/emailChangeOrchestrator.js';
import { APPROVED as approval, happyAnswer, replay as replayFrom, replayInput, START, startState, type RaceStep } from './workflowReplayHarness.js';

/**
 * The orchestrator under the real `durable-functions` replay engine (see the harness): the wait
 * for a decision across the reminder, the deadline and cancels, with the host's part played the
 * way Azure and the local host play it.
 */

// The approval wait as version 2 runs it (still run by its instances); version 3 adds the
// confirmation first and mails every ending from one step: workflowConfirmation.test.ts.
const INPUT = replayInput(2);

const replay = (answer: (name: string, input: unknown) => unknown, race: RaceStep[], input = INPUT) =>
  replayFrom(emailChangeOrchestrator, startState(input), answer, race);

const POLICY = { approvalTimeoutMs: 72 * 3_600_000, reminderAfterMs: 24 * 3_600_000 };
const answers = (name: string, input: unknown): unknown => (name === ACTIVITY.getApprovalPolicy ? POLICY : happyAnswer(name, input));

test('under the real replay engine: reminder, then approval, reset and completion; no timer left open', async () => {
  const { state, calls, openTimers } = await replay(answers, [{ timer: true }, { event: EVENTS.approvalDecision, input: approval }]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  expect(state.customStatus).toEqual({ status: 'Completed' });
  expect(calls.map((c) => c.name)).toEqual([
    ACTIVITY.recordRequest,
    ACTIVITY.getApprovalPolicy,
    ACTIVITY.screenRequest,
    ACTIVITY.requestApproval,
    ACTIVITY.requestApproval,
    ACTIVITY.markApproved,
    ACTIVITY.executeReset,
    ACTIVITY.completeRequest,
    ACTIVITY.sendOutcomeMails,
  ]);
  // Three activities (a second each here) ran before the deadline was fixed; replays keep it.
  const deadline = new Date(START + 3_000 + POLICY.approvalTimeoutMs).toISOString();
  expect(calls[3].input).toEqual({ requestId: INPUT.requestId, deadline, reminder: false });
  expect(calls[4].input).toEqual({ requestId: INPUT.requestId, deadline, reminder: true });
  expect(calls[5].input).toEqual({ requestId: INPUT.requestId, decision: approval });
  expect(openTimers).toEqual([]);
});

test('under the real replay engine: an unanswered request expires at the deadline', async () => {
  const { state, calls } = await replay(answers, [{ timer: true }, { timer: true }]);
  expect(state.output).toBe('Expired');
  expect(calls.at(-2)).toEqual({ name: ACTIVITY.settleDeadline, input: INPUT.requestId });
  expect(calls.at(-1)).toEqual({ name: ACTIVITY.recordOutcome, input: { requestId: INPUT.requestId, outcome: 'Expired' } });
});

test('under the real replay engine: a cancel wins the race and cancels the deadline timer', async () => {
  const cancel = { reason: 'Phoned', by: 'admin', at: '2024-05-01T11:00:00.000Z' };
  const { state, calls, openTimers } = await replay(answers, [{ event: EVENTS.cancel, input: cancel }]);
  expect(state.output).toBe('Cancelled');
  expect(calls.at(-1)).toEqual({ name: ACTIVITY.recordOutcome, input: { requestId: INPUT.requestId, outcome: 'Cancelled', cancel } });
  expect(openTimers).toEqual([]);
});

test('under the real replay engine: a decision raised while the reminder is being mailed takes effect at once', async () => {
  const { state, calls, openTimers } = await replay(answers, [{ timer: true }, { event: EVENTS.approvalDecision, input: approval, whilePending: ACTIVITY.requestApproval }]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  // The approval went ahead without waiting for the reminder step, which ran to its end anyway.
  expect(calls.map((c) => c.name)).toEqual([
    ACTIVITY.recordRequest,
    ACTIVITY.getApprovalPolicy,
    ACTIVITY.screenRequest,
    ACTIVITY.requestApproval,
    ACTIVITY.requestApproval,
    ACTIVITY.markApproved,
    ACTIVITY.executeReset,
    ACTIVITY.completeRequest,
    ACTIVITY.sendOutcomeMails,
  ]);
  expect(calls[5].input).toEqual({ requestId: INPUT.requestId, decision: approval });
  // No deadline timer was even created: nothing keeps the instance open.
  expect(openTimers).toEqual([]);
});

test('under the real replay engine: an admin cancel raised while the reminder is being mailed takes effect at once', async () => {
  const cancel: CancelEvent = { reason: 'Guest phoned', by: 'admin', at: '2024-05-02T10:00:30.000Z' };
  const { state, calls } = await replay(answers, [{ timer: true }, { event: EVENTS.cancel, input: cancel, whilePending: ACTIVITY.requestApproval }]);
  expect(state.output).toBe('Cancelled');
  expect(calls.map((c) => c.name)).not.toContain(ACTIVITY.settleDeadline);
  expect(calls.find((c) => c.name === ACTIVITY.recordOutcome)?.input).toEqual({ requestId: INPUT.requestId, outcome: 'Cancelled', cancel });
});

test('under the real replay engine: a decision after the reminder went out is taken by the same waiters, and the deadline timer is cancelled', async () => {
  const rejection: ApprovalDecisionEvent = { ...approval, outcome: 'rejected' };
  const { state, calls, openTimers } = await replay(answers, [{ timer: true }, { event: EVENTS.approvalDecision, input: rejection }]);
  expect(state.output).toBe('Rejected');
  expect(calls.at(-1)).toEqual({ name: ACTIVITY.recordOutcome, input: { requestId: INPUT.requestId, outcome: 'Rejected', decision: rejection } });
  expect(openTimers).toEqual([]);
});

test('under the real replay engine: a failed reset ends Failed at once, then the pending restore is retried on durable timers until done', async () => {
  const refused: ResetOutcome = { ok: false, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress', requestId: 'graph-req-1' };
  const tries = ['pending', 'pending', 'done'];
  const { state, calls, openTimers, host } = await replay(
    (name, input) => {
      if (name === ACTIVITY.executeReset) return refused;
      if (name === ACTIVITY.restoreMail) return tries.shift();
      if (name === ACTIVITY.getMailRestorePolicy) return { firstRetryMs: 30_000, maxRetryMs: 300_000, windowMs: 24 * 3_600_000 };
      return answers(name, input);
    },
    [{ event: EVENTS.approvalDecision, input: approval }, { timer: true }, { timer: true }],
  );
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Failed');
  expect(calls.map((c) => c.name).slice(-8)).toEqual([
    ACTIVITY.executeReset,
    ACTIVITY.restoreMail,
    ACTIVITY.completeRequest,
    ACTIVITY.sendOutcomeMails,
    ACTIVITY.getMailRestorePolicy,
    ACTIVITY.restoreMail,
    ACTIVITY.restoreMail,
    ACTIVITY.sendOutcomeMails,
  ]);
  const retryTimers = host.history.filter((event) => event.EventType === 10).slice(-2) as { FireAt: string; Timestamp: string }[];
  expect(retryTimers.map((t) => Date.parse(t.FireAt) - Date.parse(t.Timestamp))).toEqual([30_000, 60_000]);
  expect(openTimers).toEqual([]);
});
