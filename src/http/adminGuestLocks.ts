import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { adminIdsOf, authenticateAdmin, type AdminIdentity } from './adminAuth.js';
import { readAdminReason } from './adminReason.js';
import type { HttpDependencies } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
import { jsonResponse } from './security.js';

/**
 * `POST /api/admin/guests/{guestId}/release-lock`: frees a guest whose lock outlived its request
 * (say the instance was purged), so the guest can ask again at once. The request that held it is
 * not touched; its audit trail records who released the lock and why, and should it still be
 * approved, its reset finds the lock taken and changes nothing. A lock whose request is still
 * putting `mail` back after a failed reset is refused (409 `LockInUse`).
 */
export function releaseGuestLock(request: HttpRequest, context: InvocationContext, deps: HttpDependencies): Promise<HttpResponse> {
  return respondSafely(context, 'json', async () => {
    const admin = await authenticateAdmin(request, deps.settings);
    const reason = await readAdminReason(request);
    const guestId = request.params.guestId ?? '';
    const released = await releaseLockAsAdmin(deps, guestId, admin, reason);
    return jsonResponse(200, { guestId, requestId: released.requestId, releasedAt: released.at });
  });
}

/** An admin's release of a guest's lock, from the API or the console; audited on the request that held it. */
export async function releaseLockAsAdmin(deps: HttpDependencies, guestId: string, admin: AdminIdentity, reason: string): Promise<{ requestId: string; at: string }> {
  const held = await deps.store.getGuestLock(guestId);
  const holder = held && (await deps.store.getRequest(held.requestId));
  // Until `mail` is back, a new request would save the wrong address to restore later.
  if (holder?.mailRestore === 'pending') {
    throw new HttpError('LockInUse', `Request ${holder.id} is still putting the guest's mail back; the lock ends when it is done.`);
  }
  const released = await deps.store.forceReleaseGuestLock(guestId);
  if (!released) throw new HttpError('NotFound', 'This guest has no lock.');
  const at = deps.clock().toISOString();
  await deps.store.appendEvent({
    requestId: released.requestId,
    id: `GuestLockReleased-${randomUUID()}`,
    at,
    type: 'GuestLockReleased',
    actor: admin.name,
    detail: { guestId, reason, ...adminIdsOf(admin) },
  });
  return { requestId: released.requestId, at };
}
