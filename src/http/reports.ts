import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { adminAlertsFor, reportReachOf } from '../activities/adminAlerts.js';
import type { EmailChangeRequest, RequestStatus } from '../domain/request.js';
import { ownerReportAdminEmail } from '../templates/emails.js';
import { reportPage, reportResultPage } from '../templates/requesterPages.js';
import { decisionOf } from './approvalState.js';
import { cancelRequest } from './cancelRequest.js';
import { ensureAdminDigestLoop } from './ensureAdminDigestLoop.js';
import { findOrchestration, type HttpDependencies, type OrchestrationClient } from './dependencies.js';
import { respondSafely } from './errors.js';
import { antiForgeryFor, isExpired, linkExpired, openLink, readLinkForm } from './linkAccess.js';
import { pageResponse } from './security.js';

/** Statuses in which a report can still stop the request. */
const UNDECIDED: readonly RequestStatus[] = ['Received', 'AwaitingConfirmation', 'AwaitingApproval'];
/** Statuses past the approval: the change was made, is being made, or was tried. */
const APPROVED: readonly RequestStatus[] = ['Approved', 'Completed', 'Failed'];

const stoppedByOwner = (request: EmailChangeRequest): boolean => request.status === 'Cancelled' && request.cancelledBy === 'owner';

/** `GET /api/reports/{token}`: "This wasn't me", from the notice to the current address. */
export function showReport(request: HttpRequest, context: InvocationContext, deps: HttpDependencies): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const { token, request: emailChange } = await openLink(deps.store, 'report', request.params.token);
    if (isExpired(token, deps.clock())) throw linkExpired();
    // Stopped by this very report already: say so, rather than invite a second one.
    if (stoppedByOwner(emailChange)) return pageResponse(200, reportResultPage({ stopped: true, completed: false, ...reportReachOf(deps.settings) }));
    const page = reportPage({ request: emailChange, action: new URL(request.url).pathname, csrf: antiForgeryFor(deps.settings.APPROVAL_FORM_SECRET, token), ...reportReachOf(deps.settings) });
    return pageResponse(200, page);
  });
}

/**
 * `POST /api/reports/{token}`: the owner of the current address says they did not ask. An
 * undecided request is cancelled as reported by the owner, and the instance tells the admins, the
 * approvers and the owner. Past deciding (or when another cancel came first) nothing can be
 * stopped here, so the admins are alerted at once. Either way the report is audited once; past the
 * approval the request is marked `reportedByOwner` with that audit event, as an owner's cancel
 * marks it, so the admin list and its "owner reports" figure show it.
 */
export function reportRequest(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const { token, request: emailChange } = await openLink(deps.store, 'report', request.params.token);
    await readLinkForm(request, deps.settings.APPROVAL_FORM_SECRET, deps.settings.PUBLIC_BASE_URL, token);
    const now = deps.clock();
    if (isExpired(token, now)) throw linkExpired();
    // Pressed again (a refresh, a second tab): the request this owner stopped stays stopped, as said.
    if (stoppedByOwner(emailChange)) return pageResponse(200, reportResultPage({ stopped: true, completed: false, ...reportReachOf(deps.settings) }));
    const at = now.toISOString();
    const owner = emailChange.currentEmail;
    const reportEvent = { requestId: emailChange.id, id: 'reported-by-owner', at, type: 'ReportedByOwner', actor: owner, detail: { status: emailChange.status } };

    let stopped = false;
    let ownCancel = false;
    let reported = emailChange;
    if (UNDECIDED.includes(emailChange.status)) {
      const orchestration = await findOrchestration(client, emailChange.id);
      const reason = "Reported by the owner of the current address: this wasn't me.";
      const attempt = await cancelRequest(deps.store, client, { request: emailChange, orchestration }, { by: owner, origin: 'owner', reason, at });
      stopped = attempt.kind === 'accepted';
      // The cancel that stands may be an earlier one (an admin's, the requester's), not the owner's.
      ownCancel = attempt.kind === 'accepted' && attempt.cancel.origin === 'owner';
      // An approval recorded but not applied by the instance yet (for a second, or until the
      // deadline when raising it failed) is as good as Approved: the reset goes ahead.
      const decided = attempt.kind === 'refused' && attempt.decision ? decisionOf(attempt.decision) : undefined;
      if (decided?.outcome === 'approved') reported = { ...emailChange, status: 'Approved', decision: decided };
    }
    if (!ownCancel && APPROVED.includes(reported.status)) {
      // The mark and the event in one write, conditional on the request's etag: a reset storing its
      // outcome meanwhile makes one of the two read again and keep the other's fields. A repeated
      // report finds the event written and changes nothing.
      await deps.store.updateRequest(emailChange.id, { reportedByOwner: true }, reportEvent);
    } else {
      await deps.store.appendEvent(reportEvent);
    }
    // The instance alerts the admins of a cancel that is the owner's; anything else is alerted here,
    // at once when the change was made or is being made: someone may have taken the account.
    if (!ownCancel) {
      const alertAdmins = await adminAlertsFor(deps, emailChange);
      const urgency = !stopped && (reported.status === 'Approved' || reported.status === 'Completed') ? 'urgent' : 'routine';
      await alertAdmins('owner-report', ownerReportAdminEmail({ request: reported, reportedAt: at, stopped }), urgency);
      await ensureAdminDigestLoop(client, deps.settings, context);
    }
    return pageResponse(200, reportResultPage({ stopped, completed: emailChange.status === 'Completed', ...reportReachOf(deps.settings) }));
  });
}
