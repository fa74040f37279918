import type { OrchestrationContext, Task } from 'durable-functions';
import type { MailRestorePolicy, MailRestoreState } from './activityContract.js';

/**
 * Repeats what an ended request left pending (DESIGN §5): putting the guest's `mail` back, and the
 * mails Graph refused (the admins' alert among them), on durable timers, so it survives restarts
 * and deployments: the delay doubles from `firstRetryMs` up to `maxRetryMs`, and tries start until
 * `windowMs` after the first failed one (at least a day). Each try runs activities that audit
 * their own failures. The loop stays bounded: with the defaults about 300 tries, a few events of
 * history each, which replays in well under a second. Returns the last try's state.
 */
export function* restoreMailUntilDone(
  context: OrchestrationContext,
  policy: MailRestorePolicy,
  tryAgain: () => Generator<Task, MailRestoreState, unknown>,
): Generator<Task, MailRestoreState, unknown> {
  const giveUpAt = context.df.currentUtcDateTime.getTime() + policy.windowMs;
  let delay = policy.firstRetryMs;
  for (;;) {
    const nextTry = context.df.currentUtcDateTime.getTime() + delay;
    if (nextTry > giveUpAt) return 'pending';
    yield context.df.createTimer(new Date(nextTry));
    const state = yield* tryAgain();
    if (state !== 'pending') return state;
    delay = Math.min(delay * 2, policy.maxRetryMs);
  }
}
