import type { AuditEvent } from '../domain/request.js';
import type { RequestStore } from './requestStore.js';

/** Audit type of an approver's decision, accepted and raised on the waiting instance. */
export const DECISION_RECEIVED = 'DecisionReceived';
/** Audit type of an administrator's cancel, accepted and raised on the waiting instance. */
export const CANCEL_REQUESTED = 'CancelRequested';
/** Audit type written by the workflow when the approval deadline fired first. */
export const DEADLINE_PASSED = 'DeadlinePassed';

/**
 * The one event id under which the first outcome of a waiting request is written: an approver's
 * decision, an administrator's cancel, or the deadline. Table Storage lets exactly one insert of a
 * row succeed, so of two approvers, or an approver and an administrator, or either and the
 * deadline, acting in the same instant exactly one wins, and the others are told who came first.
 */
const CLAIM_EVENT_ID = 'claim';

export type OutcomeClaim = Omit<AuditEvent, 'id'> & { type: typeof DECISION_RECEIVED | typeof CANCEL_REQUESTED | typeof DEADLINE_PASSED };

/** Writes the claim; undefined when it won, otherwise the claim that was there first. */
export async function claimOutcome(store: RequestStore, claim: OutcomeClaim): Promise<AuditEvent | undefined> {
  if (await store.appendEvent({ ...claim, id: CLAIM_EVENT_ID })) return undefined;
  const winner = recordedClaim(await store.listEvents(claim.requestId));
  if (!winner) throw new Error(`The outcome claim of request ${claim.requestId} exists but could not be read`);
  return winner;
}

/** The outcome that won, perhaps not yet applied by the orchestrator. */
export function recordedClaim(events: readonly AuditEvent[]): AuditEvent | undefined {
  return events.find((event) => event.id === CLAIM_EVENT_ID);
}
