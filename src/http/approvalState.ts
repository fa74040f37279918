import type { AuditEvent, Decision, EmailChangeRequest, RequestStatus } from '../domain/request.js';
import { parseApprovalToken } from '../domain/approvalToken.js';
import type { RequestStore, StoredApprovalToken } from '../store/requestStore.js';
import { formatTimestamp } from '../templates/format.js';
import { HttpError } from './errors.js';

/** Audit type written when an approver's decision is accepted and raised on the instance. */
export const DECISION_RECEIVED = 'DecisionReceived';
/** The one event id every decision is written under: the first insert wins. */
export const DECISION_CLAIM_ID = 'decision';

/** What an approval link leads to right now. */
export type ApprovalState =
  | { kind: 'open'; token: StoredApprovalToken; request: EmailChangeRequest }
  | { kind: 'decided' | 'closed'; token: StoredApprovalToken; request: EmailChangeRequest; title: string; explanation: string };

const DECIDED_STATUSES: readonly RequestStatus[] = ['Approved', 'Completed', 'Failed', 'Rejected'];
const OPEN_STATUSES: readonly RequestStatus[] = ['Received', 'AwaitingApproval'];

const CLOSED: Record<'Expired' | 'Cancelled' | 'Closed', { title: string; explanation: string }> = {
  Expired: { title: 'Link expired', explanation: 'This request expired: no decision was made before its deadline. The requester can submit a new request.' },
  Cancelled: { title: 'Request cancelled', explanation: 'This request was cancelled by an administrator, so it no longer needs a decision.' },
  Closed: { title: 'Request closed', explanation: 'This request was closed and no longer needs a decision.' },
};
const ALREADY_DECIDED = 'Already decided';

/**
 * Finds the token and its request and says whether a decision can still be made. Unknown or
 * tampered tokens are `NotFound`: the answer must not reveal whether a request id exists.
 */
export async function loadApprovalState(store: RequestStore, tokenText: string, now: Date): Promise<ApprovalState> {
  const parsed = parseApprovalToken(tokenText);
  const token = parsed && (await store.getApprovalToken(parsed.requestId, parsed.tokenHash));
  const request = token && (await store.getRequest(token.requestId));
  if (!token || !request) {
    throw new HttpError('NotFound', 'This approval link is not valid. Check that you opened the whole link from the email.', { title: 'Link not found' });
  }

  const decision = request.decision ?? recordedDecision(await store.listEvents(request.id));
  if (decision) return { kind: 'decided', token, request, title: ALREADY_DECIDED, explanation: describeDecision(decision) };
  if (DECIDED_STATUSES.includes(request.status) || token.usedAt) {
    return { kind: 'decided', token, request, title: ALREADY_DECIDED, explanation: 'This request was already decided.' };
  }
  if (!OPEN_STATUSES.includes(request.status)) {
    const closed = request.status === 'Expired' || request.status === 'Cancelled' ? CLOSED[request.status] : CLOSED.Closed;
    return { kind: 'closed', token, request, ...closed };
  }
  // An unparseable expiry counts as expired: a link must never outlive its request by accident.
  if (!(now.getTime() < Date.parse(token.expiresAt))) return { kind: 'closed', token, request, ...CLOSED.Expired };
  return { kind: 'open', token, request };
}

/** The decision recorded in the audit trail but perhaps not yet applied by the orchestrator. */
export function recordedDecision(events: readonly AuditEvent[]): Decision | undefined {
  const claim = events.find((event) => event.type === DECISION_RECEIVED);
  if (!claim) return undefined;
  const outcome = claim.detail?.outcome === 'rejected' ? 'rejected' : 'approved';
  return { outcome, by: claim.actor, at: claim.at };
}

function describeDecision(decision: Decision): string {
  return `This request was already decided: ${decision.outcome} by ${decision.by} at ${formatTimestamp(decision.at)}.`;
}
