import { INTERNAL_ERROR_CODE } from '../domain/errorText.js';
import { lockExpiryOnceApproved } from '../domain/guestLock.js';
import { isFinal, type EmailChangeRequest, type RequestStatus, type ResetResult } from '../domain/request.js';
import { perAttempt } from '../domain/resetRetry.js';
import { adminIdsIn, CANCEL_REQUESTED, cancelEventOf, claimOutcome, DEADLINE_PASSED, recordedClaim } from '../store/outcomeClaim.js';
import { requestOutcomeEmail } from '../templates/emails.js';
import type {
  ApprovalPolicy,
  CompleteRequestInput,
  FinalStatus,
  MailRestorePolicy,
  MarkApprovedInput,
  RecordOutcomeInput,
  RequestApprovalInput,
  RequestConfirmationInput,
  ResetOutcome,
  ScreenAndAskInput,
} from '../workflow/activityContract.js';
import type { ApprovalDecisionEvent, EmailChangeOrchestrationInput } from '../workflow/contract.js';
import type { WaitOutcome } from '../workflow/waitForDecisionOrDeadline.js';
import { approvalPolicyOf, auditEvent, requireRequest, requireRequestWithEvents, type ActivityDependencies } from './activityDependencies.js';
import { askApprovers } from './askApprovers.js';
import { beginRequest, recordConfirmation, requestConfirmation, settleConfirmation } from './confirmation.js';
import { approvalOf, approveAndReset, executeReset, MAIL_RESTORE_WINDOW_MS, mailLeftChanged, restoreMail } from './executeReset.js';
import { screenAndAsk } from './screenAndAsk.js';
import { mailOnceFor } from './mailOnce.js';
import { sendOutcomeMails } from './outcomeMails.js';
import { screenRequest } from './screenRequest.js';

export type Activities = ReturnType<typeof createActivities>;

/**
 * Every side effect of the workflow, one async function per activity (names in
 * `ACTIVITY`). Each is idempotent: the orchestrator may run any of them twice after a crash or a
 * retry, so writes carry stable audit ids, mail is sent once per step, and no step moves a
 * request out of a final status.
 */
export function createActivities(deps: ActivityDependencies) {
  const { store, settings } = deps;

  const releaseLock = async (request: EmailChangeRequest) => {
    if (request.guestId) await store.releaseGuestLock(request.guestId, request.id);
  };

  return {
    /** Stores the submission as `Received` with its `Submitted` audit event. */
    async recordRequest(input: EmailChangeOrchestrationInput): Promise<void> {
      const request: EmailChangeRequest = {
        id: input.requestId,
        ...input.submission,
        status: 'Received',
        source: input.source,
        submittedAt: input.submittedAt,
        updatedAt: input.submittedAt,
        approvers: [],
      };
      const submitted = auditEvent(deps, input.requestId, 'submitted', 'Submitted', 'requester', { source: input.source });
      await store.createRequest(request, { ...submitted, at: input.submittedAt });
    },

    /** Read once per instance, so replays see the durations the instance started with. */
    async getApprovalPolicy(): Promise<ApprovalPolicy> {
      return approvalPolicyOf(settings);
    },

    beginRequest: (input: EmailChangeOrchestrationInput) => beginRequest(deps, input),

    requestConfirmation: (input: RequestConfirmationInput) => requestConfirmation(deps, input),

    settleConfirmation: (requestId: string) => settleConfirmation(deps, requestId),

    recordConfirmation: (requestId: string) => recordConfirmation(deps, requestId),

    screenRequest: (requestId: string) => screenRequest(deps, requestId),

    /**
     * The first round also moves the request to `AwaitingApproval` (version 3 and before: version
     * 4 does that in `screenAndAsk`); see `askApprovers`.
     */
    async requestApproval(input: RequestApprovalInput): Promise<void> {
      const { requestId, deadline, reminder } = input;
      const stored = await requireRequestWithEvents(store, requestId);
      const { events } = stored;
      let { request } = stored;
      const waitingToAsk: readonly RequestStatus[] = ['Received', 'AwaitingConfirmation', 'AwaitingApproval'];
      if (reminder ? request.status !== 'AwaitingApproval' : !waitingToAsk.includes(request.status)) return;
      // An admin cancelled (or an approver decided) before this round: nobody is asked again, and
      // the waiting instance reads that outcome next.
      if (recordedClaim(events)) return;
      if (!reminder) {
        request = await store.updateRequest(
          requestId,
          { status: 'AwaitingApproval', deadline },
          auditEvent(deps, requestId, 'approval-requested', 'ApprovalRequested', 'system', { approvers: request.approvers.map((a) => a.mail), deadline }),
        );
      }
      await askApprovers(deps, request, events, { deadline, reminder });
    },

    /**
     * The deadline fired. An approver or an admin may have been told they won just before it
     * (their claim is written, their event not yet read): then their outcome stands, not the
     * expiry. Run again, it finds its own claim and still answers the deadline.
     */
    async settleDeadline(requestId: string): Promise<WaitOutcome> {
      const first = await claimOutcome(store, { requestId, at: deps.clock().toISOString(), type: DEADLINE_PASSED, actor: 'system' });
      if (!first || first.type === DEADLINE_PASSED) return { kind: 'deadline' };
      const detail = first.detail ?? {};
      if (first.type === CANCEL_REQUESTED) return { kind: 'cancel', cancel: cancelEventOf(first) };
      const decision: ApprovalDecisionEvent = {
        outcome: detail.outcome === 'rejected' ? 'rejected' : 'approved',
        approverId: String(detail.approverId ?? ''),
        approverMail: first.actor,
        at: first.at,
        ...(typeof detail.comment === 'string' ? { comment: detail.comment } : {}),
      };
      return { kind: 'decision', decision };
    },

    /** Ends a request that never reached Graph: rejected, cancelled by an admin, or expired. */
    async recordOutcome(input: RecordOutcomeInput): Promise<FinalStatus> {
      const { requestId, outcome } = input;
      let request = await requireRequest(store, requestId);
      if (isFinal(request.status) && request.status !== outcome) {
        await releaseLock(request);
        return request.status as FinalStatus;
      }
      const step = outcome.toLowerCase();
      if (input.outcome === 'Rejected') {
        const { decision } = input;
        request = await store.updateRequest(
          requestId,
          { status: 'Rejected', decision: decisionOf(decision) },
          auditEvent(deps, requestId, step, 'Rejected', decision.approverMail, decision.comment ? { comment: decision.comment } : undefined),
        );
      } else if (input.outcome === 'Cancelled') {
        const { cancel } = input;
        const cancelledBy = cancel.origin ?? 'admin';
        request = await store.updateRequest(
          requestId,
          { status: 'Cancelled', cancelReason: cancel.reason, cancelledBy, ...(cancelledBy === 'owner' ? { reportedByOwner: true } : {}) },
          auditEvent(deps, requestId, step, 'Cancelled', cancel.by, { reason: cancel.reason, origin: cancelledBy, ...adminIdsIn({ ...cancel }) }),
        );
      } else {
        request = await store.updateRequest(requestId, { status: 'Expired' }, auditEvent(deps, requestId, step, 'Expired', 'system', { deadline: request.deadline }));
      }
      await releaseLock(request);
      if (input.mailsFollow) return outcome;
      const mailOnce = await mailOnceFor(deps, requestId);
      await mailOnce('outcome', [request.currentEmail], requestOutcomeEmail({ request }));
      return outcome;
    },

    /** Records the approver's decision before anything touches the guest's account. */
    async markApproved(input: MarkApprovedInput): Promise<void> {
      const { requestId, decision } = input;
      const request = await requireRequest(store, requestId);
      if (request.status === 'Approved') return;
      if (request.status !== 'AwaitingApproval') {
        throw new Error(`Request ${requestId} is ${request.status}; an approval cannot apply to it`);
      }
      // The reset and any restore of `mail` may outlast the deadline: the guest stays locked till they end.
      if (request.guestId) await store.extendGuestLock(request.guestId, requestId, lockExpiryOnceApproved(deps.clock()));
      const approval = approvalOf(deps, requestId, decision);
      await store.updateRequest(requestId, approval.changes, approval.event);
    },

    executeReset: (requestId: string) => executeReset(deps, requestId),

    screenAndAsk: (input: ScreenAndAskInput) => screenAndAsk(deps, input),

    approveAndReset: (input: MarkApprovedInput) => approveAndReset(deps, input),

    restoreMail: (requestId: string) => restoreMail(deps, requestId),

    /** Read when a restore is left pending, so the instance repeats it on the timing it started with. */
    async getMailRestorePolicy(): Promise<MailRestorePolicy> {
      return { firstRetryMs: settings.MAIL_RESTORE_FIRST_RETRY, maxRetryMs: settings.MAIL_RESTORE_MAX_RETRY, windowMs: MAIL_RESTORE_WINDOW_MS };
    },

    /**
     * Stores how an approved request ended, `Completed` or `Failed`, and releases the guest lock
     * unless `mail` may still hold the new address (`restoreMail` releases it then). The reset's
     * stored result wins over the outcome passed in, so an internal error after Graph's refusal
     * keeps Graph's code, message and request-id. Whether `mail` waits to be put back is read from
     * the stored facts and stored with the status, so the mails rendered from it say what happened.
     * It sends no mail (`sendOutcomeMails` does, next): a mail Graph refuses cannot fail this step.
     */
    async completeRequest(input: CompleteRequestInput): Promise<FinalStatus> {
      const { requestId, outcome } = input;
      let request = await requireRequest(store, requestId);
      const result: ResetResult = request.result ?? (outcome.ok ? { invitationId: outcome.invitationId, inviteRedeemUrl: outcome.inviteRedeemUrl } : failureOf(outcome, request));
      const target: FinalStatus = 'invitationId' in result ? 'Completed' : 'Failed';
      if (isFinal(request.status) && request.status !== target) {
        await releaseLock(request);
        return request.status as FinalStatus;
      }
      const restorePending = target === 'Failed' && mailLeftChanged(request, await store.listEvents(requestId));
      request = await store.updateRequest(
        requestId,
        { status: target, result, transientFaults: undefined, ...(restorePending ? { mailRestore: 'pending' as const } : {}) },
        auditEvent(deps, requestId, perAttempt(request, target.toLowerCase()), target, 'system', 'invitationId' in result ? { invitationId: result.invitationId } : { code: result.code }),
      );
      if (request.mailRestore !== 'pending') await releaseLock(request);
      return target;
    },

    sendOutcomeMails: (requestId: string) => sendOutcomeMails(deps, requestId),
  };
}

/**
 * A failed attempt's result. When the workflow gave up after its retries (an internal error to
 * it) and Graph's last answer was a passing fault, Graph's words are kept, marked `transient` so
 * an admin may retry (DESIGN §2 step 7, §4 `retry`).
 */
function failureOf(outcome: Extract<ResetOutcome, { ok: false }>, request: EmailChangeRequest): ResetResult {
  const fault = outcome.code === INTERNAL_ERROR_CODE ? request.transientFaults?.last : undefined;
  const words = fault ?? outcome;
  return { code: words.code, message: words.message, ...(words.requestId ? { requestId: words.requestId } : {}), ...(fault ? { transient: true as const } : {}) };
}

function decisionOf(event: MarkApprovedInput['decision']): NonNullable<EmailChangeRequest['decision']> {
  return { outcome: event.outcome, by: event.approverMail, at: event.at, ...(event.comment ? { comment: event.comment } : {}) };
}
