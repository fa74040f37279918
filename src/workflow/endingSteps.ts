import type { OrchestrationContext, RetryOptions, Task } from 'durable-functions';
import { storedErrorOf } from '../domain/errorText.js';
import { ACTIVITY, type ActivityName, type MailRestorePolicy, type MailRestoreState, type OutcomeMailsState, type ResetOutcome } from './activityContract.js';
import { restoreMailUntilDone } from './restoreMailUntilDone.js';

/**
 * The steps after a reset that both orchestrations run, the request's own and an admin's retry
 * (`resetRetryOrchestrator`): putting `mail` back and sending the mails an ending owes, repeated
 * on durable timers while Graph refuses. Deterministic, like the orchestrators that call them.
 */

/** Calls an activity with a retry policy; the caller's default when none is given. */
export type ActivityCall = (name: ActivityName, payload?: unknown, retry?: RetryOptions) => Task;

/** One try at putting `mail` back; a store failure for good counts as still pending. */
export function* tryRestore(call: ActivityCall, requestId: string): Generator<Task, MailRestoreState, unknown> {
  try {
    return (yield call(ACTIVITY.restoreMail, requestId)) as MailRestoreState;
  } catch {
    // The store, not Graph, failed for good this time (Graph's refusals are answers): try again later.
    return 'pending';
  }
}

/** One try at the mails the ending owes; a failure for good counts as still pending. */
export function* tryOutcomeMails(call: ActivityCall, requestId: string): Generator<Task, OutcomeMailsState, unknown> {
  try {
    return (yield call(ACTIVITY.sendOutcomeMails, requestId)) as OutcomeMailsState;
  } catch {
    return 'pending';
  }
}

/**
 * Once the ending is stored: puts `mail` back if that was not tried yet after a failed reset (or
 * an internal error), sends the ending's mails, and repeats whichever is pending on durable timers.
 */
export function* settleEnding(
  context: OrchestrationContext,
  call: ActivityCall,
  requestId: string,
  done: { restore: MailRestoreState | undefined; resetSucceeded: boolean },
): Generator<Task, void, unknown> {
  let restore = done.restore;
  if (restore === undefined && !done.resetSucceeded) restore = yield* tryRestore(call, requestId);
  let mails = yield* tryOutcomeMails(call, requestId);
  if (restore === 'pending' || mails === 'pending') {
    const policy = (yield call(ACTIVITY.getMailRestorePolicy)) as MailRestorePolicy;
    yield* restoreMailUntilDone(context, policy, function* () {
      if (restore === 'pending') restore = yield* tryRestore(call, requestId);
      // `mail` back (or no longer pending) owes the admins a notice, so mails follow any change.
      if (mails === 'pending' || restore !== 'pending') mails = yield* tryOutcomeMails(call, requestId);
      return restore === 'pending' || mails === 'pending' ? 'pending' : 'done';
    });
  }
}

/**
 * A step failed for good. What durable-functions hands over is the activity's message and stack,
 * with server paths: that goes to the log, and the request stores only the generic text with a
 * reference to find it (DESIGN §4). `newGuid` keeps the reference the same on every replay, and
 * the log is written once, when the failure is new.
 */
export function internalError(context: OrchestrationContext, error: unknown): ResetOutcome {
  const reference = context.df.newGuid(context.df.instanceId);
  if (!context.df.isReplaying) context.error(`Request ${context.df.instanceId}: internal error, reference ${reference}`, error);
  return { ok: false, ...storedErrorOf(error, reference) };
}
