import { checkEligibility } from '../domain/eligibility.js';
import type { DeclineReason, EmailChangeRequest, ResetResult } from '../domain/request.js';
import { GraphRequestError } from '../graph/graphGateway.js';
import type { ResetOutcome } from '../workflow/activityContract.js';
import { auditEvent, requireRequest, type ActivityDependencies } from './activityDependencies.js';

/** Codes for refusals we decide ourselves (eligibility re-checked at reset time), next to Graph's own codes. */
export type ResetRefusalCode = 'NotApproved' | DeclineReason;

/**
 * The reset itself (DESIGN §5): PATCH the new address into `mail`, then POST /invitations with
 * `resetRedemption`. Safe to run twice: the previous `mail` is saved before the PATCH (and never
 * overwritten), the PATCH is skipped when already done, and once a result is stored it is returned
 * as is, so a finished reset never sends a second invitation. A transient Graph fault is thrown
 * for the orchestrator to retry; a permanent one restores `mail` and is returned as the outcome.
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

  try {
    const guest = await graph.getUser(guestId);
    if (!guest) return refuse('GuestNotFound', 'The guest no longer exists in the directory.');
    // The guest may have changed since approval; a member must never be posted (it would become B2B).
    const ineligible = checkEligibility(guest, await graph.getDirectoryRoles(guestId));
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
      await store.appendEvent(auditEvent(deps, requestId, 'mail-updated', 'MailUpdated', 'system', { from: guest.mail, to: request.newEmail }));
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
      auditEvent(deps, requestId, 'reset', 'RedemptionReset', 'system', { invitationId: invitation.invitationId, status: invitation.status }),
    );
    return { ok: true, invitationId: invitation.invitationId, inviteRedeemUrl: invitation.inviteRedeemUrl };
  } catch (error) {
    if (!(error instanceof GraphRequestError) || error.transient) throw error;
    await restoreMail(deps, requestId);
    return storeFailure(deps, request, {
      ok: false,
      code: error.code,
      message: error.message,
      ...(error.requestId ? { requestId: error.requestId } : {}),
    });
  }
}

/**
 * Puts the guest's `mail` back to what it was before this request changed it. Only acts when the
 * address is still the one this request wrote and no invitation went out, so it is safe to call
 * from any failure path, any number of times. A permanent Graph refusal is recorded for admins
 * rather than thrown: the request fails either way and the admin mail tells them to look.
 */
export async function restoreMail(deps: ActivityDependencies, requestId: string): Promise<boolean> {
  const { graph, store } = deps;
  const request = await requireRequest(store, requestId);
  if (!request.guestId || request.previousMail === undefined) return false;
  if (request.result && 'invitationId' in request.result) return false;
  const guest = await graph.getUser(request.guestId);
  if (!guest || (guest.mail ?? '').toLowerCase() !== request.newEmail.toLowerCase()) return false;
  if ((request.previousMail ?? '').toLowerCase() === request.newEmail.toLowerCase()) return false;
  try {
    await graph.updateMail(request.guestId, request.previousMail);
  } catch (error) {
    if (!(error instanceof GraphRequestError) || error.transient) throw error;
    await store.appendEvent(
      auditEvent(deps, requestId, 'mail-restore-failed', 'MailRestoreFailed', 'system', { code: error.code, message: error.message, requestId: error.requestId }),
    );
    return false;
  }
  await store.appendEvent(auditEvent(deps, requestId, 'mail-restored', 'MailRestored', 'system', { from: request.newEmail, to: request.previousMail }));
  return true;
}

async function storeFailure(deps: ActivityDependencies, request: EmailChangeRequest, outcome: Extract<ResetOutcome, { ok: false }>): Promise<ResetOutcome> {
  const result: ResetResult = { code: outcome.code, message: outcome.message, ...(outcome.requestId ? { requestId: outcome.requestId } : {}) };
  await deps.store.updateRequest(request.id, { result }, auditEvent(deps, request.id, 'reset-failed', 'ResetFailed', 'system', { ...result }));
  return outcome;
}

function outcomeOf(result: ResetResult): ResetOutcome {
  if ('invitationId' in result) return { ok: true, invitationId: result.invitationId, inviteRedeemUrl: result.inviteRedeemUrl ?? '' };
  return { ok: false, code: result.code, message: result.message, ...(result.requestId ? { requestId: result.requestId } : {}) };
}
