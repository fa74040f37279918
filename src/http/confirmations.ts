import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { trackLinkExpiry } from '../domain/linkLifetimes.js';
import type { EmailChangeRequest } from '../domain/request.js';
import { newLink } from '../store/mintLink.js';
import { CANCEL_REQUESTED, claimConfirmationWithToken, NEW_EMAIL_CONFIRMED, recordedConfirmationClaim } from '../store/outcomeClaim.js';
import type { StoredLinkToken } from '../store/requestStore.js';
import { confirmationPage, confirmedPage } from '../templates/requesterPages.js';
import { EVENTS } from '../workflow/contract.js';
import type { HttpDependencies, OrchestrationClient } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
import { antiForgeryFor, isExpired, openLink, readLinkForm } from './linkAccess.js';
import { raiseEventPatiently } from './raiseEventPatiently.js';
import { pageResponse } from './security.js';

const ALREADY_CONFIRMED = () =>
  new HttpError('Gone', 'This request was already confirmed. Follow it with the tracking link in the email.', { title: 'Already confirmed' });
const EXPIRED = () => new HttpError('Gone', 'This confirmation link has expired, so the request was closed. Submit a new request if you still need the change.', { title: 'Link expired' });
const CANCELLED = () => new HttpError('Gone', 'This request was cancelled, so it no longer needs confirming.', { title: 'Request cancelled' });

/** Why a confirmation link can no longer confirm, as a 410 to throw; undefined while it can. */
function closedReason(token: StoredLinkToken, request: EmailChangeRequest, now: Date): HttpError | undefined {
  if (token.usedAt || request.confirmedAt) return ALREADY_CONFIRMED();
  if (request.status === 'Cancelled') return CANCELLED();
  // The request's deadline too: a link minted by a re-run of the first step may outlive the one mailed.
  const pastDeadline = request.deadline !== undefined && !(now.getTime() < Date.parse(request.deadline));
  if (request.status === 'Expired' || isExpired(token, now) || pastDeadline) return EXPIRED();
  if (request.status !== 'AwaitingConfirmation') return ALREADY_CONFIRMED();
  return undefined;
}

/**
 * `GET /api/confirmations/{token}`: what was asked, and a button. It never confirms (mail scanners
 * open links). Opened again after a confirmation the instance may not have received, it passes
 * the confirmation on again.
 */
export function showConfirmation(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const { token, request: emailChange } = await openLink(deps.store, 'confirmation', request.params.token);
    const closed = closedReason(token, emailChange, deps.clock());
    // Only a confirmation that won its claim is passed on again: a link used before its use and
    // its claim were one transaction can also be one whose confirmation lost to a cancel or the deadline.
    if (token.usedAt && emailChange.status === 'AwaitingConfirmation' && !emailChange.confirmedAt) {
      const claim = recordedConfirmationClaim(await deps.store.listEvents(emailChange.id));
      if (claim?.type === NEW_EMAIL_CONFIRMED) await raiseEventPatiently(client, emailChange.id, EVENTS.newEmailConfirmed, {});
    }
    if (closed) throw closed;
    const page = confirmationPage({
      request: emailChange,
      action: new URL(request.url).pathname,
      csrf: antiForgeryFor(deps.settings.APPROVAL_FORM_SECRET, token),
      expiresAt: token.expiresAt,
    });
    return pageResponse(200, page);
  });
}

/**
 * `POST /api/confirmations/{token}`: the new address's owner confirms. The link is single-use, and
 * the confirmation claims the wait, so a cancel or the deadline in the same instant cannot both
 * win; the link is used only together with a claim that won. The answer carries the requester's
 * private tracking link, minted afresh (stored in the same transaction).
 */
export function confirmRequest(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const opened = await openLink(deps.store, 'confirmation', request.params.token);
    const { token, request: emailChange } = opened;
    await readLinkForm(request, deps.settings.APPROVAL_FORM_SECRET, deps.settings.PUBLIC_BASE_URL, token);
    const now = deps.clock();
    const closed = closedReason(token, emailChange, now);
    if (closed) throw closed;
    const { settings } = deps;
    const trackLink = newLink(settings.PUBLIC_BASE_URL, {
      requestId: emailChange.id,
      purpose: 'track',
      expiresAt: trackLinkExpiry(now, { confirmationTimeoutMs: settings.CONFIRMATION_TIMEOUT, approvalTimeoutMs: settings.APPROVAL_TIMEOUT }),
    });
    const claim = { requestId: emailChange.id, at: now.toISOString(), type: NEW_EMAIL_CONFIRMED, actor: emailChange.newEmail } as const;
    const first = await claimConfirmationWithToken(deps.store, opened, claim, trackLink.token);
    if (first === 'tokenSpent') throw ALREADY_CONFIRMED();
    if (first?.type === CANCEL_REQUESTED) throw CANCELLED();
    if (first?.type === NEW_EMAIL_CONFIRMED) throw ALREADY_CONFIRMED();
    if (first) throw EXPIRED();
    await raiseEventPatiently(client, emailChange.id, EVENTS.newEmailConfirmed, {});
    return pageResponse(200, confirmedPage({ request: emailChange, trackUrl: trackLink.url }));
  });
}
