import { trackLinkExpiry } from '../domain/linkLifetimes.js';
import { mintLink } from '../store/mintLink.js';
import { CANCEL_REQUESTED, cancelEventOf, claimConfirmation, CONFIRMATION_DEADLINE_PASSED, NEW_EMAIL_CONFIRMED, recordedConfirmationClaim } from '../store/outcomeClaim.js';
import { newAddressConfirmationEmail, requestReceivedEmail } from '../templates/emails.js';
import type { ConfirmationOutcome, RequestConfirmationInput } from '../workflow/activityContract.js';
import { auditEvent, requireRequest, type ActivityDependencies } from './activityDependencies.js';
import { mailOnceFor } from './mailOnce.js';

/**
 * Mails the NEW address, whether or not the guest exists (DESIGN §2 step 3): a confirmation link
 * and the requester's tracking link, moving the request to `AwaitingConfirmation`; or, with
 * confirmation turned off, only the tracking link. Nothing here asks the directory.
 */
export async function requestConfirmation(deps: ActivityDependencies, input: RequestConfirmationInput): Promise<void> {
  const { store, settings } = deps;
  const { requestId, expiresAt, required } = input;
  let request = await requireRequest(store, requestId);
  if (request.status !== 'Received') return;
  const events = await store.listEvents(requestId);
  if (required) {
    request = await store.updateRequest(
      requestId,
      { status: 'AwaitingConfirmation', deadline: expiresAt },
      auditEvent(deps, requestId, 'confirmation-requested', 'ConfirmationRequested', 'system', { to: request.newEmail, expiresAt }),
    );
  }
  const trackExpiresAt = trackLinkExpiry(deps.clock(), { confirmationTimeoutMs: settings.CONFIRMATION_TIMEOUT, approvalTimeoutMs: settings.APPROVAL_TIMEOUT });
  const trackUrl = () => mintLink(store, settings.PUBLIC_BASE_URL, { requestId, purpose: 'track', expiresAt: trackExpiresAt });
  const mailOnce = await mailOnceFor(deps, requestId, events);
  if (!required) {
    await mailOnce('received', [request.newEmail], async () => requestReceivedEmail({ request, trackUrl: await trackUrl(), trackExpiresAt }));
    return;
  }
  await mailOnce('confirmation', [request.newEmail], async () => {
    const confirmUrl = await mintLink(store, settings.PUBLIC_BASE_URL, { requestId, purpose: 'confirmation', expiresAt });
    return newAddressConfirmationEmail({ request, confirmUrl, trackUrl: await trackUrl(), expiresAt });
  });
}

/**
 * The confirmation deadline fired. A confirmation or a cancel accepted just before it (its claim
 * written, its event not yet read) stands; otherwise the deadline claims the wait. Run again, it
 * finds its own claim and still answers the deadline.
 */
export async function settleConfirmation(deps: ActivityDependencies, requestId: string): Promise<ConfirmationOutcome> {
  const first = await claimConfirmation(deps.store, { requestId, at: deps.clock().toISOString(), type: CONFIRMATION_DEADLINE_PASSED, actor: 'system' });
  if (!first || first.type === CONFIRMATION_DEADLINE_PASSED) return { kind: 'deadline' };
  if (first.type === CANCEL_REQUESTED) return { kind: 'cancel', cancel: cancelEventOf(first) };
  return { kind: 'confirmed' };
}

/**
 * Stores when the new address confirmed, from its claim; the request then goes on to screening.
 * The claim, not the event, decides: a confirmation event that lost its claim to a cancel or the
 * deadline (raised again by a stale link, say) answers that outcome instead, so nobody is asked.
 */
export async function recordConfirmation(deps: ActivityDependencies, requestId: string): Promise<ConfirmationOutcome> {
  const { store } = deps;
  const request = await requireRequest(store, requestId);
  const claim = recordedConfirmationClaim(await store.listEvents(requestId));
  if (claim?.type === CANCEL_REQUESTED) return { kind: 'cancel', cancel: cancelEventOf(claim) };
  if (claim?.type === CONFIRMATION_DEADLINE_PASSED) return { kind: 'deadline' };
  if (!request.confirmedAt && request.status === 'AwaitingConfirmation') {
    const confirmedAt = claim?.type === NEW_EMAIL_CONFIRMED ? claim.at : deps.clock().toISOString();
    await store.updateRequest(requestId, { confirmedAt }, auditEvent(deps, requestId, 'confirmed', 'Confirmed', request.newEmail));
  }
  return { kind: 'confirmed' };
}
