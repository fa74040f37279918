import { checkEligibility } from '../domain/eligibility.js';
import { checkDomainPolicy, domainPolicyOf } from '../domain/emailPolicy.js';
import { lockExpiryWhileAwaiting } from '../domain/guestLock.js';
import type { SkippedApprover } from '../domain/approvers.js';
import { isFinal, type Approver, type AuditEvent, type DeclineReason, type EmailChangeRequest } from '../domain/request.js';
import type { DirectoryUser } from '../graph/graphGateway.js';
import { anotherAttemptApproverEmail, anotherAttemptGuestEmail, noApproverAdminEmail } from '../templates/emails.js';
import type { ScreeningResult } from '../workflow/activityContract.js';
import type { GuestLock } from '../store/requestStore.js';
import { auditEvent, requireRequest, type ActivityDependencies } from './activityDependencies.js';
import { adminAlertsFor } from './adminAlerts.js';
import { mailOnceFor } from './mailOnce.js';
import { resolveApprovers } from './resolveApprovers.js';

/** What the directory says of a request's guest: why it is declined, or who may approve. */
export type Screening =
  | { declined: DeclineReason; guest?: DirectoryUser; detail?: Record<string, unknown>; skipped?: SkippedApprover[] }
  | { guest: DirectoryUser; approvers: Approver[]; skipped: SkippedApprover[] };

/**
 * Decides whether a request may go to approval (DESIGN §2 step 3, §5): domain policy before any
 * Graph call, then the guest, its eligibility and its approvers. Writes nothing.
 */
export async function screenGuest(deps: ActivityDependencies, request: EmailChangeRequest): Promise<Screening> {
  const { graph, settings } = deps;
  const domain = checkDomainPolicy(request.newEmail, domainPolicyOf(settings));
  if (!domain.allowed) return { declined: 'DomainNotAllowed', detail: { why: domain.why } };

  // The guest and its roles in one read (a second only for a guest in 20 groups or more).
  const guest = await graph.findUserWithRolesByEmail(request.currentEmail);
  if (!guest) return { declined: 'GuestNotFound' };

  const ineligible = checkEligibility(guest, guest.directoryRoles);
  if (ineligible) return { declined: ineligible, guest };

  const { approvers, skipped } = await resolveApprovers(graph, settings, guest, request);
  if (approvers.length === 0) return { declined: 'NoApprover', guest, detail: { skipped: skipped.length }, skipped };
  return { guest, approvers, skipped };
}

/** Audits each candidate passed over (`ApproverSkipped`), by tier and reason. */
export function skippedEvents(deps: ActivityDependencies, requestId: string, skipped: readonly SkippedApprover[] = []): AuditEvent[] {
  return skipped.map((skip) => auditEvent(deps, requestId, `approver-skipped:${skip.tier}:${skip.id || skip.mail}`, 'ApproverSkipped', 'system', { ...skip }));
}

/**
 * Stores a decline with its audit (and `also`: events and changes of the same step). Nobody to
 * approve tells the admins first: a re-run stops at the stored decline, so it must not be owed a mail.
 */
export async function declineRequest(
  deps: ActivityDependencies,
  request: EmailChangeRequest,
  screening: Extract<Screening, { declined: DeclineReason }>,
  also: { changes?: Partial<EmailChangeRequest>; events?: AuditEvent[] } = {},
): Promise<{ outcome: 'declined'; reason: DeclineReason }> {
  const { declined: reason, guest, skipped } = screening;
  const requestId = request.id;
  const changes: Partial<EmailChangeRequest> = { ...also.changes, status: 'Declined', declineReason: reason };
  if (guest) Object.assign(changes, { guestId: guest.id, guestDisplayName: guest.displayName });
  if (reason === 'NoApprover' && guest) {
    const declinedRequest = { ...request, guestId: guest.id, guestDisplayName: guest.displayName };
    const alertAdmins = await adminAlertsFor(deps, declinedRequest);
    await alertAdmins('admin-no-approver', noApproverAdminEmail({ request: declinedRequest, skipped: skipped ?? [] }), 'routine');
  }
  const declinedEvent = auditEvent(deps, requestId, 'declined', 'Declined', 'system', { reason, ...screening.detail });
  await deps.store.updateRequest(requestId, changes, [...(also.events ?? []), ...skippedEvents(deps, requestId, skipped), declinedEvent]);
  return { outcome: 'declined', reason };
}

/**
 * Version 3 and before: screens (`screenGuest`), then stores the guest and approvers and takes the
 * per-guest lock last, so a decline never leaves a lock behind. The guest id is stored before the
 * lock is taken, so whichever step ends the request can release it.
 */
export async function screenRequest(deps: ActivityDependencies, requestId: string): Promise<ScreeningResult> {
  const { settings, store } = deps;
  const request = await requireRequest(store, requestId);
  if (request.status === 'Declined') return { outcome: 'declined', reason: request.declineReason ?? 'GuestNotFound' };

  const screening = await screenGuest(deps, request);
  if ('declined' in screening) return declineRequest(deps, request, screening);
  const { guest, approvers, skipped } = screening;

  await store.updateRequest(requestId, { guestId: guest.id, guestDisplayName: guest.displayName, guestMail: guest.mail, approvers }, [
    ...skippedEvents(deps, requestId, skipped),
    auditEvent(deps, requestId, 'screened', 'Screened', 'system', { guestId: guest.id, approvers: approvers.map((a) => a.mail) }),
  ]);
  const lock = await takeGuestLock(deps, request, guest, settings.APPROVAL_TIMEOUT);
  if (lock) return declineRequest(deps, request, lock);
  return { outcome: 'eligible', guest: { id: guest.id, displayName: guest.displayName }, approvers };
}

/**
 * One active request per guest: takes the guest's lock until the approval deadline has passed;
 * when another request holds it, warns that request's people and answers the decline to store.
 */
export async function takeGuestLock(
  deps: ActivityDependencies,
  request: EmailChangeRequest,
  guest: DirectoryUser,
  approvalTimeoutMs: number,
): Promise<Extract<Screening, { declined: DeclineReason }> | undefined> {
  const lock = await lockWhileAwaiting(deps, guest.id, request.id, approvalTimeoutMs);
  if (lock.requestId === request.id) return undefined;
  await warnOfAnotherAttempt(deps, request, guest, lock.requestId);
  return { declined: 'DuplicateActiveRequest', guest, detail: { activeRequestId: lock.requestId } };
}

/** Takes (or keeps) the guest's lock for a request awaiting approval; the lock as it now stands, perhaps another request's. */
export function lockWhileAwaiting(deps: ActivityDependencies, guestId: string, requestId: string, approvalTimeoutMs: number): Promise<GuestLock> {
  const now = deps.clock();
  return deps.store.acquireGuestLock(guestId, requestId, lockExpiryWhileAwaiting(now, approvalTimeoutMs), now);
}

/**
 * A second request for a guest who has one waiting is declined, and the people of the waiting one
 * hear of it: its approvers (so one called by the real guest is not fooled into approving an
 * attacker's earlier request) and the guest's current address.
 */
async function warnOfAnotherAttempt(deps: ActivityDependencies, attempt: EmailChangeRequest, guest: DirectoryUser, activeRequestId: string): Promise<void> {
  const active = await deps.store.getRequest(activeRequestId);
  if (!active || isFinal(active.status)) return;
  const mailOnce = await mailOnceFor(deps, attempt.id);
  const content = { active, attempt };
  await mailOnce('another-attempt:approvers', active.approvers.map((a) => a.mail), anotherAttemptApproverEmail(content));
  await mailOnce('another-attempt:guest', distinctAddresses([active.currentEmail, guest.mail]), anotherAttemptGuestEmail(content));
}

const distinctAddresses = (addresses: (string | null | undefined)[]): string[] => [...new Set(addresses.filter((a): a is string => !!a).map((a) => a.toLowerCase()))];
