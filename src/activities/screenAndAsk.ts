import type { AuditEvent, EmailChangeRequest } from '../domain/request.js';
import { recordedClaim } from '../store/outcomeClaim.js';
import type { ScreenAndAskInput, ScreenAndAskResult } from '../workflow/activityContract.js';
import { auditEvent, requireRequestWithEvents, type ActivityDependencies } from './activityDependencies.js';
import { askApprovers, newApprovalLinks, tokensOf } from './askApprovers.js';
import { confirmationOf } from './confirmation.js';
import { declineRequest, lockWhileAwaiting, screenGuest, skippedEvents, takeGuestLock } from './screenRequest.js';

/**
 * Version 4 on, the step after the new address confirmed (DESIGN §2 steps 3–4), doing what version
 * 3 did in `recordConfirmation`, `screenRequest` and the first `requestApproval` with one read and
 * one write of the request: the confirmation (from its claim), the screening, the guest's lock,
 * then the guest, approvers, `AwaitingApproval` and every link's hash in one transaction, and only
 * then the mails. Until that write stores the guest, this step releases the lock itself on the way
 * out, also one that an earlier run took before it stopped. Run again, it finds what the first run
 * stored, makes sure the lock is still held, and sends only what is still owed.
 */
export async function screenAndAsk(deps: ActivityDependencies, input: ScreenAndAskInput): Promise<ScreenAndAskResult> {
  const { store, settings } = deps;
  const { requestId, deadline } = input;
  const { request, events } = await requireRequestWithEvents(store, requestId);
  const confirmation = confirmationOf(deps, request, events);
  if (confirmation.outcome.kind !== 'confirmed') return { outcome: 'unconfirmed', confirmation: confirmation.outcome };
  const confirmed = { changes: confirmation.record?.changes ?? {}, events: confirmation.record ? [confirmation.record.event] : [] };

  if (request.status === 'Declined') return { outcome: 'declined', reason: request.declineReason ?? 'GuestNotFound' };
  if (request.status === 'AwaitingApproval') {
    // A re-run: what the first run did not mail is still owed, unless the wait has its outcome.
    if (!recordedClaim(events)) {
      await holdGuestLock(deps, request);
      await askApprovers(deps, request, events, { deadline: request.deadline ?? deadline, reminder: false });
    }
    return { outcome: 'asked' };
  }
  if (request.status !== 'AwaitingConfirmation' && request.status !== 'Received') {
    throw new Error(`Request ${requestId} is ${request.status}; it cannot be screened`);
  }
  // A cancel claimed the approval wait since the confirmation: nobody is asked, and the waiting
  // instance reads the cancel next.
  const cancelled = async (trail: readonly AuditEvent[]) => {
    if (!recordedClaim(trail)) return false;
    if (confirmation.record) await store.updateRequest(requestId, confirmed.changes, confirmed.events);
    return true;
  };
  // An earlier run may have stopped between taking the lock and the write that stores the guest:
  // each way out before that write lets such a lock go, found by the request (the guest may not be
  // known yet, or found any more), and before a decline is stored (a re-run stops at that).
  if (await cancelled(events)) {
    await store.releaseGuestLocksHeldBy(requestId);
    return { outcome: 'asked' };
  }

  const screening = await screenGuest(deps, request);
  if ('declined' in screening) {
    await store.releaseGuestLocksHeldBy(requestId);
    return declineRequest(deps, request, screening, confirmed);
  }
  const { guest, approvers, skipped } = screening;
  const taken = await takeGuestLock(deps, request, guest, settings.APPROVAL_TIMEOUT);
  if (taken) return declineRequest(deps, request, taken, { ...confirmed, events: [...confirmed.events, ...skippedEvents(deps, requestId, skipped)] });

  const links = newApprovalLinks(deps, requestId, approvers, deadline);
  let asking: EmailChangeRequest;
  try {
    // The directory may have been slow (Graph throttling): look again just before anyone is asked.
    if (await cancelled(await store.listEvents(requestId))) {
      await store.releaseGuestLock(guest.id, requestId);
      return { outcome: 'asked' };
    }
    const mails = approvers.map((a) => a.mail);
    const trail: AuditEvent[] = [
      ...confirmed.events,
      ...skippedEvents(deps, requestId, skipped),
      auditEvent(deps, requestId, 'screened', 'Screened', 'system', { guestId: guest.id, approvers: mails }),
      auditEvent(deps, requestId, 'approval-requested', 'ApprovalRequested', 'system', { approvers: mails, deadline }),
    ];
    const changes: Partial<EmailChangeRequest> = {
      ...confirmed.changes,
      guestId: guest.id,
      guestDisplayName: guest.displayName,
      guestMail: guest.mail,
      approvers,
      status: 'AwaitingApproval',
      deadline,
    };
    asking = await store.updateRequest(requestId, changes, trail, tokensOf(links));
  } catch (error) {
    // The guest is not stored on the request yet, so no ending step would release its lock.
    await store.releaseGuestLock(guest.id, requestId).catch(() => undefined);
    throw error;
  }
  await askApprovers(deps, asking, events, { deadline, reminder: false, links });
  return { outcome: 'asked' };
}

/**
 * A re-run of a request already asked: its write may have committed though the call answered an
 * error, and the catch above then let the lock go. It is taken back unless another request took it
 * in between; then that one stays the guest's active request, and this one's reset is refused
 * `DuplicateActiveRequest` (`approveAndReset` takes the lock again before it touches Graph).
 */
async function holdGuestLock(deps: ActivityDependencies, request: EmailChangeRequest): Promise<void> {
  if (request.guestId) await lockWhileAwaiting(deps, request.guestId, request.id, deps.settings.APPROVAL_TIMEOUT);
}
