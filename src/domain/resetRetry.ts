import { INTERNAL_ERROR_CODE } from './errorText.js';
import type { EmailChangeRequest } from './request.js';

/**
 * An admin's retry of a reset that failed on a transient fault (DESIGN §4, `retry`). Each retry
 * is a new run (attempt) of the same steps on the same request, so what those steps write once per
 * request (audit ids, mail keys) is written once per attempt instead.
 */

/** The run of the reset a request is on: 1 until an admin retries it. */
export const resetAttemptOf = (request: Pick<EmailChangeRequest, 'resetAttempt'>): number => request.resetAttempt ?? 1;

/**
 * The audit id step or mail key of a step that runs once per attempt: unchanged for the first run,
 * so the histories and trails written before retries existed read the same.
 */
export function perAttempt(request: Pick<EmailChangeRequest, 'resetAttempt'>, step: string): string {
  const attempt = resetAttemptOf(request);
  return attempt > 1 ? `${step}:retry-${attempt}` : step;
}

/** The orchestration instance that runs attempt `attempt` (2 and up) of a request's reset. */
export const retryInstanceId = (requestId: string, attempt: number): string => `${requestId}-retry-${attempt}`;

/**
 * Why a request's reset may not be retried now, or undefined when it may. Transient Graph faults
 * (429, 5xx, network) are thrown and retried by the workflow; once those retries ran out the
 * request is stored `Failed` with Graph's words and `transient`, or with `InternalError` when
 * something of ours failed. A permanent refusal is stored with Graph's own code (or ours, such as
 * `GuestNotFound`) and would fail the same way again.
 */
export function whyNotRetryable(request: EmailChangeRequest, now: Date, retryWindowMs: number): string | undefined {
  if (request.status !== 'Failed') return `The request is ${request.status}; only a Failed request can be retried.`;
  if (request.decision?.outcome !== 'approved') return 'The request was never approved, so there is no reset to retry.';
  const result = request.result;
  if (result && 'code' in result && result.code !== INTERNAL_ERROR_CODE && !result.transient) {
    return `The reset failed on a permanent error (${result.code}); it would fail the same way again.`;
  }
  if (!result || 'invitationId' in result) return 'The request has no failed reset to retry.';
  if (request.mailRestore === 'pending') return "The guest's mail is still being put back after the failure; retry once that is done.";
  const windowEnds = Date.parse(request.decision.at) + retryWindowMs;
  if (!(now.getTime() <= windowEnds)) {
    return `A reset can be retried only within the retry window after its approval (RETRY_WINDOW); it ended at ${new Date(windowEnds).toISOString()}.`;
  }
  return undefined;
}
