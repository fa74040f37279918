import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import type { RequestStatus } from '../domain/request.js';
import {
  ACTIVITY,
  type ActivityName,
  type ApprovalPolicy,
  type ApproveAndResetResult,
  type BeginResult,
  type CompleteRequestInput,
  type ConfirmationOutcome,
  type FinalStatus,
  type MailRestoreState,
  type MarkApprovedInput,
  type RecordOutcomeInput,
  type RequestApprovalInput,
  type RequestConfirmationInput,
  type ResetOutcome,
  type ScreenAndAskInput,
  type ScreenAndAskResult,
  type ScreeningResult,
} from './activityContract.js';
import { EVENTS, type EmailChangeOrchestrationInput } from './contract.js';
import type { OrchestrationCustomStatus } from './customStatus.js';
import { internalError, settleEnding, tryRestore as tryRestoreOf, type ActivityCall } from './endingSteps.js';
import { RESET_RETRY, STEP_RETRY } from './retryPolicies.js';
import { waitForConfirmation } from './waitForConfirmation.js';
import { waitForDecisionOrDeadline, type WaitOutcome } from './waitForDecisionOrDeadline.js';
import { waitInRoundsV1 } from './waitInRoundsV1.js';

type Step = Generator<Task, RequestStatus, unknown>;

/**
 * The email-change state machine (DESIGN §2). Deterministic: no I/O, clock or randomness here;
 * time comes from `currentUtcDateTime` and every effect is an activity. Returns the final status.
 * Any step that fails for good still ends the request (Failed, `InternalError`), so no request
 * is left hanging with its guest locked. Once a request is stored as ended after approval (or by
 * such a failure), its mails are a step of their own and, like putting `mail` back, are repeated
 * on durable timers while Graph refuses: a mail that fails can neither undo the stored outcome
 * nor stop the restore.
 */
export function* emailChangeOrchestrator(context: OrchestrationContext): Step {
  const input = context.df.getInput<EmailChangeOrchestrationInput>();
  const { requestId } = input;
  // Instances keep the steps of the version they started with (README "Changing the orchestration").
  const version = input.workflowVersion ?? 1;
  const call: ActivityCall = (name: ActivityName, payload?: unknown, retry: RetryOptions = STEP_RETRY): Task =>
    context.df.callActivityWithRetry(name, retry, payload);
  const publish = (status: OrchestrationCustomStatus) => context.df.setCustomStatus(status);

  /** Whether an ending was stored (`completeRequest`, or from version 3 `recordOutcome`), so its mails are owed. */
  let completed = false;
  /** What the reset itself answered: a later internal error must not replace Graph's code. */
  let reset: ResetOutcome | undefined;
  /** Where putting `mail` back stands; undefined until tried. */
  let restore: MailRestoreState | undefined;

  const complete = function* (outcome: ResetOutcome): Step {
    const payload: CompleteRequestInput = { requestId, outcome };
    const status = (yield call(ACTIVITY.completeRequest, payload)) as FinalStatus;
    completed = true;
    publish(outcome.ok ? { status } : { status, errorCode: outcome.code });
    return status;
  };
  const tryRestore = () => tryRestoreOf(call, requestId);

  /** Version 3 on: stores an ending that never reached Graph; its mails follow as a step of their own. */
  const end = function* (ending: RecordOutcomeInput, decidedBy?: string): Step {
    const ended = (yield call(ACTIVITY.recordOutcome, { ...ending, mailsFollow: true })) as FinalStatus;
    completed = true;
    restore = 'notNeeded';
    publish(decidedBy ? { status: ended, decidedBy } : { status: ended });
    return ended;
  };

  /**
   * Version 3 on: the new address confirms before the directory is asked anything (DESIGN §2
   * step 3). The ending when it was not confirmed (cancelled or expired), else undefined.
   */
  const confirmNewAddress = function* (policy: ApprovalPolicy, cancel: Task, mailedExpiry: string | undefined): Generator<Task, RecordOutcomeInput | undefined, unknown> {
    const required = policy.confirmationRequired ?? true;
    let expiresAt: Date;
    if (mailedExpiry === undefined) {
      // Version 3: the link is mailed here; version 4 mailed it in `beginRequest`.
      expiresAt = new Date(context.df.currentUtcDateTime.getTime() + (policy.confirmationTimeoutMs ?? 0));
      const request: RequestConfirmationInput = { requestId, expiresAt: expiresAt.toISOString(), required };
      yield call(ACTIVITY.requestConfirmation, request);
    } else {
      expiresAt = new Date(mailedExpiry);
    }
    if (!required) return undefined;
    publish({ status: 'AwaitingConfirmation', deadline: expiresAt.toISOString() });
    let confirmation = yield* waitForConfirmation(context, { deadline: expiresAt, cancel });
    // A confirmation or cancel accepted in the instant before the deadline may still be on its way.
    if (confirmation.kind === 'deadline') confirmation = (yield call(ACTIVITY.settleConfirmation, requestId)) as ConfirmationOutcome;
    // Version 4 stores the confirmation in `screenAndAsk`, which goes by the claim the same way.
    if (confirmation.kind === 'confirmed' && version < 4) confirmation = (yield call(ACTIVITY.recordConfirmation, requestId)) as ConfirmationOutcome;
    return unconfirmedEnding(confirmation);
  };

  /** The ending of a request whose new address was not confirmed; undefined when it was. */
  const unconfirmedEnding = (confirmation: ConfirmationOutcome): RecordOutcomeInput | undefined => {
    if (confirmation.kind === 'cancel') return { requestId, outcome: 'Cancelled', cancel: confirmation.cancel };
    if (confirmation.kind === 'deadline') return { requestId, outcome: 'Expired' };
    return undefined;
  };

  publish({ status: 'Received' });
  let status: RequestStatus;
  try {
    let policy: ApprovalPolicy;
    let mailedExpiry: string | undefined;
    if (version >= 4) {
      const begun = (yield call(ACTIVITY.beginRequest, input)) as BeginResult;
      policy = begun.policy;
      mailedExpiry = begun.confirmationExpiresAt;
    } else {
      yield call(ACTIVITY.recordRequest, input);
      policy = (yield call(ACTIVITY.getApprovalPolicy)) as ApprovalPolicy;
    }
    // Version 3 on: one Cancel waiter for the instance's whole life, shared by both waits.
    const cancel = version >= 3 ? context.df.waitForExternalEvent(EVENTS.cancel) : undefined;
    const unconfirmed = cancel ? yield* confirmNewAddress(policy, cancel, mailedExpiry) : undefined;
    if (unconfirmed) {
      status = yield* end(unconfirmed);
    } else {
      status = yield* screenAndDecide(policy, cancel);
    }
  } catch (error) {
    status = yield* complete(reset ?? internalError(context, error));
  }
  return yield* finish(status);

  /** Screens the guest, asks the approvers and carries out what they decide. */
  function* screenAndDecide(policy: ApprovalPolicy, cancel: Task | undefined): Step {
    let startedAt = context.df.currentUtcDateTime.getTime();
    const deadlineFrom = (start: number) => new Date(start + policy.approvalTimeoutMs);
    if (version >= 4) {
      const payload: ScreenAndAskInput = { requestId, deadline: deadlineFrom(startedAt).toISOString() };
      const asked = (yield call(ACTIVITY.screenAndAsk, payload)) as ScreenAndAskResult;
      if (asked.outcome === 'unconfirmed') return yield* end(unconfirmedEnding(asked.confirmation)!);
      if (asked.outcome === 'declined') {
        publish({ status: 'Declined', declineReason: asked.reason });
        return 'Declined';
      }
    } else {
      const screening = (yield call(ACTIVITY.screenRequest, requestId)) as ScreeningResult;
      if (screening.outcome === 'declined') {
        publish({ status: 'Declined', declineReason: screening.reason });
        return 'Declined';
      }
      // Version 3 and before count the approval time from the end of the screening.
      startedAt = context.df.currentUtcDateTime.getTime();
    }

    const deadline = deadlineFrom(startedAt);
    const reminderAt = new Date(startedAt + policy.reminderAfterMs);
    const approvalRound = (reminder: boolean): Task => {
      const payload: RequestApprovalInput = { requestId, deadline: deadline.toISOString(), reminder };
      return call(ACTIVITY.requestApproval, payload);
    };
    if (version < 4) yield approvalRound(false);
    const awaiting: OrchestrationCustomStatus = { status: 'AwaitingApproval', deadline: deadline.toISOString() };
    publish(awaiting);

    const wait = version >= 2 ? waitForDecisionOrDeadline : waitInRoundsV1;
    let waited = yield* wait(context, {
      deadline,
      reminderAt,
      sendReminder: () => {
        publish({ ...awaiting, reminderSentAt: context.df.currentUtcDateTime.toISOString() });
        return approvalRound(true);
      },
      ...(cancel ? { cancel } : {}),
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
      const decidedBy = waited.kind === 'cancel' ? waited.cancel.by : waited.kind === 'decision' ? waited.decision.approverMail : undefined;
      if (version >= 3) return yield* end(ending, decidedBy);
      const ended = (yield call(ACTIVITY.recordOutcome, ending)) as FinalStatus;
      publish(decidedBy ? { status: ended, decidedBy } : { status: ended });
      return ended;
    }

    const approval: MarkApprovedInput = { requestId, decision: waited.decision };
    let outcome: ResetOutcome;
    if (version >= 4) {
      publish({ status: 'Approved', decidedBy: waited.decision.approverMail });
      try {
        const done = (yield call(ACTIVITY.approveAndReset, approval, RESET_RETRY)) as ApproveAndResetResult;
        outcome = done.outcome;
        if (done.completed) {
          reset = outcome;
          completed = true;
          publish({ status: 'Completed' });
          return 'Completed';
        }
      } catch (error) {
        outcome = internalError(context, error);
      }
      reset = outcome;
      if (!outcome.ok) restore = yield* tryRestore();
      return yield* complete(outcome);
    }
    yield call(ACTIVITY.markApproved, approval);
    publish({ status: 'Approved', decidedBy: waited.decision.approverMail });

    if (version >= 2) {
      try {
        outcome = (yield call(ACTIVITY.executeReset, requestId, RESET_RETRY)) as ResetOutcome;
      } catch (error) {
        outcome = internalError(context, error);
      }
      reset = outcome;
      // The reset failed, maybe after `mail` was changed: put it back before anyone is told, so the
      // mails say what happened; while Graph refuses, it is tried again after the request ended.
      if (!outcome.ok) restore = yield* tryRestore();
    } else {
      // Version 1 recorded these steps: the restore only after a reset that threw.
      try {
        outcome = (yield call(ACTIVITY.executeReset, requestId, RESET_RETRY)) as ResetOutcome;
      } catch (error) {
        restore = (yield call(ACTIVITY.restoreMail, requestId)) as MailRestoreState;
        outcome = internalError(context, error);
      }
      reset = outcome;
    }
    return yield* complete(outcome);
  }

  /**
   * Outside the try, so nothing that failed above keeps `mail` from being put back. These steps
   * follow the last one either version recorded before, so running instances replay unchanged.
   */
  function* finish(status: RequestStatus): Step {
    if (!completed) return status;
    // Not tried yet after a refused reset (version 1) or an internal error: the try finds what is owed.
    yield* settleEnding(context, call, requestId, { restore, resetSucceeded: reset?.ok === true });
    return status;
  }
}
