import { nextDigestAt } from '../domain/adminDigestSchedule.js';
import { adminDigestEmail } from '../templates/emails.js';
import { organisationOf } from '../templates/organisation.js';
import { renderMail } from '../templates/renderMail.js';
import type { ActivityDependencies } from './activityDependencies.js';

/** The activities of the admins' digest loop (`src/workflow/adminDigestLoop.ts`). */
export function createAdminDigestActivities(deps: ActivityDependencies) {
  return {
    async nextAdminDigestAt(): Promise<string> {
      return nextDigestAt(deps.clock(), deps.settings.ADMIN_DIGEST_TIME, deps.settings.ADMIN_DIGEST_EVERY).toISOString();
    },
    sendAdminDigest: (until: string) => sendAdminDigest(deps, until),
  };
}

/**
 * Mails the admins every alert recorded before `until` since the last digest (all of them before
 * the first), then marks `until` covered; nothing is mailed when there is nothing to report. A
 * re-run after the mark is a no-op. A re-run between the mail and the mark (a crash) mails again:
 * at least once, like `mailOnce`. A digest that cannot go out leaves the mark, so the next lists
 * its alerts.
 */
export async function sendAdminDigest(deps: ActivityDependencies, until: string): Promise<void> {
  const { adminDigest, settings } = deps;
  const covered = await adminDigest.coveredUntil();
  if (covered && covered >= until) return;
  const entries = await adminDigest.entriesBetween(covered, until);
  if (entries.length > 0 && settings.ADMIN_NOTIFICATION_EMAILS.length > 0) {
    const parts = adminDigestEmail({ entries, ...(covered ? { from: covered } : {}), until });
    const { subject, html, text } = renderMail(parts, { org: organisationOf(settings), now: deps.clock() });
    await deps.mailer.send({ to: settings.ADMIN_NOTIFICATION_EMAILS, subject, html, text });
  }
  await adminDigest.markCovered(until);
}
