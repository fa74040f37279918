import { checkEligibility } from '../domain/eligibility.js';
import { logAndStoreError, type FailureLog } from '../domain/errorText.js';
import { lockExpiryOnceApproved } from '../domain/guestLock.js';
import { isFinal, type AuditEvent, type DeclineReason, type EmailChangeRequest, type ResetResult } from '../domain/request.js';
import { perAttempt } from '../domain/resetRetry.js';
import { GraphRequestError } from '../graph/graphGateway.js';
import type { MailRestoreState, ResetOutcome } from '../workflow/activityContract.js';
import { auditEvent, requireRequest, type ActivityDependencies } from './activityDependencies.js';

/** Activities log through the worker's console, which the Functions host records as the invocation's log. */
const logFailure: FailureLog = (message, error) => console.error(message, error);

/** Codes for refusals we decide ourselves (eligibility re-checked at reset time), next to Graph's own codes. */
export type ResetRefusalCode = 'NotApproved' | DeclineReason;

/**
 * The reset itself (DESIGN §5): PATCH the new address into `mail`, then POST /invitations with
 * `resetRedemption`. Safe to run twice: the previous `mail` is saved before the PATCH (and never
 * overwritten), the PATCH is skipped when already done, and once a result is stored it is returned
 * as is, so a finished reset never sends a second invitation. A transient Graph fault is thrown
 * for the orchestrator to retry; a permanent one is stored and returned as the outcome, and the
 * orchestrator then puts `mail` back with `restoreMail` for as long as that takes.
 */
export async function executeReset(deps: ActivityDependencies, requestId: string): Promise<ResetOutcome> {
  const { graph, settings, store } = deps;
  let request = await requireRequest(store, requestId);
  if (request.result) return outcomeOf(request.result);

  if (request.status !== 'Approved' || request.decision?.outcome !== 'approved' || !request.guestId) {
    // Not ours to record: whatever ended the request (or a bug) owns its status.
    return { ok: false, code: 'NotApproved' satisfies ResetRefusalCode, message: 'The request is not approved; nothing was changed.' };
  }
  const refuse = (code: ResetRefusalCode, message: string) => storeFailure(deps, request, { ok: false, code, message });
  const guestId = request.guestId;
  // One active request per guest, checked where it matters: a lock an admin released, or one that
  // expired, may have gone to another request since this one was screened.
  const now = deps.clock();
  const lock = await store.acquireGuestLock(guestId, requestId, lockExpiryOnceApproved(now), now);
  if (lock.requestId !== requestId) return refuse('DuplicateActiveRequest', 'Another request for this guest is active; nothing was changed.');

  try {
    // The guest may have changed since approval; a member must never be posted (it would become B2B).
    // Its state and roles come in one read, so they describe the same moment.
    const guest = await graph.getUserWithRoles(guestId);
    if (!guest) return refuse('GuestNotFound', 'The guest no longer exists in the directory.');
    const ineligible = checkEligibility(guest, guest.directoryRoles);
    if (ineligible) return refuse(ineligible, 'The guest is no longer eligible; nothing was changed.');

    if (request.previousMail === undefined) {
      request = await store.updateRequest(
        requestId,
        { previousMail: guest.mail },
        auditEvent(deps, requestId, 'previous-mail', 'PreviousMailSaved', 'system', { previousMail: guest.mail }),
      );
    }
    if ((guest.mail ?? '').toLowerCase() !== request.newEmail.toLowerCase()) {
      await graph.updateMail(guestId, request.newEmail);
      await store.appendEvent(auditEvent(deps, requestId, perAttempt(request, 'mail-updated'), 'MailUpdated', 'system', { from: guest.mail, to: request.newEmail }));
    }
    const invitation = await graph.resetRedemption({
      userId: guestId,
      email: request.newEmail,
      redirectUrl: settings.INVITE_REDIRECT_URL,
      sendInvitationMessage: settings.SEND_INVITATION_MESSAGE,
    });
    await store.updateRequest(
      requestId,
      { result: { invitationId: invitation.invitationId, inviteRedeemUrl: invitation.inviteRedeemUrl } },
      auditEvent(deps, requestId, perAttempt(request, 'reset'), 'RedemptionReset', 'system', { invitationId: invitation.invitationId, status: invitation.status }),
    );
    return { ok: true, invitationId: invitation.invitationId, inviteRedeemUrl: invitation.inviteRedeemUrl };
  } catch (error) {
    if (!(error instanceof GraphRequestError) || error.transient) throw error;
    return storeFailure(deps, request, { ok: false, ...logAndStoreError(error, logFailure) });
  }
}

/** How long after the first failed try a restore is still tried (DESIGN §5: at least 24 hours). */
export const MAIL_RESTORE_WINDOW_MS = 24 * 3_600_000;

/**
 * One try at putting the guest's `mail` back to what it was before this request changed it
 * (DESIGN §5). Acts only while `mail` still holds the address this request wrote and no
 * invitation went out, so it is safe from any failure path, any number of times. Every Graph
 * failure is an answer, not an exception: the try is audited with Graph's code and request-id,
 * the request shows `mailRestore: pending`, and the orchestrator tries again later. It sends no
 * mail: the admins' alert and the notice that `mail` is back are owed by the stored state and sent
 * by `sendOutcomeMails`, so a mail Graph refuses cannot fail a try.
 */
export async function restoreMail(deps: ActivityDependencies, requestId: string): Promise<MailRestoreState> {
  const { graph, store } = deps;
  let request = await requireRequest(store, requestId);
  if (!request.guestId || request.previousMail === undefined) return 'notNeeded';
  if (request.result && 'invitationId' in request.result) return 'notNeeded';
  if ((request.previousMail ?? '').toLowerCase() === request.newEmail.toLowerCase()) return 'notNeeded';
  const guestId = request.guestId;
  const previousMail = request.previousMail;
  try {
    const guest = await graph.getUser(guestId);
    const mail = guest?.mail ?? null;
    if ((mail ?? '').toLowerCase() !== request.newEmail.toLowerCase()) {
      // Not (or no longer) the address this request wrote: put back by an earlier try whose answer
      // was lost, by an admin, or never changed. Only a restore that was pending has anything to end.
      if (request.mailRestore !== 'pending') return 'notNeeded';
      request = await store.updateRequest(requestId, { mailRestore: 'done' }, auditEvent(deps, requestId, perAttempt(request, 'mail-restored'), 'MailRestored', 'system', { from: request.newEmail, to: mail }));
      await releaseOnceEnded(deps, request);
      return 'done';
    }
    await graph.updateMail(guestId, previousMail);
  } catch (error) {
    if (!(error instanceof GraphRequestError)) throw error;
    await recordFailedTry(deps, request, error);
    return 'pending';
  }
  request = await store.updateRequest(requestId, { mailRestore: 'done' }, auditEvent(deps, requestId, perAttempt(request, 'mail-restored'), 'MailRestored', 'system', { from: request.newEmail, to: previousMail }));
  await releaseOnceEnded(deps, request);
  return 'done';
}

/**
 * Whether the stored facts say `mail` may still hold the address this request wrote: the previous
 * value was saved, and the last `PATCH` recorded (`MailUpdated`) was not followed by a restore
 * (`MailRestored`); an admin's retry may have written it again after an earlier restore. A try
 * that failed for a reason other than Graph leaves `mailRestore` unset; this still sees it.
 */
export function mailLeftChanged(request: EmailChangeRequest, events: readonly AuditEvent[]): boolean {
  if (request.mailRestore) return request.mailRestore === 'pending';
  if (request.previousMail === undefined || (request.result && 'invitationId' in request.result)) return false;
  return events.filter((event) => event.type === 'MailUpdated' || event.type === 'MailRestored').at(-1)?.type === 'MailUpdated';
}

/** Audits one failed try (numbered, so every try has its line) and marks the restore pending. */
async function recordFailedTry(deps: ActivityDependencies, request: EmailChangeRequest, error: GraphRequestError): Promise<void> {
  const { store } = deps;
  const events = await store.listEvents(request.id);
  const attempt = events.filter((event) => event.type === 'MailRestoreFailed').length + 1;
  const failure = logAndStoreError(error, logFailure);
  const audit = auditEvent(deps, request.id, `mail-restore-failed:${attempt}`, 'MailRestoreFailed', 'system', { attempt, status: error.status, ...failure });
  if (request.mailRestore === 'pending') await store.appendEvent(audit);
  else await store.updateRequest(request.id, { mailRestore: 'pending' }, audit);
}

/** `mail` is back: the guest may ask again once the request has ended (till then it holds its lock). */
async function releaseOnceEnded(deps: ActivityDependencies, request: EmailChangeRequest): Promise<void> {
  if (request.guestId && isFinal(request.status)) await deps.store.releaseGuestLock(request.guestId, request.id);
}

async function storeFailure(deps: ActivityDependencies, request: EmailChangeRequest, outcome: Extract<ResetOutcome, { ok: false }>): Promise<ResetOutcome> {
  const result: ResetResult = { code: outcome.code, message: outcome.message, ...(outcome.requestId ? { requestId: outcome.requestId } : {}) };
  await deps.store.updateRequest(request.id, { result }, auditEvent(deps, request.id, perAttempt(request, 'reset-failed'), 'ResetFailed', 'system', { ...result }));
  return outcome;
}

function outcomeOf(result: ResetResult): ResetOutcome {
  if ('invitationId' in result) return { ok: true, invitationId: result.invitationId, inviteRedeemUrl: result.inviteRedeemUrl ?? '' };
  return { ok: false, code: result.code, message: result.message, ...(result.requestId ? { requestId: result.requestId } : {}) };
}
