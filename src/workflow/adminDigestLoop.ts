import type { OrchestrationContext, Task } from 'durable-functions';
import { STEP_RETRY } from './retryPolicies.js';

/**
 * The admins' digest (ADMIN_NOTIFICATIONS `digest` or `both`) as an eternal orchestration: one
 * instance with a fixed id sleeps on a durable timer until the next digest time, sends the digest,
 * and starts over with `continueAsNew`, so its history stays one period long. Durable timers rather
 * than a timer trigger: the same code runs on the local host, which runs no timer triggers.
 */
export const ADMIN_DIGEST_ORCHESTRATOR = 'adminDigestLoop';

/** Fixed, so there is only ever one loop: a start finds it running (see `ensureAdminDigestLoop`). */
export const ADMIN_DIGEST_INSTANCE_ID = 'admin-digest';

export const ADMIN_DIGEST_ACTIVITY = {
  /** The next digest time after now, from the settings; recorded, so replays see one value. */
  nextAdminDigestAt: 'nextAdminDigestAt',
  /** Input: that time. Sends what was recorded before it and not yet sent; nothing when nothing. */
  sendAdminDigest: 'sendAdminDigest',
} as const;

export function* adminDigestLoop(context: OrchestrationContext): Generator<Task, void, unknown> {
  const at = (yield context.df.callActivityWithRetry(ADMIN_DIGEST_ACTIVITY.nextAdminDigestAt, STEP_RETRY)) as string;
  yield context.df.createTimer(new Date(at));
  try {
    yield context.df.callActivityWithRetry(ADMIN_DIGEST_ACTIVITY.sendAdminDigest, STEP_RETRY, at);
  } catch (error) {
    // The covered mark did not move, so the next digest lists these alerts too; the loop goes on.
    if (!context.df.isReplaying) context.error(`The admin digest due ${at} was not sent; the next one lists its alerts.`, error);
  }
  context.df.continueAsNew(undefined);
}
