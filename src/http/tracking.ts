import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { trackingStatusOf, type TrackingStatus } from '../domain/trackingStatus.js';
import type { EmailChangeRequest } from '../domain/request.js';
import { CANCEL_REQUESTED, claimCancel, recordedClaim } from '../store/outcomeClaim.js';
import { requestCancelledPage, trackPage } from '../templates/requesterPages.js';
import { cancelRequest } from './cancelRequest.js';
import { findOrchestration, type HttpDependencies, type OrchestrationClient } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
import { antiForgeryFor, isExpired, linkExpired, openLink, readLinkForm } from './linkAccess.js';
import { pageResponse } from './security.js';

const REQUESTER = 'requester';

/**
 * The coarse status. A declined request keeps its status when its requester cancels it, so its
 * claim is read (only then) to close its page exactly as a waiting request's cancel does.
 */
async function statusOf(deps: HttpDependencies, request: EmailChangeRequest): Promise<{ status: TrackingStatus; declinedAndCancelled: boolean }> {
  const { settings } = deps;
  const declinedAndCancelled = request.status === 'Declined' && recordedClaim(await deps.store.listEvents(request.id))?.type === CANCEL_REQUESTED;
  const policy = { confirmationRequired: settings.REQUIRE_NEW_EMAIL_CONFIRMATION, approvalTimeoutMs: settings.APPROVAL_TIMEOUT };
  return { status: trackingStatusOf(request, deps.clock(), policy, declinedAndCancelled), declinedAndCancelled };
}

/** `GET /api/track/{token}`: the requester's tracking page (DESIGN §4). */
export function showTracking(request: HttpRequest, context: InvocationContext, deps: HttpDependencies): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const { token, request: emailChange } = await openLink(deps.store, 'track', request.params.token);
    if (isExpired(token, deps.clock())) throw linkExpired();
    const { status } = await statusOf(deps, emailChange);
    const cancel = status.cancellable ? { action: new URL(request.url).pathname, csrf: antiForgeryFor(deps.settings.APPROVAL_FORM_SECRET, token) } : undefined;
    return pageResponse(200, trackPage({ request: emailChange, status, ...(cancel ? { cancel } : {}) }));
  });
}

/**
 * `POST /api/track/{token}` with `action=cancel`: the requester cancels a request not yet decided
 * (202 page), or is told it already was (409 page). A declined request answers exactly like a
 * waiting one while its page still reads "In review", so the answer reveals nothing either.
 */
export function cancelFromTracking(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const { token, request: emailChange } = await openLink(deps.store, 'track', request.params.token);
    const fields = await readLinkForm(request, deps.settings.APPROVAL_FORM_SECRET, deps.settings.PUBLIC_BASE_URL, token);
    const now = deps.clock();
    if (isExpired(token, now)) throw linkExpired();
    if (fields.action !== 'cancel') throw new HttpError('ValidationFailed', 'Use the Cancel button on the tracking page.');
    const at = now.toISOString();
    const reason = 'Cancelled by the requester on the tracking page.';
    const { status, declinedAndCancelled } = await statusOf(deps, emailChange);
    const cancelled = () => pageResponse(202, requestCancelledPage({ request: emailChange }));
    // Cancelled by this requester already (a double click): the same answer again.
    if ((emailChange.status === 'Cancelled' && emailChange.cancelledBy === 'requester') || declinedAndCancelled) return cancelled();
    if (emailChange.status === 'Declined' && status.cancellable) {
      // Nothing to stop, but the cancel is recorded (once) so the page closes like a waiting request's.
      await claimCancel(deps.store, emailChange, { requestId: emailChange.id, at, actor: REQUESTER, detail: { reason, origin: 'requester' } });
      return cancelled();
    }
    const orchestration = await findOrchestration(client, emailChange.id);
    const attempt = await cancelRequest(deps.store, client, { request: emailChange, orchestration }, { by: REQUESTER, origin: 'requester', reason, at });
    if (attempt.kind === 'refused') {
      throw new HttpError(attempt.code, `This request can no longer be cancelled: it is ${status.label === 'Completed' ? 'completed' : 'already decided or closed'}.`, {
        title: 'Already decided',
      });
    }
    return cancelled();
  });
}
