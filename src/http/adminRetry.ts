import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { resetAttemptOf, retryInstanceId, whyNotRetryable } from '../domain/resetRetry.js';
import type { EmailChangeRequest } from '../domain/request.js';
import { RESET_RETRY_ORCHESTRATOR_NAME, type ResetRetryInput } from '../workflow/contract.js';
import { adminIdsOf, authenticateAdmin, type AdminIdentity } from './adminAuth.js';
import { optionalAdminReasonOf } from './adminReason.js';
import { findRequest, type FoundRequest } from './adminRequests.js';
import { readBody } from './body.js';
import { findOrchestration, isRunning, type HttpDependencies, type OrchestrationClient } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
import { jsonResponse } from './security.js';

/**
 * `POST /api/admin/requests/{id}/retry` (optional `{reason}`): runs the Graph reset of a `Failed`
 * request again when it failed on a transient fault, within `RETRY_WINDOW` of the approval
 * (`whyNotRetryable`); else 409 `NotRetryable` saying why. The request goes back to `Approved`
 * as its next attempt (`resetAttempt`), with `RetryRequested` audited in the same transaction,
 * which only one of two admins acting at once can write; then an instance of its own
 * (`resetRetryOrchestrator`) carries the attempt through to `Completed` or `Failed`.
 */
export function retryReset(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'json', async () => {
    const admin = await authenticateAdmin(request, deps.settings);
    const { fields } = await readBody(request, { emptyIsNoFields: true });
    const reason = optionalAdminReasonOf(fields);
    const retry = await retryAsAdmin(deps, client, await findRequest(deps, client, request.params.id), admin, reason);
    return jsonResponse(202, { requestId: retry.requestId, status: 'Approved', attempt: retry.attempt, instanceId: retry.instanceId });
  });
}

/** An admin's retry, from the API or the console; refusals are `HttpError`s (409). */
export async function retryAsAdmin(
  deps: HttpDependencies,
  client: OrchestrationClient,
  { emailChange, orchestration }: FoundRequest,
  admin: AdminIdentity,
  reason: string | undefined,
): Promise<{ requestId: string; attempt: number; instanceId: string }> {
  const now = deps.clock();
  const stranded = await strandedAttempt(client, emailChange, now);
  if (stranded) return resumeStranded(deps, client, emailChange, stranded, admin, reason);
  const refusal = whyNotRetryable(emailChange, now, deps.settings.RETRY_WINDOW);
  if (refusal) throw new HttpError('NotRetryable', refusal);
  // The run that failed may still be sending its mails; a new run would race it.
  const lastRun = resetAttemptOf(emailChange) > 1 ? await findOrchestration(client, retryInstanceId(emailChange.id, resetAttemptOf(emailChange))) : orchestration;
  if (isRunning(lastRun)) throw new HttpError('NotRetryable', 'The failed run is still finishing (its mails); retry once it has ended.');
  await requireGuestFree(deps, emailChange, now);
  await requireGuestUnchanged(deps, emailChange);

  const attempt = resetAttemptOf(emailChange) + 1;
  const at = now.toISOString();
  await deps.store.updateRequest(
    emailChange.id,
    (current) => {
      if (current.status !== 'Failed' || resetAttemptOf(current) !== attempt - 1) {
        throw new HttpError('NotRetryable', `The request is ${current.status} (attempt ${resetAttemptOf(current)}): another retry got there first.`);
      }
      return { status: 'Approved', result: undefined, mailRestore: undefined, resetAttempt: attempt };
    },
    {
      requestId: emailChange.id,
      id: `RetryRequested-${randomUUID()}`,
      at,
      type: 'RetryRequested',
      actor: admin.name,
      detail: { attempt, failedWith: emailChange.result, ...(reason ? { reason } : {}), ...adminIdsOf(admin) },
    },
  );
  const instanceId = retryInstanceId(emailChange.id, attempt);
  const input: ResetRetryInput = { requestId: emailChange.id, attempt };
  try {
    await client.startNew(RESET_RETRY_ORCHESTRATOR_NAME, { instanceId, input });
  } catch (error) {
    await putBack(deps, emailChange, attempt);
    throw error;
  }
  return { requestId: emailChange.id, attempt, instanceId };
}

/** Longer than a retry takes from storing its attempt to starting its instance. */
const STRANDED_AFTER_MS = 60_000;

/**
 * The attempt a retry stored before its process stopped, short of starting the attempt's instance:
 * the request reads `Approved` with nothing to carry it on, and cancel and retry both refused it.
 */
async function strandedAttempt(client: OrchestrationClient, request: EmailChangeRequest, now: Date): Promise<number | undefined> {
  const attempt = resetAttemptOf(request);
  if (request.status !== 'Approved' || attempt < 2 || now.getTime() - Date.parse(request.updatedAt) < STRANDED_AFTER_MS) return undefined;
  return (await findOrchestration(client, retryInstanceId(request.id, attempt))) ? undefined : attempt;
}

/** Starts the stranded attempt's instance, audited; of two admins doing so at once, one does. */
async function resumeStranded(
  deps: HttpDependencies,
  client: OrchestrationClient,
  request: EmailChangeRequest,
  attempt: number,
  admin: AdminIdentity,
  reason: string | undefined,
): Promise<{ requestId: string; attempt: number; instanceId: string }> {
  const instanceId = retryInstanceId(request.id, attempt);
  const input: ResetRetryInput = { requestId: request.id, attempt };
  try {
    await client.startNew(RESET_RETRY_ORCHESTRATOR_NAME, { instanceId, input });
  } catch (error) {
    if (await findOrchestration(client, instanceId)) throw new HttpError('NotRetryable', `Attempt ${attempt} is already running: another retry got there first.`);
    throw error;
  }
  await deps.store.appendEvent({
    requestId: request.id,
    id: `RetryResumed-${randomUUID()}`,
    at: deps.clock().toISOString(),
    type: 'RetryResumed',
    actor: admin.name,
    detail: { attempt, ...(reason ? { reason } : {}), ...adminIdsOf(admin) },
  });
  return { requestId: request.id, attempt, instanceId };
}

/**
 * The reset takes the guest's lock again; refused up front when another request holds it, so the
 * admin hears why now rather than reading a `DuplicateActiveRequest` failure later.
 */
async function requireGuestFree(deps: HttpDependencies, request: EmailChangeRequest, now: Date): Promise<void> {
  const lock = request.guestId ? await deps.store.getGuestLock(request.guestId) : undefined;
  const heldByAnother = lock && lock.requestId !== request.id && (!lock.expiresAt || Date.parse(lock.expiresAt) > now.getTime());
  if (heldByAnother) throw new HttpError('LockInUse', `Request ${lock.requestId} for this guest is active; retry once it has ended.`);
}

/** The instance could not be started: the request goes back to how it failed, so a retry can be asked again. */
async function putBack(deps: HttpDependencies, failed: EmailChangeRequest, attempt: number): Promise<void> {
  await deps.store.updateRequest(
    failed.id,
    { status: 'Failed', result: failed.result, mailRestore: failed.mailRestore, resetAttempt: failed.resetAttempt },
    { requestId: failed.id, id: `RetryNotStarted-${randomUUID()}`, at: deps.clock().toISOString(), type: 'RetryNotStarted', actor: 'system', detail: { attempt } },
  );
}

/**
 * The retry re-applies a change approved against the guest as they were then. If the guest's
 * `mail` is no longer what this request found (and put back) — another request changed it since,
 * or an admin did — the approval no longer describes the account: retrying would overwrite a newer
 * change and tell the wrong mailbox. A new request must be made instead.
 */
async function requireGuestUnchanged(deps: HttpDependencies, request: EmailChangeRequest): Promise<void> {
  const guest = request.guestId ? await deps.graph.getUser(request.guestId) : undefined;
  if (!guest) throw new HttpError('NotRetryable', 'The guest is no longer in the directory.');
  const expected = (request.previousMail ?? request.guestMail ?? null)?.toLowerCase() ?? null;
  const actual = guest.mail?.toLowerCase() ?? null;
  if (actual !== expected) {
    throw new HttpError('NotRetryable', `The guest's mail changed since this request failed (it reads ${actual ?? '(empty)'}, not ${expected ?? '(empty)'}): the approval no longer matches the account. Ask for a new request.`);
  }
}
