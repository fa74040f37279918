import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import type { RequestStatus } from '../domain/request.js';
import {
  ACTIVITY,
  INTERNAL_ERROR_CODE,
  type ActivityName,
  type ApprovalPolicy,
  type CompleteRequestInput,
  type FinalStatus,
  type MarkApprovedInput,
  type RecordOutcomeInput,
  type RequestApprovalInput,
  type ResetOutcome,
  type ScreeningResult,
} from './activityContract.js';
import type { EmailChangeOrchestrationInput } from './contract.js';
import type { OrchestrationCustomStatus } from './customStatus.js';
import { RESET_RETRY, STEP_RETRY } from './retryPolicies.js';
import { waitForDecisionOrDeadline, type WaitOutcome } from './waitForDecisionOrDeadline.js';

type Step = Generator<Task, RequestStatus, unknown>;

/**
 * The email-change state machine (DESIGN §2). Deterministic: no I/O, clock or randomness here;
 * time comes from `currentUtcDateTime` and every effect is an activity. Returns the final status.
 * Any step that fails for good still ends the request (Failed, `InternalError`), so no request
 * is left hanging with its guest locked.
 */
export function* emailChangeOrchestrator(context: OrchestrationContext): Step {
  const input = context.df.getInput<EmailChangeOrchestrationInput>();
  const { requestId } = input;
  const call = (name: ActivityName, payload?: unknown, retry: RetryOptions = STEP_RETRY): Task =>
    context.df.callActivityWithRetry(name, retry, payload);
  const publish = (status: OrchestrationCustomStatus) => context.df.setCustomStatus(status);

  const complete = function* (outcome: ResetOutcome): Step {
    const payload: CompleteRequestInput = { requestId, outcome };
    const status = (yield call(ACTIVITY.completeRequest, payload)) as FinalStatus;
    publish(outcome.ok ? { status } : { status, errorCode: outcome.code });
    return status;
  };

  publish({ status: 'Received' });
  try {
    yield call(ACTIVITY.recordRequest, input);
    const policy = (yield call(ACTIVITY.getApprovalPolicy)) as ApprovalPolicy;
    const screening = (yield call(ACTIVITY.screenRequest, requestId)) as ScreeningResult;
    if (screening.outcome === 'declined') {
      publish({ status: 'Declined', declineReason: screening.reason });
      return 'Declined';
    }

    const startedAt = context.df.currentUtcDateTime.getTime();
    const deadline = new Date(startedAt + policy.approvalTimeoutMs);
    const reminderAt = new Date(startedAt + policy.reminderAfterMs);
    const approvalRound = (reminder: boolean): Task => {
      const payload: RequestApprovalInput = { requestId, deadline: deadline.toISOString(), reminder };
      return call(ACTIVITY.requestApproval, payload);
    };
    yield approvalRound(false);
    const awaiting: OrchestrationCustomStatus = { status: 'AwaitingApproval', deadline: deadline.toISOString() };
    publish(awaiting);

    let waited = yield* waitForDecisionOrDeadline(context, {
      deadline,
      reminderAt,
      sendReminder: () => {
        publish({ ...awaiting, reminderSentAt: context.df.currentUtcDateTime.toISOString() });
        return approvalRound(true);
      },
    });
    // A decision or cancel accepted in the instant before the deadline may still be on its way:
    // the outcome claimed first in storage stands, so nobody was told a result that did not happen.
    if (waited.kind === 'deadline') waited = (yield call(ACTIVITY.settleDeadline, requestId)) as WaitOutcome;

    if (waited.kind !== 'decision' || waited.decision.outcome === 'rejected') {
      const ending: RecordOutcomeInput =
        waited.kind === 'cancel'
          ? { requestId, outcome: 'Cancelled', cancel: waited.cancel }
          : waited.kind === 'decision'
            ? { requestId, outcome: 'Rejected', decision: waited.decision }
            : { requestId, outcome: 'Expired' };
      const status = (yield call(ACTIVITY.recordOutcome, ending)) as FinalStatus;
      const decidedBy = waited.kind === 'cancel' ? waited.cancel.by : waited.kind === 'decision' ? waited.decision.approverMail : undefined;
      publish(decidedBy ? { status, decidedBy } : { status });
      return status;
    }

    const approval: MarkApprovedInput = { requestId, decision: waited.decision };
    yield call(ACTIVITY.markApproved, approval);
    publish({ status: 'Approved', decidedBy: waited.decision.approverMail });

    let outcome: ResetOutcome;
    try {
      outcome = (yield call(ACTIVITY.executeReset, requestId, RESET_RETRY)) as ResetOutcome;
    } catch (error) {
      // Retries are exhausted: the mail may already point at the new address, so put it back.
      yield call(ACTIVITY.restoreMail, requestId);
      outcome = internalError(error);
    }
    return yield* complete(outcome);
  } catch (error) {
    return yield* complete(internalError(error));
  }
}

function internalError(error: unknown): ResetOutcome {
  const text = error instanceof Error ? error.message : String(error);
  return { ok: false, code: INTERNAL_ERROR_CODE, message: text.slice(0, 500) };
}
