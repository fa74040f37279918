import { trackLinkExpiry } from '../domain/linkLifetimes.js';
import type { AuditEvent, EmailChangeRequest } from '../domain/request.js';
import { mintLink, newLink } from '../store/mintLink.js';
import type { LinkPurpose } from '../store/requestStore.js';
import type { EmailChangeOrchestrationInput } from '../workflow/contract.js';
import { CANCEL_REQUESTED, cancelEventOf, claimConfirmation, CONFIRMATION_DEADLINE_PASSED, NEW_EMAIL_CONFIRMED, recordedConfirmationClaim } from '../store/outcomeClaim.js';
import { newAddressConfirmationEmail, requestReceivedEmail } from '../templates/emails.js';
import type { BeginResult, ConfirmationOutcome, RequestConfirmationInput } from '../workflow/activityContract.js';
import { approvalPolicyOf, auditEvent, requireRequest, requireRequestWithEvents, type ActivityDependencies } from './activityDependencies.js';
import { mailOnceFor } from './mailOnce.js';
import { sendOrFailAudited } from './mailFailure.js';

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
 * Version 4 on, the first step: stores the submission and mails the NEW address, whether or not
 * the guest exists (DESIGN §2 steps 1–3), like `recordRequest` and `requestConfirmation` but in one
 * transaction: the request (already `AwaitingConfirmation`), its first audit events and the hashes
 * of the links the mail carries. Also answers the durations the instance keeps for its whole life,
 * and when the confirmation link expires (on a re-run, the one the first run stored and mailed).
 */
export async function beginRequest(deps: ActivityDependencies, input: EmailChangeOrchestrationInput): Promise<BeginResult> {
  const { store, settings } = deps;
  const policy = approvalPolicyOf(settings);
  const required = policy.confirmationRequired ?? true;
  const { requestId } = input;
  const now = deps.clock();
  const expiresAt = new Date(now.getTime() + settings.CONFIRMATION_TIMEOUT).toISOString();
  const trackExpiresAt = trackLinkExpiry(now, { confirmationTimeoutMs: settings.CONFIRMATION_TIMEOUT, approvalTimeoutMs: settings.APPROVAL_TIMEOUT });
  const link = (purpose: LinkPurpose, until: string) => newLink(settings.PUBLIC_BASE_URL, { requestId, purpose, expiresAt: until });
  const track = link('track', trackExpiresAt);
  const confirm = required ? link('confirmation', expiresAt) : undefined;

  const submitted: EmailChangeRequest = {
    id: requestId,
    ...input.submission,
    status: required ? 'AwaitingConfirmation' : 'Received',
    source: input.source,
    submittedAt: input.submittedAt,
    updatedAt: input.submittedAt,
    approvers: [],
    ...(required ? { deadline: expiresAt } : {}),
  };
  const events = [{ ...auditEvent(deps, requestId, 'submitted', 'Submitted', 'requester', { source: input.source }), at: input.submittedAt }];
  if (required) events.push(auditEvent(deps, requestId, 'confirmation-requested', 'ConfirmationRequested', 'system', { to: submitted.newEmail, expiresAt }));
  const { request, created } = await store.createRequest(submitted, events, [track.token, ...(confirm ? [confirm.token] : [])]);
  const confirmationExpiresAt = request.deadline ?? expiresAt;
  // A re-run finds the request moved on (confirmed, cancelled): the mail went out before that.
  if (request.status !== submitted.status) return { policy, confirmationExpiresAt };

  // A new request has no trail to read: no mail of it can have been sent.
  const trail = created ? [] : await deps.store.listEvents(requestId);
  const mailOnce = await mailOnceFor(deps, requestId, trail);
  const [key, parts] = confirm
    ? ['confirmation', newAddressConfirmationEmail({ request, confirmUrl: confirm.url, trackUrl: track.url, expiresAt: confirmationExpiresAt })]
    : ['received', requestReceivedEmail({ request, trackUrl: track.url, trackExpiresAt })];
  await sendOrFailAudited(deps, requestId, trail, key, () => mailOnce(key, [request.newEmail], parts));
  return { policy, confirmationExpiresAt };
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
 * What the confirmation wait's claim says, and (when the address confirmed and that is not stored
 * yet) the change and audit event that store it. The claim, not the event, decides: a confirmation
 * event that lost its claim to a cancel or the deadline (raised again by a stale link, say) answers
 * that outcome instead, so nobody is asked.
 */
export function confirmationOf(
  deps: ActivityDependencies,
  request: EmailChangeRequest,
  events: readonly AuditEvent[],
): { outcome: ConfirmationOutcome; record?: { changes: Partial<EmailChangeRequest>; event: AuditEvent } } {
  const claim = recordedConfirmationClaim(events);
  if (claim?.type === CANCEL_REQUESTED) return { outcome: { kind: 'cancel', cancel: cancelEventOf(claim) } };
  if (claim?.type === CONFIRMATION_DEADLINE_PASSED) return { outcome: { kind: 'deadline' } };
  if (request.confirmedAt || request.status !== 'AwaitingConfirmation') return { outcome: { kind: 'confirmed' } };
  const confirmedAt = claim?.type === NEW_EMAIL_CONFIRMED ? claim.at : deps.clock().toISOString();
  return { outcome: { kind: 'confirmed' }, record: { changes: { confirmedAt }, event: auditEvent(deps, request.id, 'confirmed', 'Confirmed', request.newEmail) } };
}

/** Version 3: stores when the new address confirmed, from its claim; the request then goes on to screening. */
export async function recordConfirmation(deps: ActivityDependencies, requestId: string): Promise<ConfirmationOutcome> {
  const { request, events } = await requireRequestWithEvents(deps.store, requestId);
  const { outcome, record } = confirmationOf(deps, request, events);
  if (record) await deps.store.updateRequest(requestId, record.changes, record.event);
  return outcome;
}
