import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import { ACTIVITY, type ActivityName, type CompleteRequestInput, type FinalStatus, type MailRestoreState, type ResetOutcome } from './activityContract.js';
import type { ResetRetryInput } from './contract.js';
import { internalError, settleEnding, tryRestore, type ActivityCall } from './endingSteps.js';
import { RESET_RETRY, STEP_RETRY } from './retryPolicies.js';

/**
 * An admin's retry of a reset that failed on a transient fault (DESIGN §4, `retry`), as an
 * instance of its own (`retryInstanceId`): the request's own instance has finished. The admin API
 * has already moved the request back to `Approved` for this attempt; from there it is the request
 * orchestration's last steps with the same activities: the reset (which takes the guest's lock
 * again) under the reset's retry policy, `mail` put back on failure, the ending stored as
 * `Completed` or `Failed`, its mails, and whatever stays pending repeated on durable timers.
 */
export function* resetRetryOrchestrator(context: OrchestrationContext): Generator<Task, FinalStatus, unknown> {
  const { requestId, attempt } = context.df.getInput<ResetRetryInput>();
  const call: ActivityCall = (name: ActivityName, payload?: unknown, retry: RetryOptions = STEP_RETRY): Task =>
    context.df.callActivityWithRetry(name, retry, payload);
  context.df.setCustomStatus({ status: 'Approved', attempt });

  let outcome: ResetOutcome;
  try {
    outcome = (yield call(ACTIVITY.executeReset, requestId, RESET_RETRY)) as ResetOutcome;
  } catch (error) {
    outcome = internalError(context, error);
  }
  // As in the request's own instance: `mail` goes back before anyone is told.
  const restore: MailRestoreState = outcome.ok ? 'notNeeded' : yield* tryRestore(call, requestId);
  const completion: CompleteRequestInput = { requestId, outcome };
  const status = (yield call(ACTIVITY.completeRequest, completion)) as FinalStatus;
  context.df.setCustomStatus(outcome.ok ? { status, attempt } : { status, attempt, errorCode: outcome.code });
  yield* settleEnding(context, call, requestId, { restore, resetSucceeded: outcome.ok });
  return status;
}
