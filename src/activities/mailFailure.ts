import { logAndStoreError, type FailureLog } from '../domain/errorText.js';
import type { AuditEvent } from '../domain/request.js';
import { GraphRequestError } from '../graph/graphGateway.js';
import { auditEvent, type ActivityDependencies } from './activityDependencies.js';

const logFailure: FailureLog = (message, error) => console.error(message, error);

/**
 * Audits a mail Graph refused (`MailFailed`: its key, which try this was, Graph's status, code and
 * request-id), for steps a refused mail must not fail: the outcome mails are tried again later, a
 * reminder is best effort. `events` is the trail read at the start of the step, which counts the
 * earlier tries.
 */
export async function recordMailFailure(deps: ActivityDependencies, requestId: string, events: readonly AuditEvent[], key: string, error: GraphRequestError): Promise<void> {
  const attempt = events.filter((event) => event.type === 'MailFailed' && event.detail?.key === key).length + 1;
  const failure = logAndStoreError(error, logFailure);
  await deps.store.appendEvent(auditEvent(deps, requestId, `mail-failed:${key}:${attempt}`, 'MailFailed', 'system', { key, attempt, status: error.status, ...failure }));
}

/**
 * Sends a mail the step cannot go on without (a confirmation, an approval round): a refusal is
 * audited as above before it fails the step, so the trail says why the request stopped if the
 * step's retries run out. `events` undefined: the trail is read only when there is a refusal.
 */
export async function sendOrFailAudited(deps: ActivityDependencies, requestId: string, events: readonly AuditEvent[] | undefined, key: string, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (error instanceof GraphRequestError) {
      // The refusal is what fails the step: a storage fault while auditing it must not hide it.
      await recordMailFailure(deps, requestId, events ?? (await deps.store.listEvents(requestId)), key, error).catch(() => undefined);
    }
    throw error;
  }
}
