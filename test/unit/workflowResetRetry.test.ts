import { expect, test } from 'vitest';
import { ACTIVITY, type MailRestorePolicy, type ResetOutcome } from '../../src/workflow/activityContract.js';
import type { EmailChangeOrchestrationInput, ResetRetryInput } from '../../src/workflow/contract.js';
import { resetRetryOrchestrator } from '../../src/workflow/resetRetryOrchestrator.js';
import { RESET_RETRY, STEP_RETRY } from '../../src/workflow/retryPolicies.js';
import { happyAnswer, replay, startState, type Leaf } from './workflowReplayHarness.js';

/**
 * An admin's retry of a failed reset under the real `durable-functions` replay engine: the
 * request orchestration's last steps, with the same activities and the reset's retry policy.
 */

const RETRY: ResetRetryInput = { requestId: '5b0f6c1e-6a43-4d0e-9c8e-3f1f0a1b2c3d', attempt: 2 };
// The harness starts its clock at the input's submission time; the retry's input has none of its own.
const start = startState({ ...RETRY, submittedAt: '2024-05-08T10:00:00.000Z' } as unknown as EmailChangeOrchestrationInput);
const RESTORE_POLICY: MailRestorePolicy = { firstRetryMs: 30_000, maxRetryMs: 300_000, windowMs: 24 * 3_600_000 };

const answering = (reset: ResetOutcome, restores: string[] = []) => (name: string, input: unknown): unknown => {
  switch (name) {
    case ACTIVITY.executeReset:
      return reset;
    case ACTIVITY.restoreMail:
      return restores.shift();
    case ACTIVITY.getMailRestorePolicy:
      return RESTORE_POLICY;
    default:
      return happyAnswer(name, input);
  }
};

test('a retry whose reset succeeds completes the request and sends its mails', async () => {
  const invited: ResetOutcome = { ok: true, invitationId: 'inv-2', inviteRedeemUrl: 'https://login.example/redeem' };
  const { state, calls, openTimers } = await replay(resetRetryOrchestrator, start, answering(invited), []);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  expect(calls).toEqual([
    { name: ACTIVITY.executeReset, input: RETRY.requestId },
    { name: ACTIVITY.completeRequest, input: { requestId: RETRY.requestId, outcome: invited } },
    { name: ACTIVITY.sendOutcomeMails, input: RETRY.requestId },
  ]);
  expect(state.customStatus).toEqual({ status: 'Completed', attempt: 2 });
  expect(openTimers).toEqual([]);
});

test('a retry whose reset fails again puts mail back before anyone is told, ends Failed, and repeats a pending restore on durable timers', async () => {
  const refused: ResetOutcome = { ok: false, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' };
  const { state, calls } = await replay(resetRetryOrchestrator, start, answering(refused, ['pending', 'done']), [{ timer: true }]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Failed');
  expect(calls.map((c) => c.name)).toEqual([
    ACTIVITY.executeReset,
    ACTIVITY.restoreMail,
    ACTIVITY.completeRequest,
    ACTIVITY.sendOutcomeMails,
    ACTIVITY.getMailRestorePolicy,
    ACTIVITY.restoreMail,
    ACTIVITY.sendOutcomeMails,
  ]);
  expect(state.customStatus).toEqual({ status: 'Failed', attempt: 2, errorCode: 'BadRequest' });
});

test('the reset runs under the reset’s retry policy, the other steps under the steps’ one', async () => {
  const invited: ResetOutcome = { ok: true, invitationId: 'inv-2', inviteRedeemUrl: 'https://login.example/redeem' };
  const { state } = await replay(resetRetryOrchestrator, start, answering(invited), []);
  const scheduled = state.actions.flat() as (Leaf & { retryOptions?: { firstRetryIntervalInMilliseconds: number; maxNumberOfAttempts: number } })[];
  const policyOf = (name: string) => scheduled.find((action) => action.functionName === name)?.retryOptions;
  expect(policyOf(ACTIVITY.executeReset)).toMatchObject({ firstRetryIntervalInMilliseconds: RESET_RETRY.firstRetryIntervalInMilliseconds, maxNumberOfAttempts: RESET_RETRY.maxNumberOfAttempts });
  expect(policyOf(ACTIVITY.completeRequest)).toMatchObject({ firstRetryIntervalInMilliseconds: STEP_RETRY.firstRetryIntervalInMilliseconds });
});
