import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import type { DurableOrchestrationStatus } from 'durable-functions';
import { mailOnceFor } from '../activities/mailOnce.js';
import { approversFrom } from '../activities/resolveApprovers.js';
import { approverSkipReason, type ApproverCandidate, type ApproverSkipReason } from '../domain/approvers.js';
import { createLinkToken } from '../domain/linkToken.js';
import type { Approver, AuditEvent, EmailChangeRequest } from '../domain/request.js';
import { GraphRequestError } from '../graph/graphGateway.js';
import { recordedClaim } from '../store/outcomeClaim.js';
import { approvalRequestEmail } from '../templates/emails.js';
import { adminIdsOf, authenticateAdmin, type AdminIdentity } from './adminAuth.js';
import { adminReasonOf, optionalAdminReasonOf } from './adminReason.js';
import { findRequest, type FoundRequest } from './adminRequests.js';
import { readBody } from './body.js';
import { isRunning, type HttpDependencies, type OrchestrationClient } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
import { jsonResponse } from './security.js';

/**
 * The admin actions on a request's approvers while it awaits approval (DESIGN §4): `resend` mails
 * the current approvers fresh links, `reassign` hands the request to another approver. A link an
 * action supersedes is revoked in the request's partition and answers 410 from then on.
 */

/** Longest object id (or user principal name) accepted for `approverId` and `replace`. */
export const MAX_USER_ID_LENGTH = 256;

/** Why someone may not be assigned, in the words of the 400's details. */
const NOT_ELIGIBLE: Record<ApproverSkipReason, string> = {
  NotInDirectory: 'No user with this id is in the directory.',
  NotAMember: 'Only internal members (userType Member) approve; this user is a guest.',
  AccountDisabled: 'This account is disabled.',
  IsTheGuest: 'This is the guest whose sign-in email would change.',
  HoldsRequestAddress: "This user receives mail at the request's old or new address, or one of the guest's addresses.",
  NoMail: 'This user has no mail address to send the link to.',
};

/**
 * `POST /api/admin/requests/{id}/resend` (optional `{reason}`): fresh links to every current
 * approver; the links mailed before stop working once the new ones are out, so a failure half way
 * leaves the old ones good. 409 `NotAwaitingApproval` unless the request awaits a decision.
 */
export function resendApprovalLinks(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'json', async () => {
    const admin = await authenticateAdmin(request, deps.settings);
    const { fields } = await readBody(request, { emptyIsNoFields: true });
    const reason = optionalAdminReasonOf(fields);
    const found = await findRequest(deps, client, request.params.id);
    await resendAsAdmin(deps, found, admin, reason);
    return jsonResponse(202, { requestId: found.emailChange.id, approvers: found.emailChange.approvers });
  });
}

/** An admin's resend, from the API or the console; refusals are `HttpError`s (409). */
export async function resendAsAdmin(deps: HttpDependencies, { emailChange, orchestration }: FoundRequest, admin: AdminIdentity, reason: string | undefined): Promise<void> {
  const { events, deadline } = await requireAwaitingApproval(deps, emailChange, orchestration);
  const action = randomUUID();
  const keep: string[] = [];
  for (const approver of emailChange.approvers) {
    // A decision or cancel may land while the links go out: nobody is asked once it has.
    if (keep.length > 0) await requireNoClaim(deps, emailChange.id);
    keep.push(await mailApprovalLink(deps, { ...emailChange, deadline }, approver, `resend:${action}:${approverKey(approver)}`, events));
  }
  const at = deps.clock().toISOString();
  const revoked = await deps.store.revokeApprovalTokens(emailChange.id, { at, because: 'resent', keep });
  await deps.store.appendEvent({
    requestId: emailChange.id,
    id: `ApprovalLinksResent-${action}`,
    at,
    type: 'ApprovalLinksResent',
    actor: admin.name,
    detail: { approvers: emailChange.approvers.map((a) => a.mail), revokedLinks: revoked, ...who(admin, reason) },
  });
}

/**
 * `POST /api/admin/requests/{id}/reassign` `{approverId, reason, replace?}`: adds an approver, or
 * with `replace` (the object id of a current approver) puts them in that approver's place, whose
 * links then stop working. The new approver is read from the directory now and must be an
 * enabled member, not the guest, and hold none of the request's or the guest's addresses (the
 * rules every approver meets); else 400. They are stored on the request as assigned by this
 * admin (so the check when they decide accepts them without being a sponsor, manager or fallback
 * approver), audited (`ApproverAssigned`), and mailed a link.
 */
export function reassignApprover(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'json', async () => {
    const admin = await authenticateAdmin(request, deps.settings);
    const { fields } = await readBody(request, { emptyIsNoFields: true });
    const approverId = userIdField(fields, 'approverId');
    const replace = fields.replace === undefined ? undefined : userIdField(fields, 'replace');
    const reason = adminReasonOf(fields);
    const found = await findRequest(deps, client, request.params.id);
    const approvers = await reassignAsAdmin(deps, found, admin, { approverId, reason, ...(replace === undefined ? {} : { replace }) });
    return jsonResponse(202, { requestId: found.emailChange.id, approvers });
  });
}

/** An admin's reassign, from the API or the console; refusals are `HttpError`s (400, 409). Answers the approvers now. */
export async function reassignAsAdmin(
  deps: HttpDependencies,
  { emailChange, orchestration }: FoundRequest,
  admin: AdminIdentity,
  { approverId, replace, reason }: { approverId: string; replace?: string; reason: string },
): Promise<Approver[]> {
  const { events, deadline } = await requireAwaitingApproval(deps, emailChange, orchestration);
  const replaced = replace === undefined ? undefined : requireApprover(emailChange, replace);
  requireNotApprover(emailChange, approverId);
  const candidate = await eligibleCandidate(deps, emailChange, approverId);
  // Checked again by object id: the admin may have named the user by UPN or mail.
  requireNotApprover(emailChange, candidate.id);
  // An admin who could make themself an approver could approve alone.
  if (admin.objectId && candidate.id.toLowerCase() === admin.objectId.toLowerCase()) {
    throw new HttpError('ValidationFailed', 'You cannot assign yourself: an approver must be someone other than the admin who assigns them.', { details: { approverId: 'Not yourself.' } });
  }

  const at = deps.clock().toISOString();
  const assigned: Approver = {
    id: candidate.id,
    displayName: candidate.displayName,
    mail: candidate.mail,
    assigned: { by: admin.name, ...adminIdsOf(admin), at, reason },
  };
  const action = randomUUID();
  const event: AuditEvent = {
    requestId: emailChange.id,
    id: `ApproverAssigned-${action}`,
    at,
    type: 'ApproverAssigned',
    actor: admin.name,
    detail: { approver: { id: assigned.id, mail: assigned.mail, displayName: assigned.displayName }, ...(replaced ? { replaced: { id: replaced.id, mail: replaced.mail } } : {}), ...who(admin, reason) },
  };
  let revoked = 0;
  if (replaced) {
    // The replaced approver's links stop working before the list leaves them out: a decision of
    // theirs uses its link in the same transaction as its claim, so it either lands before the
    // revocation (and is found just below: the request is decided, nothing is reassigned) or
    // finds its link revoked. The other order would let a decision read the old list, pass its
    // checks and land after the new list was stored.
    revoked = await deps.store.revokeApprovalTokens(emailChange.id, { at, because: 'reassigned', approverId: replaced.id });
    await requireNoClaim(deps, emailChange.id);
  }
  let updated: EmailChangeRequest;
  try {
    // Checked again on the stored request, so two admins acting at once cannot undo each other.
    updated = await deps.store.updateRequest(
      emailChange.id,
      (current) => {
        if (current.status !== 'AwaitingApproval') throw notAwaiting(current);
        requireNotApprover(current, candidate.id);
        const gone = replaced && requireApprover(current, replaced.id);
        return { approvers: [...current.approvers.filter((a) => a !== gone), assigned] };
      },
      event,
    );
  } catch (error) {
    if (replaced && revoked > 0) throw await revokedButNotReassigned(deps, emailChange.id, replaced, revoked, { at, action, admin, reason }, error);
    throw error;
  }
  // The usual key when this person was never asked, so the ending is told to them like to any approver.
  const firstKey = `approval:${approverKey(assigned)}`;
  const key = events.some((e) => e.id === `${emailChange.id}:mail:${firstKey}`) ? `reassign:${action}:${approverKey(assigned)}` : firstKey;
  await mailApprovalLink(deps, { ...updated, deadline }, assigned, key, events);
  return updated.approvers;
}

/**
 * A reassign refused after it revoked the replaced approver's links (another admin changed the
 * approvers meanwhile, or the write failed): they stay listed with no working link, so the trail
 * says so (`ApprovalLinksRevoked`) and the admin is told how to give them new ones.
 */
async function revokedButNotReassigned(
  deps: HttpDependencies,
  requestId: string,
  replaced: Approver,
  revoked: number,
  by: { at: string; action: string; admin: AdminIdentity; reason: string },
  error: unknown,
): Promise<unknown> {
  await deps.store.appendEvent({
    requestId,
    id: `ApprovalLinksRevoked-${by.action}`,
    at: by.at,
    type: 'ApprovalLinksRevoked',
    actor: by.admin.name,
    detail: { approver: { id: replaced.id, mail: replaced.mail }, revokedLinks: revoked, because: 'ReassignNotStored', ...who(by.admin, by.reason) },
  });
  if (!(error instanceof HttpError)) return error;
  const message = `${error.message} ${replaced.mail}'s links were revoked before this was found: resend to send them new ones.`;
  return new HttpError(error.code, message, { details: error.details, headers: error.headers, ...(error.title ? { title: error.title } : {}), cause: error });
}

/**
 * The request awaits a decision: stored as such, its instance waiting, and no decision or cancel
 * accepted but not yet applied. Returns its audit trail and the links' deadline.
 */
async function requireAwaitingApproval(
  deps: HttpDependencies,
  request: EmailChangeRequest,
  orchestration: DurableOrchestrationStatus | undefined,
): Promise<{ events: AuditEvent[]; deadline: string }> {
  if (request.status !== 'AwaitingApproval' || !request.deadline || !isRunning(orchestration)) throw notAwaiting(request);
  return { events: await requireNoClaim(deps, request.id), deadline: request.deadline };
}

/** No decision or cancel accepted but not yet applied; returns the audit trail read to know. */
async function requireNoClaim(deps: HttpDependencies, requestId: string): Promise<AuditEvent[]> {
  const events = await deps.store.listEvents(requestId);
  const claim = recordedClaim(events);
  if (claim) throw new HttpError('NotAwaitingApproval', `The request no longer awaits a decision: ${claim.type} by ${claim.actor}.`);
  return events;
}

const notAwaiting = (request: EmailChangeRequest) =>
  new HttpError('NotAwaitingApproval', `The request is ${request.status}; approvers can be changed only while it awaits approval.`);

/**
 * Mints a link for one approver (only its hash is stored, expiring with the request), mails it
 * with the approval wording, and returns the hash. Each call's `key` is new, so a mail is never
 * skipped as already sent, and the trail records it (`MailSent`).
 */
async function mailApprovalLink(deps: HttpDependencies, request: EmailChangeRequest & { deadline: string }, approver: Approver, key: string, events: readonly AuditEvent[]): Promise<string> {
  const { token, tokenHash } = createLinkToken(request.id);
  await deps.store.saveApprovalToken({ requestId: request.id, tokenHash, approverId: approver.id, approverMail: approver.mail, expiresAt: request.deadline });
  const mailOnce = await mailOnceFor(deps, request.id, events);
  await mailOnce(key, [approver.mail], approvalRequestEmail({ request, approver, approvalUrl: `${deps.settings.PUBLIC_BASE_URL}/api/approvals/${token}`, reminder: false }));
  return tokenHash;
}

/** The person to assign as the directory describes them now, if the approver rules allow them. */
async function eligibleCandidate(deps: HttpDependencies, request: EmailChangeRequest, approverId: string): Promise<ApproverCandidate> {
  const user = await userIfExists(deps, approverId);
  const candidate: ApproverCandidate = user ? approversFrom([user])[0]! : { id: approverId, displayName: approverId, mail: '' };
  const guest = request.guestId ? await userIfExists(deps, request.guestId) : undefined;
  const skip = approverSkipReason(
    {
      // The guest as screened when the directory no longer has them: the request's addresses still count.
      guest: guest ? { id: guest.id, mail: guest.mail, otherMails: guest.otherMails } : { id: request.guestId ?? '', mail: request.guestMail ?? null, otherMails: [] },
      excludedEmails: [request.currentEmail, request.newEmail],
    },
    candidate,
  );
  if (skip) throw new HttpError('ValidationFailed', `This user may not approve this request: ${NOT_ELIGIBLE[skip]}`, { details: { approverId: NOT_ELIGIBLE[skip] } });
  return candidate;
}

/** Graph answers an id it cannot parse with 400 and an unknown one with 404: neither is a user. */
async function userIfExists(deps: HttpDependencies, id: string) {
  try {
    return await deps.graph.getUser(id);
  } catch (error) {
    if (error instanceof GraphRequestError && (error.status === 400 || error.status === 404)) return undefined;
    throw error;
  }
}

/** The `approverId` of a reassign: the person to assign, by object id or sign-in name; else 400. */
export const approverIdOf = (fields: Record<string, unknown>): string => userIdField(fields, 'approverId');

function userIdField(fields: Record<string, unknown>, name: 'approverId' | 'replace'): string {
  const value = fields[name];
  const id = typeof value === 'string' ? value.trim() : '';
  if (!id || id.length > MAX_USER_ID_LENGTH) {
    const what = name === 'approverId' ? 'the directory object id of the approver to assign' : 'the directory object id of the current approver to replace';
    throw new HttpError('ValidationFailed', `Give ${what}.`, { details: { [name]: `Give ${what}.` } });
  }
  return id;
}

const sameUser = (approver: Approver, id: string) => approver.id.toLowerCase() === id.toLowerCase();

function requireApprover(request: EmailChangeRequest, id: string): Approver {
  const approver = request.approvers.find((a) => sameUser(a, id));
  if (!approver) throw new HttpError('ValidationFailed', 'The approver to replace is not an approver of this request.', { details: { replace: 'Not an approver of this request.' } });
  return approver;
}

function requireNotApprover(request: EmailChangeRequest, id: string): void {
  if (request.approvers.some((a) => sameUser(a, id))) {
    throw new HttpError('ValidationFailed', 'This user is already an approver of this request; resend mails them a new link.', {
      details: { approverId: 'Already an approver of this request.' },
    });
  }
}

/** The mail key of an approver, as the workflow's approval rounds name it. */
const approverKey = (approver: Approver) => approver.id || approver.mail;

/** Who acted, and why when they said, for the audit trail. */
const who = (admin: AdminIdentity, reason: string | undefined) => ({ ...(reason ? { reason } : {}), ...adminIdsOf(admin) });
