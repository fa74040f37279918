import type { Settings } from '../config/settings.js';
import type { AuditEvent, EmailChangeRequest } from '../domain/request.js';
import type { GraphGateway } from '../graph/graphGateway.js';
import type { Mailer } from '../mail/mailer.js';
import type { AdminDigest } from '../store/adminDigest.js';
import type { RequestStore } from '../store/requestStore.js';

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

export async function requireRequest(store: RequestStore, requestId: string): Promise<EmailChangeRequest> {
  const request = await store.getRequest(requestId);
  if (!request) throw new UnknownRequestError(requestId);
  return request;
}
