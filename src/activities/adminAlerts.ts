import type { Settings } from '../config/settings.js';
import type { AuditEvent, EmailChangeRequest } from '../domain/request.js';
import { guestName, oneLine } from '../templates/format.js';
import type { MailParts } from '../templates/mailParts.js';
import type { ReportReach } from '../templates/requesterPages.js';
import { auditEvent, type ActivityDependencies } from './activityDependencies.js';
import { mailOnceFor } from './mailOnce.js';

/**
 * `urgent`: someone may have to act on the guest's account now (the change was made and its owner
 * says it was not them; `mail` still points at the requester's address), so the alert goes out at
 * once whatever `ADMIN_NOTIFICATIONS` says. `routine`: nothing is at stake until someone reads it
 * (a failed reset with `mail` back, nobody to approve, a report that stopped the request).
 */
export type AlertUrgency = 'urgent' | 'routine';

/** Why admin alerts go nowhere: for the logs (`adminAlertsFor`, and once at start-up). */
export const NO_ADMIN_ADDRESSES =
  "ADMIN_NOTIFICATION_EMAILS is empty: admin alerts (failed resets, requests nobody may approve, `mail` not put back, owners' \"this wasn't me\") go to nobody; admins see those requests only in the console and the admin API.";

/** What the owner is told of their report: an alert is promised only when alerts have somewhere to go (`adminAlertsFor` drops them otherwise). */
export const reportReachOf = (settings: Pick<Settings, 'ADMIN_NOTIFICATION_EMAILS'>): ReportReach => ({ adminsAlerted: settings.ADMIN_NOTIFICATION_EMAILS.length > 0 });

/** Tells the admins of one event of a request, once, the way `ADMIN_NOTIFICATIONS` asks. */
export type AlertAdmins = (key: string, mail: MailParts, urgency: AlertUrgency) => Promise<void>;

/**
 * `each`: one mail per event (`mailOnce`). `digest`: urgent alerts are mailed at once, and every
 * alert is listed in the next digest. `both`: every alert is mailed at once and listed. Listing is
 * idempotent like mailing: an `AdminAlertListed` audit event per request and key is written first,
 * and its time fixes the digest row's day, so a step re-run (on another day too) writes the same row.
 */
export async function adminAlertsFor(deps: ActivityDependencies, request: EmailChangeRequest, events?: readonly AuditEvent[]): Promise<AlertAdmins> {
  const trail = events ?? (await deps.store.listEvents(request.id));
  const mailOnce = await mailOnceFor(deps, request.id, trail);
  const listedAt = new Map(trail.filter((event) => event.type === 'AdminAlertListed').map((event) => [event.id, event.at]));
  return async (key, mail, urgency) => {
    const { ADMIN_NOTIFICATION_EMAILS: admins, ADMIN_NOTIFICATIONS: mode } = deps.settings;
    if (admins.length === 0) {
      // Optional by design, so never an error, but an alert that reaches nobody must show in the log.
      console.warn(`Admin alert ${key} of request ${request.id} was not sent: ${NO_ADMIN_ADDRESSES}`);
      return;
    }
    const mailedAtOnce = mode !== 'digest' || urgency === 'urgent';
    if (mailedAtOnce) await mailOnce(key, admins, mail);
    if (mode === 'each') return;

    const subject = oneLine(mail.subject);
    const listed = auditEvent(deps, request.id, `digest:${key}`, 'AdminAlertListed', 'system', { key, subject, mailedAtOnce });
    let at = listedAt.get(listed.id);
    if (!at) {
      await deps.store.appendEvent(listed);
      at = listed.at;
      listedAt.set(listed.id, at);
    }
    await deps.adminDigest.record({ requestId: request.id, alert: key, at, subject, guest: guestName(request), currentEmail: request.currentEmail, newEmail: request.newEmail, mailedAtOnce });
  };
}
