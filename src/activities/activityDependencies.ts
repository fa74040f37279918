import type { Settings } from '../config/settings.js';
import type { AuditEvent, EmailChangeRequest } from '../domain/request.js';
import type { GraphGateway } from '../graph/graphGateway.js';
import type { Mailer } from '../mail/mailer.js';
import type { AdminDigest } from '../store/adminDigest.js';
import type { RequestStore } from '../store/requestStore.js';
import type { ApprovalPolicy } from '../workflow/activityContract.js';

/** Everything with I/O the activities touch; tests pass Azurite, the Graph emulator and a clock. */
export interface ActivityDependencies {
  graph: GraphGateway;
  store: RequestStore;
  mailer: Mailer;
  /** Admin alerts waiting for the digest (ADMIN_NOTIFICATIONS `digest` or `both`). */
  adminDigest: AdminDigest;
  clock: () => Date;
  settings: Settings;
}

/** Durations an instance keeps for its whole life: read by its first step, so replays see one value. */
export function approvalPolicyOf(settings: Settings): ApprovalPolicy {
  return {
    approvalTimeoutMs: settings.APPROVAL_TIMEOUT,
    reminderAfterMs: settings.APPROVAL_REMINDER_AFTER,
    confirmationRequired: settings.REQUIRE_NEW_EMAIL_CONFIRMATION,
    confirmationTimeoutMs: settings.CONFIRMATION_TIMEOUT,
  };
}

/**
 * An audit event whose id is fixed per request and step, so a step that runs twice writes it once.
 */
export function auditEvent(
  deps: Pick<ActivityDependencies, 'clock'>,
  requestId: string,
  step: string,
  type: string,
  actor: string,
  detail?: Record<string, unknown>,
): AuditEvent {
  return { requestId, id: `${requestId}:${step}`, at: deps.clock().toISOString(), type, actor, ...(detail ? { detail } : {}) };
}

/** Thrown when an activity is given a request id the store does not know: a bug, not a user error. */
export class UnknownRequestError extends Error {
  constructor(readonly requestId: string) {
    super(`Request ${requestId} is not in the store`);
    this.name = 'UnknownRequestError';
  }
}

/** The request with its audit trail, read together (one query). */
export async function requireRequestWithEvents(store: RequestStore, requestId: string): Promise<{ request: EmailChangeRequest; events: AuditEvent[] }> {
  const stored = await store.readRequestWithEvents(requestId);
  if (!stored) throw new UnknownRequestError(requestId);
  return stored;
}

export async function requireRequest(store: RequestStore, requestId: string): Promise<EmailChangeRequest> {
  const request = await store.getRequest(requestId);
  if (!request) throw new UnknownRequestError(requestId);
  return request;
}
