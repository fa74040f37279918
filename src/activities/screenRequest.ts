import { checkEligibility } from '../domain/eligibility.js';
import { checkDomainPolicy } from '../domain/emailPolicy.js';
import { lockExpiryWhileAwaiting } from '../domain/guestLock.js';
import { isFinal, type DeclineReason, type EmailChangeRequest } from '../domain/request.js';
import type { DirectoryUser } from '../graph/graphGateway.js';
import { anotherAttemptApproverEmail, anotherAttemptGuestEmail, noApproverAdminEmail } from '../templates/emails.js';
import type { ScreeningResult } from '../workflow/activityContract.js';
import { auditEvent, requireRequest, type ActivityDependencies } from './activityDependencies.js';
import { adminAlertsFor } from './adminAlerts.js';
import { mailOnceFor } from './mailOnce.js';
import { resolveApprovers } from './resolveApprovers.js';

/**
 * Decides whether a request may go to approval (DESIGN §2 step 3, §5): domain policy before any
 * Graph call, then the guest, its eligibility, its approvers (every skipped candidate audited as
 * `ApproverSkipped`; nobody left: declined and the admins told), and last the per-guest lock, so a
 * decline never leaves a lock behind. The guest id is stored before the lock is taken, so
 * whichever step ends the request can release it.
 */
export async function screenRequest(deps: ActivityDependencies, requestId: string): Promise<ScreeningResult> {
  const { graph, settings, store } = deps;
  const request = await requireRequest(store, requestId);
  if (request.status === 'Declined') return { outcome: 'declined', reason: request.declineReason ?? 'GuestNotFound' };

  const decline = async (reason: DeclineReason, guest?: DirectoryUser, detail: Record<string, unknown> = {}): Promise<ScreeningResult> => {
    const changes: Partial<EmailChangeRequest> = { status: 'Declined', declineReason: reason };
    if (guest) Object.assign(changes, { guestId: guest.id, guestDisplayName: guest.displayName });
    await store.updateRequest(requestId, changes, auditEvent(deps, requestId, 'declined', 'Declined', 'system', { reason, ...detail }));
    return { outcome: 'declined', reason };
  };

  const domain = checkDomainPolicy(request.newEmail, {
    verifiedDomains: settings.TENANT_VERIFIED_DOMAINS,
    allowedDomains: settings.NEW_EMAIL_ALLOWED_DOMAINS,
    deniedDomains: settings.NEW_EMAIL_DENIED_DOMAINS,
  });
  if (!domain.allowed) return decline('DomainNotAllowed', undefined, { why: domain.why });

  // The guest and its roles in one read (a second only for a guest in 20 groups or more).
  const guest = await graph.findUserWithRolesByEmail(request.currentEmail);
  if (!guest) return decline('GuestNotFound');

  const ineligible = checkEligibility(guest, guest.directoryRoles);
  if (ineligible) return decline(ineligible, guest);

  const { approvers, skipped } = await resolveApprovers(graph, settings, guest, request);
  for (const skip of skipped) {
    await store.appendEvent(auditEvent(deps, requestId, `approver-skipped:${skip.tier}:${skip.id || skip.mail}`, 'ApproverSkipped', 'system', { ...skip }));
  }
  if (approvers.length === 0) {
    // Mail before the decline: a re-run stops at the stored decline, so it must not be owed a mail.
    const declinedRequest = { ...request, guestId: guest.id, guestDisplayName: guest.displayName };
    const alertAdmins = await adminAlertsFor(deps, declinedRequest);
    await alertAdmins('admin-no-approver', noApproverAdminEmail({ request: declinedRequest, skipped }), 'routine');
    return decline('NoApprover', guest, { skipped: skipped.length });
  }

  await store.updateRequest(
    requestId,
    { guestId: guest.id, guestDisplayName: guest.displayName, guestMail: guest.mail, approvers },
    auditEvent(deps, requestId, 'screened', 'Screened', 'system', { guestId: guest.id, approvers: approvers.map((a) => a.mail) }),
  );
  const now = deps.clock();
  const lock = await store.acquireGuestLock(guest.id, requestId, lockExpiryWhileAwaiting(now, settings.APPROVAL_TIMEOUT), now);
  if (lock.requestId !== requestId) {
    await warnOfAnotherAttempt(deps, request, guest, lock.requestId);
    return decline('DuplicateActiveRequest', guest, { activeRequestId: lock.requestId });
  }

  return { outcome: 'eligible', guest: { id: guest.id, displayName: guest.displayName }, approvers };
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
