import { CANCEL_ORIGINS, type AuditEvent, type CancelOrigin, type EmailChangeRequest } from '../domain/request.js';
import type { CancelEvent } from '../workflow/contract.js';
import type { OpenedToken, RequestStore, StoredApprovalToken, StoredLinkToken } from './requestStore.js';

/** Audit type of an approver's decision, accepted and raised on the waiting instance. */
export const DECISION_RECEIVED = 'DecisionReceived';
/** Audit type of a cancel (admin, requester or owner), accepted and raised on the waiting instance. */
export const CANCEL_REQUESTED = 'CancelRequested';
/** Audit type written by the workflow when the approval deadline fired first. */
export const DEADLINE_PASSED = 'DeadlinePassed';
/** Audit type of the new address's confirmation, accepted and raised on the waiting instance. */
export const NEW_EMAIL_CONFIRMED = 'NewEmailConfirmed';
/** Audit type written by the workflow when the confirmation deadline fired first. */
export const CONFIRMATION_DEADLINE_PASSED = 'ConfirmationDeadlinePassed';

/**
 * A request waits twice: for the new address to be confirmed, then for a decision. Each wait has
 * one event id under which its first outcome is written: the confirmation, a cancel or the
 * deadline; then a decision, a cancel or the deadline. Table Storage lets exactly one insert of a
 * row succeed, so of two parties acting in the same instant exactly one wins, and the others are
 * told who came first.
 */
/** The approval wait's claim: read with an approver's link (`openApprovalToken`). */
export const CLAIM_EVENT_ID = 'claim';
const CONFIRMATION_CLAIM_EVENT_ID = 'claim-confirmation';

export type OutcomeClaim = Omit<AuditEvent, 'id'> & { type: typeof DECISION_RECEIVED | typeof CANCEL_REQUESTED | typeof DEADLINE_PASSED };
export type ConfirmationClaim = Omit<AuditEvent, 'id'> & {
  type: typeof NEW_EMAIL_CONFIRMED | typeof CANCEL_REQUESTED | typeof CONFIRMATION_DEADLINE_PASSED;
};

/** Writes the approval wait's claim; undefined when it won, otherwise the claim that was there first. */
export function claimOutcome(store: RequestStore, claim: OutcomeClaim): Promise<AuditEvent | undefined> {
  return claimOnce(store, CLAIM_EVENT_ID, claim);
}

/** Writes the confirmation wait's claim; undefined when it won, otherwise the claim there first. */
export function claimConfirmation(store: RequestStore, claim: ConfirmationClaim): Promise<AuditEvent | undefined> {
  return claimOnce(store, CONFIRMATION_CLAIM_EVENT_ID, claim);
}

/**
 * A cancel claims the wait the request is in: the confirmation while it awaits one, and the
 * decision once the address was confirmed (also when the confirmation wins the same instant).
 * Undefined when the cancel won; otherwise the outcome that did.
 */
export async function claimCancel(store: RequestStore, request: EmailChangeRequest, claim: Omit<OutcomeClaim, 'type'>): Promise<AuditEvent | undefined> {
  const cancel = { ...claim, type: CANCEL_REQUESTED } as const;
  if (request.status === 'AwaitingConfirmation') {
    const first = await claimConfirmation(store, cancel);
    if (first?.type !== NEW_EMAIL_CONFIRMED) return first;
  }
  return claimOutcome(store, cancel);
}

/**
 * An approver's link claims the approval wait, using the link in the same transaction: undefined
 * when both happened, `tokenSpent` when the link was already used or revoked (nothing written),
 * otherwise the claim that was there first (and the link stays unused: it decided nothing).
 */
export function claimOutcomeWithToken(store: RequestStore, opened: OpenedToken<StoredApprovalToken>, claim: OutcomeClaim): Promise<AuditEvent | 'tokenSpent' | undefined> {
  return claimOnceWithToken(store, CLAIM_EVENT_ID, opened, claim);
}

/**
 * The confirmation link claims the confirmation wait, as `claimOutcomeWithToken`; the token of
 * `newLink`, the tracking link its page hands out, is stored in the same transaction.
 */
export function claimConfirmationWithToken(
  store: RequestStore,
  opened: OpenedToken<StoredLinkToken>,
  claim: ConfirmationClaim,
  newLink: StoredLinkToken,
): Promise<AuditEvent | 'tokenSpent' | undefined> {
  return claimOnceWithToken(store, CONFIRMATION_CLAIM_EVENT_ID, opened, claim, newLink);
}

async function claimOnce(store: RequestStore, id: string, claim: Omit<AuditEvent, 'id'>): Promise<AuditEvent | undefined> {
  if (await store.appendEvent({ ...claim, id })) return undefined;
  return claimWinner(store, id, claim.requestId);
}

async function claimOnceWithToken(
  store: RequestStore,
  id: string,
  opened: OpenedToken<StoredApprovalToken | StoredLinkToken>,
  claim: Omit<AuditEvent, 'id'>,
  newLink?: StoredLinkToken,
): Promise<AuditEvent | 'tokenSpent' | undefined> {
  const use = await store.useToken(opened, claim.at, { event: { ...claim, id }, newLink });
  if (use === 'used') return undefined;
  if (use === 'tokenSpent') return use;
  return claimWinner(store, id, claim.requestId);
}

/** Only the side that lost reads the trail, to learn who came first. */
async function claimWinner(store: RequestStore, id: string, requestId: string): Promise<AuditEvent> {
  const winner = (await store.listEvents(requestId)).find((event) => event.id === id);
  if (!winner) throw new Error(`The claim ${id} of request ${requestId} exists but could not be read`);
  return winner;
}

/** The outcome of the approval wait that won, perhaps not yet applied by the orchestrator. */
export function recordedClaim(events: readonly AuditEvent[]): AuditEvent | undefined {
  return events.find((event) => event.id === CLAIM_EVENT_ID);
}

/** The outcome of the confirmation wait that won, perhaps not yet applied by the orchestrator. */
export function recordedConfirmationClaim(events: readonly AuditEvent[]): AuditEvent | undefined {
  return events.find((event) => event.id === CONFIRMATION_CLAIM_EVENT_ID);
}

/** The Cancel event a `CancelRequested` claim stands for, to raise (again) or to settle a deadline with. */
export function cancelEventOf(claim: AuditEvent): CancelEvent {
  const detail = claim.detail ?? {};
  const origin = CANCEL_ORIGINS.includes(detail.origin as CancelOrigin) ? (detail.origin as CancelOrigin) : 'admin';
  return { reason: String(detail.reason ?? ''), by: claim.actor, at: claim.at, origin, ...adminIdsIn(detail) };
}

/** The admin's ids an audit detail carries (`adminIdsOf`), to go with a cancel. */
export function adminIdsIn(detail: Record<string, unknown>): Pick<CancelEvent, 'objectId' | 'username'> {
  return Object.fromEntries((['objectId', 'username'] as const).flatMap((key) => (typeof detail[key] === 'string' ? [[key, detail[key]]] : [])));
}
