import type { DurableOrchestrationStatus } from 'durable-functions';
import { isFinal, type AuditEvent, type CancelOrigin, type EmailChangeRequest } from '../domain/request.js';
import { adminIdsIn, cancelEventOf, claimCancel, CONFIRMATION_DEADLINE_PASSED, DEADLINE_PASSED, DECISION_RECEIVED } from '../store/outcomeClaim.js';
import type { RequestStore } from '../store/requestStore.js';
import { EVENTS, type CancelEvent } from '../workflow/contract.js';
import { isRunning, type OrchestrationClient } from './dependencies.js';
import { raiseEventPatiently } from './raiseEventPatiently.js';

export type CancelAttempt =
  /** The cancel stands; `first` is the earlier cancel it repeats, when one won before. */
  | { kind: 'accepted'; cancel: CancelEvent; first?: AuditEvent }
  /** `decision`: the approver's claim that came first, when the instance may not have applied it yet. */
  | { kind: 'refused'; code: 'AlreadyDecided' | 'AlreadyFinished'; message: string; decision?: AuditEvent };

const ALREADY_DECIDED = 'An approver already decided this request; it can no longer be cancelled.';

/** Why a request cannot be cancelled as it stands, before anything is claimed; undefined when it may be. */
export function cancelRefusal(request: EmailChangeRequest, orchestration: DurableOrchestrationStatus | undefined): Extract<CancelAttempt, { kind: 'refused' }> | undefined {
  if (isFinal(request.status)) return { kind: 'refused', code: 'AlreadyFinished', message: `The request is already ${request.status}.` };
  if (request.status === 'Approved') return { kind: 'refused', code: 'AlreadyDecided', message: ALREADY_DECIDED };
  if (!isRunning(orchestration)) {
    return { kind: 'refused', code: 'AlreadyFinished', message: 'The request is no longer running.' };
  }
  return undefined;
}

/**
 * Asks a request's instance to stop, for an admin, the requester or the owner of the current
 * address. The cancel claims the wait the request is in (`claimCancel`), so of a cancel, a
 * decision, a confirmation and a deadline in the same instant one wins. A cancel that won earlier
 * is raised again: raising twice is harmless, and it heals a raise that failed. The orchestrator
 * records the ending; callers audit refusals as they see fit.
 */
export async function cancelRequest(
  store: RequestStore,
  client: OrchestrationClient,
  target: { request: EmailChangeRequest; orchestration: DurableOrchestrationStatus | undefined },
  who: { by: string; origin: CancelOrigin; reason: string; at: string; detail?: Record<string, unknown> },
): Promise<CancelAttempt> {
  const { request, orchestration } = target;
  const refused = cancelRefusal(request, orchestration);
  if (refused) return refused;
  const detail = { reason: who.reason, origin: who.origin, ...who.detail };
  const first = await claimCancel(store, request, { requestId: request.id, at: who.at, actor: who.by, detail });
  if (first?.type === DECISION_RECEIVED) return { kind: 'refused', code: 'AlreadyDecided', message: ALREADY_DECIDED, decision: first };
  if (first?.type === DEADLINE_PASSED || first?.type === CONFIRMATION_DEADLINE_PASSED) return { kind: 'refused', code: 'AlreadyFinished', message: 'The request expired.' };
  const cancel: CancelEvent = first ? cancelEventOf(first) : { reason: who.reason, by: who.by, at: who.at, origin: who.origin, ...adminIdsIn(detail) };
  // Not raised after all tries: the claim stands, and the wait's deadline step applies it.
  await raiseEventPatiently(client, request.id, EVENTS.cancel, cancel);
  return first ? { kind: 'accepted', cancel, first } : { kind: 'accepted', cancel };
}
