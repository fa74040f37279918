import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import type { EmailChangeRequest } from '../domain/request.js';
import type { RequestListPage, RequestStore } from '../store/requestStore.js';
import { resetAttemptOf, retryInstanceId } from '../domain/resetRetry.js';
import { StoreError } from '../store/storeError.js';
import type { DurableOrchestrationStatus } from 'durable-functions';
import { ORCHESTRATOR_NAME, type EmailChangeOrchestrationInput } from '../workflow/contract.js';
import { adminIdsOf, authenticateAdmin, type AdminIdentity } from './adminAuth.js';
import { parseRequestListQuery } from './adminQuery.js';
import { readAdminReason } from './adminReason.js';
import { adminViewOf } from './adminView.js';
import { cancelRequest } from './cancelRequest.js';
import { findOrchestration, type HttpDependencies, type OrchestrationClient } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
import { jsonResponse } from './security.js';

/** `GET /api/admin/requests`: newest first, filtered, one page at a time. */
export function listAdminRequests(request: HttpRequest, context: InvocationContext, deps: HttpDependencies): Promise<HttpResponse> {
  return respondSafely(context, 'json', async () => {
    await authenticateAdmin(request, deps.settings);
    const page = await listMatching(deps.store, request.query);
    return jsonResponse(200, { items: page.items.map(adminViewOf), continuationToken: page.continuationToken ?? null });
  });
}

/** One page of the requests matching the list filters in `query`; a filter the store cannot apply is 400 `InvalidQuery`. */
export async function listMatching(store: RequestStore, query: URLSearchParams): Promise<RequestListPage> {
  try {
    return await store.listRequests(parseRequestListQuery(query));
  } catch (error) {
    if (error instanceof StoreError && (error.code === 'InvalidContinuationToken' || error.code === 'InvalidListQuery')) {
      const field = error.code === 'InvalidContinuationToken' ? 'continuationToken' : 'query';
      throw new HttpError('InvalidQuery', `Invalid query parameter: ${field}.`, { details: { [field]: error.message }, cause: error });
    }
    throw error;
  }
}

/** `GET /api/admin/requests/{id}`: the request, its audit trail and where its instance is. */
export function getAdminRequest(
  request: HttpRequest,
  context: InvocationContext,
  deps: HttpDependencies,
  client: OrchestrationClient,
): Promise<HttpResponse> {
  return respondSafely(context, 'json', async () => {
    await authenticateAdmin(request, deps.settings);
    const { emailChange, recorded, orchestration: own } = await findRequest(deps, client, request.params.id);
    const events = recorded ? await deps.store.listEvents(emailChange.id) : [];
    // After an admin's retry, the instance that runs the latest attempt is the one to watch.
    const attempt = resetAttemptOf(emailChange);
    const instanceId = attempt > 1 ? retryInstanceId(emailChange.id, attempt) : emailChange.id;
    const orchestration = attempt > 1 ? await findOrchestration(client, instanceId) : own;
    return jsonResponse(200, {
      request: adminViewOf(emailChange),
      events,
      orchestration: orchestration
        ? {
            instanceId,
            runtimeStatus: orchestration.runtimeStatus,
            customStatus: orchestration.customStatus ?? null,
            createdTime: orchestration.createdTime,
            lastUpdatedTime: orchestration.lastUpdatedTime,
          }
        : null,
    });
  });
}

/**
 * `POST /api/admin/requests/{id}/cancel`: asks the instance to stop. The orchestrator records
 * the cancellation; here we only refuse what can no longer be cancelled and audit who asked.
 */
export function cancelAdminRequest(
  request: HttpRequest,
  context: InvocationContext,
  deps: HttpDependencies,
  client: OrchestrationClient,
): Promise<HttpResponse> {
  return respondSafely(context, 'json', async () => {
    const admin = await authenticateAdmin(request, deps.settings);
    const reason = await readAdminReason(request);
    const target = await findRequest(deps, client, request.params.id);
    await cancelAsAdmin(deps, client, target, admin, reason);
    return jsonResponse(202, { requestId: target.emailChange.id, status: 'Cancelling' });
  });
}

/**
 * An admin's cancel, from the API or the console: refused ones (`HttpError` 409) and repeated
 * ones are audited too, so every admin action on a request leaves a trace with who and why.
 */
export async function cancelAsAdmin(
  deps: HttpDependencies,
  client: OrchestrationClient,
  { emailChange, orchestration }: FoundRequest,
  admin: AdminIdentity,
  reason: string,
): Promise<void> {
  const at = deps.clock().toISOString();
  const detail = { reason, ...adminIdsOf(admin) };
  const ignored = (why: string) =>
    deps.store.appendEvent({ requestId: emailChange.id, id: `CancelIgnored-${randomUUID()}`, at, type: 'CancelIgnored', actor: admin.name, detail: { ...detail, why } });
  const attempt = await cancelRequest(deps.store, client, { request: emailChange, orchestration }, { by: admin.name, origin: 'admin', reason, at, detail });
  if (attempt.kind === 'refused') {
    await ignored(attempt.message);
    throw new HttpError(attempt.code, attempt.message);
  }
  if (attempt.first) await ignored(`Already being cancelled by ${attempt.first.actor}.`);
}

/**
 * Between the 202 and the orchestration's first step the request exists only as the instance's
 * input. Admins see it then too, as Received, rather than a 404 for a request the guest was just
 * told was received.
 */
function requestBeingRecorded(id: string, orchestration: DurableOrchestrationStatus): EmailChangeRequest | undefined {
  const input = orchestration.input as EmailChangeOrchestrationInput | null;
  if (orchestration.name !== ORCHESTRATOR_NAME || !input?.submission) return undefined;
  return { id, status: 'Received', ...input.submission, source: input.source, submittedAt: input.submittedAt, updatedAt: input.submittedAt, approvers: [] };
}

export interface FoundRequest {
  emailChange: EmailChangeRequest;
  /** False while the request exists only as its instance's input. */
  recorded: boolean;
  orchestration: DurableOrchestrationStatus | undefined;
}

/**
 * The stored request, or, between the 202 and the orchestration's first step, the one its
 * instance is about to record; with the instance's status either way. Unknown ids are a 404.
 */
export async function findRequest(deps: HttpDependencies, client: OrchestrationClient, id: string | undefined): Promise<FoundRequest> {
  const [stored, orchestration] = id ? await Promise.all([deps.store.getRequest(id), findOrchestration(client, id)]) : [undefined, undefined];
  const emailChange = stored ?? (id && orchestration ? requestBeingRecorded(id, orchestration) : undefined);
  if (!emailChange) throw new HttpError('NotFound', 'No request has this id.', { title: 'Request not found' });
  return { emailChange, recorded: stored !== undefined, orchestration };
}
