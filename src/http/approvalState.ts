import type { AuditEvent, CancelOrigin, Decision, EmailChangeRequest, RequestStatus } from '../domain/request.js';
import { parseLinkToken } from '../domain/linkToken.js';
import { CANCEL_REQUESTED, cancelEventOf, CLAIM_EVENT_ID, DEADLINE_PASSED, DECISION_RECEIVED, recordedClaim } from '../store/outcomeClaim.js';
import type { OpenedToken, RequestStore, RevocationCause, StoredApprovalToken } from '../store/requestStore.js';
import { formatTimestamp, guestName } from '../templates/format.js';
import type { ApprovalDecisionEvent } from '../workflow/contract.js';
import { HttpError } from './errors.js';

/** What an approval link leads to right now. */
export type ApprovalState = OpenedToken<StoredApprovalToken> &
  (
    | { kind: 'open' }
    | {
        kind: 'decided' | 'closed';
        title: string;
        explanation: string;
        /** The outcome claim that decided it, when the orchestrator has not yet applied it. */
        claim?: AuditEvent;
      }
  );

const DECIDED_STATUSES: readonly RequestStatus[] = ['Approved', 'Completed', 'Failed', 'Rejected'];
const OPEN_STATUSES: readonly RequestStatus[] = ['Received', 'AwaitingApproval'];

const CLOSED: Record<'Expired' | 'Closed', { title: string; explanation: string }> = {
  Expired: { title: 'Link expired', explanation: 'This request expired: no decision was made before its deadline. The requester can submit a new request.' },
  Closed: { title: 'Request closed', explanation: 'This request was closed and no longer needs a decision.' },
};
const CANCELLED_BY: Record<CancelOrigin, string> = {
  admin: 'cancelled by an administrator',
  requester: 'cancelled by the requester',
  owner: 'stopped by the owner of the current address, who reported that they did not ask for it',
};
const cancelled = (origin: CancelOrigin | undefined) => ({ title: 'Request cancelled', explanation: `This request was ${CANCELLED_BY[origin ?? 'admin']}, so it no longer needs a decision.` });
const ALREADY_DECIDED = 'Already decided';

/** A link an admin's action made stop working (`resend`, `reassign`), whatever became of the request. */
const REVOKED: Record<RevocationCause, { title: string; explanation: string }> = {
  resent: { title: 'Link replaced', explanation: 'A newer approval link was sent for this request, so this one no longer works. Use the link in the most recent email.' },
  reassigned: { title: 'Request handed to another approver', explanation: 'An administrator handed this request to another approver, so this link no longer works.' },
};

/**
 * Finds the token and its request and says whether a decision can still be made. Unknown or
 * tampered tokens are `NotFound`: the answer must not reveal whether a request id exists.
 */
export async function loadApprovalState(
  store: RequestStore,
  tokenText: string,
  now: Date,
  /** Whether whoever opened the link is the approver it was sent to (signed in as them): "by you" then. */
  readerIsApprover: (token: StoredApprovalToken) => boolean = () => false,
): Promise<ApprovalState> {
  const parsed = parseLinkToken(tokenText);
  const opened = parsed && (await store.openApprovalToken(parsed.requestId, parsed.tokenHash, [CLAIM_EVENT_ID]));
  if (!opened) {
    throw new HttpError('NotFound', 'This approval link is not valid. Check that you opened the whole link from the email.', { title: 'Link not found' });
  }

  const { token, request } = opened;
  if (token.revokedAt) return { kind: 'closed', ...opened, ...REVOKED[token.revokedBecause === 'reassigned' ? 'reassigned' : 'resent'] };
  const reader = readerIsApprover(token) ? token.approverMail : undefined;
  if (request.decision) return decided(opened, describeDecision(request.decision, request, reader));
  if (!OPEN_STATUSES.includes(request.status) && !DECIDED_STATUSES.includes(request.status)) {
    const closed = request.status === 'Cancelled' ? cancelled(request.cancelledBy) : request.status === 'Expired' ? CLOSED.Expired : CLOSED.Closed;
    return { kind: 'closed', ...opened, ...closed };
  }
  // Accepted but not yet applied by the orchestrator: the link must already say so.
  const claim = recordedClaim(opened.events);
  if (claim) return { ...opened, claim, ...claimedOutcome(claim, request, reader) };
  if (DECIDED_STATUSES.includes(request.status) || token.usedAt) return decided(opened, 'This request was already decided.');
  // An unparseable expiry counts as expired: a link must never outlive its request by accident.
  if (!(now.getTime() < Date.parse(token.expiresAt))) return { kind: 'closed', ...opened, ...CLOSED.Expired };
  return { kind: 'open', ...opened };
}

/** What an approver's link says once an outcome was claimed, applied by the orchestrator or not yet. */
export function claimedOutcome(claim: AuditEvent, request: EmailChangeRequest, reader: string | undefined): { kind: 'decided' | 'closed'; title: string; explanation: string } {
  if (claim.type === CANCEL_REQUESTED) return { kind: 'closed', ...cancelled(cancelEventOf(claim).origin) };
  if (claim.type === DEADLINE_PASSED) return { kind: 'closed', ...CLOSED.Expired };
  return { kind: 'decided', title: ALREADY_DECIDED, explanation: describeDecision(decisionOf(claim), request, reader) };
}

/**
 * An approver's decision that was accepted (its claim written, its token used) while the request
 * still awaits approval: the orchestrator has not applied it, perhaps because raising it failed.
 * Returned as it was raised, so it can be raised again.
 */
export function acceptedUnappliedDecision(state: ApprovalState): ApprovalDecisionEvent | undefined {
  const claim = state.kind === 'open' ? undefined : state.claim;
  if (claim?.type !== DECISION_RECEIVED || state.request.status !== 'AwaitingApproval') return undefined;
  const { outcome, approverId, comment } = claim.detail ?? {};
  // Only a claim that says exactly what was decided is raised again, never a guess.
  if (outcome !== 'approved' && outcome !== 'rejected') return undefined;
  return {
    outcome,
    approverId: typeof approverId === 'string' ? approverId : '',
    approverMail: claim.actor,
    at: claim.at,
    ...(typeof comment === 'string' && comment ? { comment } : {}),
  };
}

/** The decision an accepted `DecisionReceived` claim carries. */
export function decisionOf(claim: AuditEvent): Decision {
  return { outcome: claim.detail?.outcome === 'rejected' ? 'rejected' : 'approved', by: claim.actor, at: claim.at };
}

function decided(opened: OpenedToken<StoredApprovalToken>, explanation: string): ApprovalState {
  return { kind: 'decided', ...opened, title: ALREADY_DECIDED, explanation };
}

/** Names the guest, the outcome and who: "you" when the reader, known to be an approver, decided it. */
function describeDecision(decision: Decision, request: EmailChangeRequest, reader: string | undefined): string {
  const by = decision.by.toLowerCase() === reader?.toLowerCase() ? 'you' : decision.by;
  return `The sign-in email change of ${guestName(request)} was already decided: ${decision.outcome} by ${by} at ${formatTimestamp(decision.at)}.`;
}
