import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import { storedErrorOf } from '../domain/errorText.js';
import type { RequestStatus } from '../domain/request.js';
import {
  ACTIVITY,
  type ActivityName,
  type ApprovalPolicy,
  type CompleteRequestInput,
  type FinalStatus,
  type MailRestorePolicy,
  type MailRestoreState,
  type MarkApprovedInput,
  type RecordOutcomeInput,
  type RequestApprovalInput,
  type ResetOutcome,
  type ScreeningResult,
} from './activityContract.js';
import type { EmailChangeOrchestrationInput } from './contract.js';
import type { OrchestrationCustomStatus } from './customStatus.js';
import { restoreMailUntilDone } from './restoreMailUntilDone.js';
import { RESET_RETRY, STEP_RETRY } from './retryPolicies.js';
import { waitForDecisionOrDeadline, type WaitOutcome } from './waitForDecisionOrDeadline.js';
import { waitInRoundsV1 } from './waitInRoundsV1.js';

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

    // Instances started before version 2 replay the wait they recorded (README "Changing the orchestration").
    const wait = (input.workflowVersion ?? 1) >= 2 ? waitForDecisionOrDeadline : waitInRoundsV1;
    let waited = yield* wait(context, {
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
      outcome = internalError(context, error);
    }
    if (outcome.ok) return yield* complete(outcome);

    // The reset failed, maybe after `mail` was changed: put it back before anyone is told, so the
    // mails say what happened; while Graph refuses, keep trying after the request has ended.
    const tryRestore = function* (): Generator<Task, MailRestoreState, unknown> {
      try {
        return (yield call(ACTIVITY.restoreMail, requestId)) as MailRestoreState;
      } catch {
        // The store, not Graph, failed for good this time (Graph's refusals are answers): try again later.
        return 'pending';
      }
    };
    const restore = yield* tryRestore();
    const status = yield* complete(outcome);
    if (restore === 'pending') {
      const policy = (yield call(ACTIVITY.getMailRestorePolicy)) as MailRestorePolicy;
      yield* restoreMailUntilDone(context, policy, tryRestore);
    }
    return status;
  } catch (error) {
    return yield* complete(internalError(context, error));
  }
}

/**
 * A step failed for good. What durable-functions hands over is the activity's message and stack,
 * with server paths: that goes to the log, and the request stores only the generic text with a
 * reference to find it (DESIGN §4). `newGuid` keeps the reference the same on every replay, and
 * the log is written once, when the failure is new.
 */
function internalError(context: OrchestrationContext, error: unknown): ResetOutcome {
  const reference = context.df.newGuid(context.df.instanceId);
  if (!context.df.isReplaying) context.error(`Request ${context.df.instanceId}: internal error, reference ${reference}`, error);
  return { ok: false, ...storedErrorOf(error, reference) };
}
