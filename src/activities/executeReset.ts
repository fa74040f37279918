import { checkEligibility } from '../domain/eligibility.js';
import { logAndStoreError, type FailureLog } from '../domain/errorText.js';
import { lockExpiryOnceApproved } from '../domain/guestLock.js';
import { isFinal, type AuditEvent, type DeclineReason, type EmailChangeRequest, type ResetResult } from '../domain/request.js';
import { perAttempt } from '../domain/resetRetry.js';
import { GraphRequestError } from '../graph/graphGateway.js';
import type { ApproveAndResetResult, MailRestoreState, MarkApprovedInput, ResetOutcome } from '../workflow/activityContract.js';
import type { ApprovalDecisionEvent } from '../workflow/contract.js';
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
    if (!(error instanceof GraphRequestError)) throw error;
    if (error.transient) {
      const fault = transientFault(deps, request, error);
      await store.updateRequest(requestId, fault.changes, fault.event).catch(() => undefined);
      throw error;
    }
    return storeFailure(deps, request, { ok: false, ...logAndStoreError(error, logFailure) });
  }
}

/** The approval as stored on the request, with its audit event. */
export function approvalOf(deps: ActivityDependencies, requestId: string, decision: ApprovalDecisionEvent): { changes: Partial<EmailChangeRequest>; event: AuditEvent } {
  const stored = { outcome: decision.outcome, by: decision.approverMail, at: decision.at, ...(decision.comment ? { comment: decision.comment } : {}) };
  return {
    changes: { status: 'Approved', decision: stored },
    event: auditEvent(deps, requestId, 'approved', 'Approved', decision.approverMail, decision.comment ? { comment: decision.comment } : undefined),
  };
}

/**
 * Version 4 on, the step after an approval (DESIGN §2 step 6, §5), doing what version 3 did in
 * `markApproved`, `executeReset` and, on success, `completeRequest`: the guest's lock is moved to
 * outlast the reset, the guest read and checked once more, the approval and the previous `mail`
 * stored in one write before anything touches the account, then the PATCH and the invitation,
 * and `Completed` stored with the result (and the `MailUpdated` fact) in one more, before the lock
 * is released. A refusal is stored as the result and answered with `completed: false`, like a
 * failure Graph answers for good; the orchestrator then puts `mail` back and stores `Failed`.
 * Safe to run again: it goes on from what is stored, and a stored result is answered as it is.
 */
export async function approveAndReset(deps: ActivityDependencies, input: MarkApprovedInput): Promise<ApproveAndResetResult> {
  const { graph, settings, store } = deps;
  const { requestId, decision } = input;
  let request = await requireRequest(store, requestId);
  if (request.result) {
    // A re-run: the run that stored `Completed` may have stopped before releasing the lock, and the
    // orchestrator, told `completed`, stores no ending that would.
    await releaseOnceEnded(deps, request);
    return { outcome: outcomeOf(request.result), completed: request.status === 'Completed' };
  }
  if (request.status !== 'AwaitingApproval' && request.status !== 'Approved') {
    throw new Error(`Request ${requestId} is ${request.status}; an approval cannot apply to it`);
  }
  /** Not stored yet: the approval (on the first run) and the `mail` this run changed, which every write carries. */
  let approval = request.status === 'AwaitingApproval' ? approvalOf(deps, requestId, decision) : undefined;
  let changed: AuditEvent[] = [];
  const write = async (changes: Partial<EmailChangeRequest>, events: AuditEvent[]) => {
    request = await store.updateRequest(requestId, { ...approval?.changes, ...changes }, [...(approval ? [approval.event] : []), ...changed, ...events]);
    approval = undefined;
    changed = [];
  };
  const refuse = async (code: ResetRefusalCode, message: string): Promise<ApproveAndResetResult> => {
    await write({ result: { code, message } }, [auditEvent(deps, requestId, perAttempt(request, 'reset-failed'), 'ResetFailed', 'system', { code, message })]);
    return { outcome: { ok: false, code, message }, completed: false };
  };
  const guestId = request.guestId;
  if (!guestId) return refuse('NotApproved', 'The request has no screened guest; nothing was changed.');
  // The reset and any restore of `mail` may outlast the deadline: the guest stays locked till they
  // end. A lock an admin released, or one that expired, may have gone to another request since.
  const now = deps.clock();
  const expiresAt = lockExpiryOnceApproved(now);
  const held = (await store.extendGuestLock(guestId, requestId, expiresAt)) || (await store.acquireGuestLock(guestId, requestId, expiresAt, now)).requestId === requestId;
  if (!held) return refuse('DuplicateActiveRequest', 'Another request for this guest is active; nothing was changed.');

  try {
    // The guest may have changed since approval; a member must never be posted (it would become B2B).
    // Its state and roles come in one read, so they describe the same moment.
    const guest = await graph.getUserWithRoles(guestId);
    if (!guest) return await refuse('GuestNotFound', 'The guest no longer exists in the directory.');
    const ineligible = checkEligibility(guest, guest.directoryRoles);
    if (ineligible) return await refuse(ineligible, 'The guest is no longer eligible; nothing was changed.');

    const saveMail = request.previousMail === undefined;
    if (approval || saveMail) {
      await write(saveMail ? { previousMail: guest.mail } : {}, saveMail ? [auditEvent(deps, requestId, 'previous-mail', 'PreviousMailSaved', 'system', { previousMail: guest.mail })] : []);
    }
    const mailUpdated = (from: string | null | undefined) => auditEvent(deps, requestId, perAttempt(request, 'mail-updated'), 'MailUpdated', 'system', { from, to: request.newEmail });
    if ((guest.mail ?? '').toLowerCase() !== request.newEmail.toLowerCase()) {
      await graph.updateMail(guestId, request.newEmail);
      changed.push(mailUpdated(guest.mail));
    } else if ((request.previousMail ?? '').toLowerCase() !== request.newEmail.toLowerCase()) {
      // An earlier run's PATCH, whose fact was not stored before that run stopped.
      changed.push(mailUpdated(request.previousMail));
    }
    const invitation = await graph.resetRedemption({
      userId: guestId,
      email: request.newEmail,
      redirectUrl: settings.INVITE_REDIRECT_URL,
      sendInvitationMessage: settings.SEND_INVITATION_MESSAGE,
    });
    const result = { invitationId: invitation.invitationId, inviteRedeemUrl: invitation.inviteRedeemUrl };
    await write({ status: 'Completed', result, transientFaults: undefined }, [
      auditEvent(deps, requestId, perAttempt(request, 'reset'), 'RedemptionReset', 'system', { invitationId: invitation.invitationId, status: invitation.status }),
      auditEvent(deps, requestId, perAttempt(request, 'completed'), 'Completed', 'system', { invitationId: invitation.invitationId }),
    ]);
    await store.releaseGuestLock(guestId, requestId);
    return { outcome: { ok: true, ...result }, completed: true };
  } catch (error) {
    if (!(error instanceof GraphRequestError) || error.transient) {
      // Tried again (or ended as an internal error): the approval and a changed `mail` must be on
      // record whatever comes next, so the request reads as approved and `mail` is put back.
      const fault = error instanceof GraphRequestError ? transientFault(deps, request, error) : undefined;
      if (approval || changed.length > 0 || fault) await write(fault?.changes ?? {}, fault ? [fault.event] : []).catch(() => undefined);
      throw error;
    }
    const failure = { ok: false as const, ...logAndStoreError(error, logFailure) };
    const result: ResetResult = { code: failure.code, message: failure.message, ...(failure.requestId ? { requestId: failure.requestId } : {}) };
    await write({ result }, [auditEvent(deps, requestId, perAttempt(request, 'reset-failed'), 'ResetFailed', 'system', { ...result })]);
    return { outcome: failure, completed: false };
  }
}

/**
 * A try of the reset that Graph failed with a passing fault, audited and kept on the request. The
 * step is thrown for the workflow to retry, which, once the retries run out, learns only that it
 * failed: `completeRequest` then stores Graph's code, message and request-id from here.
 */
function transientFault(deps: ActivityDependencies, request: EmailChangeRequest, error: GraphRequestError): { changes: Partial<EmailChangeRequest>; event: AuditEvent } {
  const tries = (request.transientFaults?.tries ?? 0) + 1;
  const last = logAndStoreError(error, logFailure);
  return {
    changes: { transientFaults: { tries, last } },
    event: auditEvent(deps, request.id, perAttempt(request, `reset-try-failed:${tries}`), 'ResetTryFailed', 'system', { try: tries, status: error.status, ...last }),
  };
}

/** How long after the first failed try a restore is still tried (DESIGN §5: at least 24 hours). */
export const MAIL_RESTORE_WINDOW_MS = 24 * 3_600_000;

/**
 * One try at putting the guest's `mail` back to what it was before this request changed it
 * (DESIGN §5). Acts only while `mail` still holds the address this request wrote, no invitation
 * went out and the restore is not done, so it is safe from any failure path, any number of times.
 * Every Graph failure is an answer, not an exception: the try is audited with Graph's code and
 * request-id, the request shows `mailRestore: pending`, and the orchestrator tries again later. It
 * sends no mail: the admins' alert and the notice that `mail` is back are owed by the stored state
 * and sent by `sendOutcomeMails`, so a mail Graph refuses cannot fail a try.
 */
export async function restoreMail(deps: ActivityDependencies, requestId: string): Promise<MailRestoreState> {
  const { graph, store } = deps;
  let request = await requireRequest(store, requestId);
  if (request.mailRestore === 'done') {
    // Put back already (an admin's retry clears `done` before writing `mail` again). `mail` is not
    // looked at again: by now it may hold a later request's change, even to the same address. The
    // try that stored `done` may have stopped before releasing the lock.
    await releaseOnceEnded(deps, request);
    return 'notNeeded';
  }
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

/**
 * The guest may ask again once the request has ended and `mail` is not waiting to be put back (till
 * then it holds its lock). Also on a re-run that finds its step done: the run that did it may have
 * stopped before releasing, and the release is the holder's only, so repeating it is safe.
 */
async function releaseOnceEnded(deps: ActivityDependencies, request: EmailChangeRequest): Promise<void> {
  if (request.guestId && isFinal(request.status) && request.mailRestore !== 'pending') await deps.store.releaseGuestLock(request.guestId, request.id);
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
