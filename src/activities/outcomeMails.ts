import { reportLinkExpiry } from '../domain/linkLifetimes.js';
import { mintLink } from '../store/mintLink.js';
import { changeMadeOwnerEmail, ownerReportAdminEmail, reportedRequestStoppedOwnerEmail, requestEndedApproverEmail } from '../templates/emails.js';
import { ownerAddresses, type AuditEvent, type EmailChangeRequest } from '../domain/request.js';
import { perAttempt } from '../domain/resetRetry.js';
import { GraphRequestError } from '../graph/graphGateway.js';
import {
  mailRestoredAdminEmail,
  mailRestoreFailedAdminEmail,
  redeemInvitationEmail,
  requestCompletedEmail,
  requestOutcomeEmail,
  resetFailedAdminEmail,
} from '../templates/emails.js';
import type { OutcomeMailsState } from '../workflow/activityContract.js';
import { requireRequestWithEvents, type ActivityDependencies } from './activityDependencies.js';
import { MAIL_RESTORE_WINDOW_MS } from './executeReset.js';
import type { MailParts } from '../templates/mailParts.js';
import { adminAlertsFor, reportReachOf, type AlertUrgency } from './adminAlerts.js';
import { recordMailFailure } from './mailFailure.js';
import { mailOnceFor, type MailOnce } from './mailOnce.js';

/**
 * Sends the mails an ended request owes once its ending was stored, each rendered from what is
 * stored now, so it says what actually happened (DESIGN §2 step 7, §5):
 * - while `mail` waits to be put back, the admins' alert (whenever it has not gone out yet);
 * - once `mail` is back after that alert, the admins' notice that it is resolved;
 * - Completed: the new address how to redeem (unless Graph sends its own invitation), the approver
 *   that it is done, the other approvers how it ended, the current address that the change was
 *   made (with a "this wasn't me" link); Failed: the admins, the approver who approved, those asked
 *   who did not decide, and the current address if it was told of the request;
 * - Rejected, Cancelled, Expired (version 3 on): the approvers who did not decide, and the current
 *   address of a screened guest; for an owner's report, the admins and the owner instead.
 * Sent mails are skipped on every later run. A mail Graph refuses is audited (`MailFailed`, with
 * its key and Graph's code and request-id) and answers `pending`, and the orchestrator runs this
 * again later; the others still go out.
 */
export async function sendOutcomeMails(deps: ActivityDependencies, requestId: string): Promise<OutcomeMailsState> {
  const { settings, store } = deps;
  const { request, events } = await requireRequestWithEvents(store, requestId);
  const mailOnce = await mailOnceFor(deps, requestId, events, { deferMarkers: true });
  const alertAdmins = await adminAlertsFor(deps, request, events);
  // After an admin's retry, the new run's ending is told again, whatever the earlier run's mails said.
  const owed: [key: string, send: () => Promise<void>][] = [];
  const mail = (step: string, to: string[], parts: Parameters<MailOnce>[2]) => {
    const key = perAttempt(request, step);
    owed.push([key, () => mailOnce(key, to, parts)]);
  };
  const alert = (step: string, parts: MailParts, urgency: AlertUrgency) => {
    const key = perAttempt(request, step);
    owed.push([key, () => alertAdmins(key, parts, urgency)]);
  };
  // `mail` left on the requester's address is urgent; its resolution follows it at once.
  if (request.mailRestore === 'pending') alert('mail-restore-alert', restoreAlert(deps, request, events), 'urgent');
  if (request.mailRestore === 'done' && wasSent(request, events, perAttempt(request, 'mail-restore-alert'))) alert('mail-restored', mailRestoredAdminEmail({ request }), 'urgent');
  const result = request.result;
  if (request.status === 'Completed' && result && 'invitationId' in result) {
    if (!settings.SEND_INVITATION_MESSAGE) mail('redeem', [request.newEmail], redeemInvitationEmail({ request, inviteRedeemUrl: result.inviteRedeemUrl ?? '' }));
    if (request.decision) mail('completed', [request.decision.by], requestCompletedEmail({ request }));
    for (const [key, to, parts] of othersTold(request, events)) mail(key, to, parts);
    // The takeover alarm's second half: the old address hears the change was made, and can still report it.
    mail('change-made', ownerAddresses(request), async () => {
      const reportExpiresAt = reportLinkExpiry(deps.clock().toISOString());
      const reportUrl = await mintLink(store, settings.PUBLIC_BASE_URL, { requestId, purpose: 'report', expiresAt: reportExpiresAt });
      return changeMadeOwnerEmail({ request, reportUrl, reportExpiresAt });
    });
  } else if (request.status === 'Rejected' || request.status === 'Cancelled' || request.status === 'Expired') {
    for (const [key, to, parts] of othersTold(request, events)) mail(key, to, parts);
    if (request.reportedByOwner) {
      // Stopped before anything changed: nothing to do on the account at once.
      alert('owner-report', ownerReportAdminEmail({ request, reportedAt: request.updatedAt, stopped: true }), 'routine');
      mail('report-stopped', ownerAddresses(request), reportedRequestStoppedOwnerEmail({ request, ...reportReachOf(deps.settings) }));
    } else if (wasSent(request, events, 'change-requested')) {
      // Only an address told of the request hears how it ended: the form must not mail arbitrary
      // addresses, and an owner never told of a request needs no news of its end.
      mail('outcome', [request.currentEmail], requestOutcomeEmail({ request }));
    }
  } else if (request.status === 'Failed') {
    // A step before the decision may have failed for good too: then nobody approved, and the
    // approvers who were asked hear it was closed, like the others of an approved request.
    for (const [key, to, parts] of othersTold(request, events)) mail(key, to, parts);
    // Routine: `mail` is back or was never changed; a `mail` still changed has its own urgent alert.
    alert('admin-failure', resetFailedAdminEmail({ request }), 'routine');
    // The approver expects a "done": tell them it did not happen, with what Graph said.
    if (request.decision?.outcome === 'approved') mail('approver-failure', [request.decision.by], resetFailedAdminEmail({ request, reader: 'approver' }));
    // As for the other endings: only an address told of the request hears how it ended.
    if (wasSent(request, events, 'change-requested')) mail('outcome', [request.currentEmail], requestOutcomeEmail({ request }));
  }

  let state: OutcomeMailsState = 'sent';
  try {
    for (const [key, send] of owed) {
      try {
        await send();
      } catch (error) {
        if (!(error instanceof GraphRequestError)) throw error;
        state = 'pending';
        await recordMailFailure(deps, requestId, events, key, error);
      }
    }
  } finally {
    await mailOnce.flush();
  }
  return state;
}

/** The alert shows the latest refusal and the end of the tries, which started at the first. */
function restoreAlert(deps: ActivityDependencies, request: EmailChangeRequest, events: readonly AuditEvent[]): MailParts {
  const tries = events.filter((event) => event.type === 'MailRestoreFailed');
  const latest = tries.at(-1)?.detail;
  const failure =
    typeof latest?.code === 'string' && typeof latest.message === 'string'
      ? { code: latest.code, message: latest.message, ...(typeof latest.requestId === 'string' ? { requestId: latest.requestId } : {}) }
      : undefined;
  const firstFailedAt = tries[0] ? Date.parse(tries[0].at) : deps.clock().getTime();
  const retryUntil = new Date(firstFailedAt + MAIL_RESTORE_WINDOW_MS).toISOString();
  return mailRestoreFailedAdminEmail({ request, ...(failure ? { failure } : {}), retryUntil });
}

/** The `MailSent` marker `mailOnce` writes for that key (its audit id). */
function wasSent(request: EmailChangeRequest, events: readonly AuditEvent[], key: string): boolean {
  return events.some((event) => event.id === `${request.id}:mail:${key}`);
}

/**
 * Every approver who was asked and did not decide hears how the request ended, so nobody acts on
 * a dead link. Approvers resolved but never mailed (the request ended first) are not bothered.
 */
function othersTold(request: EmailChangeRequest, events: readonly AuditEvent[]): [string, string[], MailParts][] {
  const decider = request.decision?.by.toLowerCase();
  return request.approvers
    .filter((approver) => approver.mail.toLowerCase() !== decider && wasSent(request, events, `approval:${approver.id || approver.mail}`))
    .map((approver) => [`ended:${approver.id || approver.mail}`, [approver.mail], requestEndedApproverEmail({ request, approver })]);
}
