import type { OrchestrationContext, Task } from 'durable-functions';
import type { MailRestorePolicy, MailRestoreState } from './activityContract.js';

/**
 * Repeats a pending restore of the guest's `mail` (DESIGN §5) on durable timers, so it survives
 * restarts and deployments: the delay doubles from `firstRetryMs` up to `maxRetryMs`, and tries
 * start until `windowMs` after the first failed one (at least a day). Each try is an activity that
 * audits its own failure. The loop stays bounded: with the defaults about 300 tries, a few events
 * of history each, which replays in well under a second. Returns the last try's state.
 */
export function* restoreMailUntilDone(
  context: OrchestrationContext,
  policy: MailRestorePolicy,
  tryRestore: () => Generator<Task, MailRestoreState, unknown>,
): Generator<Task, MailRestoreState, unknown> {
  const giveUpAt = context.df.currentUtcDateTime.getTime() + policy.windowMs;
  let delay = policy.firstRetryMs;
  for (;;) {
    const nextTry = context.df.currentUtcDateTime.getTime() + delay;
    if (nextTry > giveUpAt) return 'pending';
    yield context.df.createTimer(new Date(nextTry));
    const state = yield* tryRestore();
    if (state !== 'pending') return state;
    delay = Math.min(delay * 2, policy.maxRetryMs);
  }
}
