import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import type { AuditEvent, EmailChangeRequest } from '../../src/domain/request.js';
import type { RequestStore, StoredLinkToken } from '../../src/store/requestStore.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';

/**
 * The store's savings of issue 12 keep their guarantees: an update right after a read does not
 * read again, yet never writes over a newer request; several events and link hashes commit with
 * the request or not at all; a lock this process holds is moved and released without a read, yet
 * never someone else's. Two stores on one account stand for two processes (two Function hosts).
 */

const PREFIX = 'StoreLeanT';
const operations: string[] = [];
let store: RequestStore;
/** Another process on the same tables, with its own memory of what it read. */
let other: RequestStore;

beforeAll(() => {
  const connectionString = inject('azuriteConnectionString');
  store = createRequestStoreFromTables(createStoreTables({ connectionString, tableNamePrefix: PREFIX, onOperation: (op) => operations.push(op) }));
  other = createRequestStoreFromTables(createStoreTables({ connectionString, tableNamePrefix: PREFIX }));
});

const AT = '2025-03-04T10:00:00.000Z';
function newRequest(overrides: Partial<EmailChangeRequest> = {}): EmailChangeRequest {
  return { id: randomUUID(), status: 'Received', currentEmail: 'ada@partner.example', newEmail: 'ada@newco.example', reason: 'MovedCompany', source: {}, submittedAt: AT, updatedAt: AT, approvers: [], ...overrides };
}
const event = (request: EmailChangeRequest, id: string, at = AT): AuditEvent => ({ requestId: request.id, id, at, type: id, actor: 'system' });
const link = (request: EmailChangeRequest, tokenHash: string): StoredLinkToken => ({ requestId: request.id, purpose: 'track', tokenHash, expiresAt: '2099-01-01T00:00:00.000Z' });

async function operationsOf(run: () => Promise<unknown>): Promise<string[]> {
  operations.length = 0;
  await run();
  return operations.filter((op) => !op.endsWith('.createTable'));
}

describe('requests', () => {
  test('creating saves the request, its events and its link hashes in one transaction; a re-run still saves the new hashes', async () => {
    const request = newRequest();
    const first = await store.createRequest(request, [event(request, 'a'), event(request, 'b')], [link(request, 'h1')]);
    expect(first.created).toBe(true);
    const again = await store.createRequest({ ...request, status: 'Expired' }, [event(request, 'a')], [link(request, 'h2')]);
    expect(again).toEqual({ request, created: false });
    expect((await store.openLinkToken(request.id, 'track', 'h1'))?.token).toMatchObject({ tokenHash: 'h1' });
    expect((await store.openLinkToken(request.id, 'track', 'h2'))?.token).toMatchObject({ tokenHash: 'h2' });
    expect((await store.listEvents(request.id)).map((e) => e.id)).toEqual(['a', 'b']);
  });

  test('the request and its trail come back from one query', async () => {
    const request = newRequest();
    await store.createRequest(request, [event(request, 'first', AT), event(request, 'second', '2025-03-04T10:01:00.000Z')], [link(request, 'h')]);
    let read: Awaited<ReturnType<RequestStore['readRequestWithEvents']>>;
    const ops = await operationsOf(async () => (read = await store.readRequestWithEvents(request.id)));
    expect(ops).toEqual(['Requests.listEntities']);
    expect(read!.request).toEqual(request);
    expect(read!.events.map((e) => e.id)).toEqual(['first', 'second']);
    expect(await store.readRequestWithEvents(randomUUID())).toBeUndefined();
  });

  test("an approver's link opens with its request and the approval claim in one query", async () => {
    const request = newRequest({ status: 'AwaitingApproval' });
    const token = { requestId: request.id, tokenHash: 'a1', approverId: 'u1', approverMail: 'bob@contoso.example', expiresAt: '2099-01-01T00:00:00.000Z' };
    await store.createRequest(request, [event(request, 'created'), event(request, 'claim'), event(request, 'other')], [token]);
    let opened: Awaited<ReturnType<RequestStore['openApprovalToken']>>;
    expect(await operationsOf(async () => (opened = await store.openApprovalToken(request.id, 'a1', ['claim'])))).toEqual(['Requests.listEntities']);
    expect(opened!.events.map((e) => e.id)).toEqual(['claim']);
    expect((await store.openApprovalToken(request.id, 'a1'))?.events).toEqual([]);
  });

  test('an update right after a read writes without reading again', async () => {
    const request = newRequest();
    await other.createRequest(request, event(request, 'created'));
    await store.getRequest(request.id);
    const ops = await operationsOf(() => store.updateRequest(request.id, { status: 'AwaitingConfirmation' }, event(request, 'next')));
    expect(ops.filter((op) => op.startsWith('Requests.'))).toEqual(['Requests.submitTransaction']);
  });

  test('what another process wrote since this one read is kept: the update reads again and applies to it', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'created'));
    await store.getRequest(request.id);
    await other.updateRequest(request.id, { guestId: 'guest-1' }, event(request, 'screened'));
    const seen: string[] = [];
    const updated = await store.updateRequest(
      request.id,
      (current) => {
        seen.push(current.guestId ?? 'none');
        return { status: 'AwaitingApproval' };
      },
      event(request, 'asked'),
    );
    expect(seen).toEqual(['none', 'guest-1']);
    expect(updated).toMatchObject({ guestId: 'guest-1', status: 'AwaitingApproval' });
    expect(await other.getRequest(request.id)).toMatchObject({ guestId: 'guest-1', status: 'AwaitingApproval' });
  });

  test('a change refused on what this process saw earlier is asked again of the stored request', async () => {
    const request = newRequest({ status: 'AwaitingApproval' });
    await store.createRequest(request, event(request, 'created'));
    await store.getRequest(request.id);
    await other.updateRequest(request.id, { status: 'Approved' }, event(request, 'approved'));
    const refuseUnlessApproved = (current: EmailChangeRequest) => {
      if (current.status !== 'Approved') throw new Error(`refused: ${current.status}`);
      return { previousMail: 'old@partner.example' };
    };
    await expect(store.updateRequest(request.id, refuseUnlessApproved, event(request, 'mail-saved'))).resolves.toMatchObject({ previousMail: 'old@partner.example' });
  });

  test('events written by an earlier step are left out, and the change and the others still commit', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'created'));
    await store.appendEvent(event(request, 'confirmed'));
    const updated = await store.updateRequest(request.id, { status: 'AwaitingApproval' }, [event(request, 'confirmed'), event(request, 'asked')], [link(request, 'h')]);
    expect(updated.status).toBe('AwaitingApproval');
    expect((await other.readRequestWithEvents(request.id))?.request.status).toBe('AwaitingApproval');
    expect((await store.listEvents(request.id)).map((e) => e.id).sort()).toEqual(['asked', 'confirmed', 'created']);
    expect((await store.openLinkToken(request.id, 'track', 'h'))?.token).toBeDefined();
  });

  test('a re-run whose events are all there changes nothing, and still saves its fresh link hashes', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'created'));
    await store.updateRequest(request.id, { status: 'AwaitingApproval' }, [event(request, 'x'), event(request, 'y')]);
    await other.updateRequest(request.id, { status: 'Cancelled' }, event(request, 'cancelled'));
    const rerun = await store.updateRequest(request.id, { status: 'AwaitingApproval' }, [event(request, 'x'), event(request, 'y')], [link(request, 'fresh')]);
    expect(rerun.status).toBe('Cancelled');
    expect((await store.openLinkToken(request.id, 'track', 'fresh'))?.token).toBeDefined();
  });

  test('markers appended together are each written once, also when some were there', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'created'));
    const ops = await operationsOf(() => store.appendEvents([event(request, 'm1'), event(request, 'm2')]));
    expect(ops).toEqual(['Requests.submitTransaction']);
    await store.appendEvents([event(request, 'm2'), event(request, 'm3')]);
    await store.appendEvents([]);
    expect((await store.listEvents(request.id)).map((e) => e.id).sort()).toEqual(['created', 'm1', 'm2', 'm3']);
  });
});

describe('guest lock held by this process', () => {
  const now = new Date('2026-11-30T10:00:00.000Z');
  const until = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();

  test('is extended and released without a read', async () => {
    const guestId = randomUUID();
    await store.acquireGuestLock(guestId, 'r1', until(60), now);
    expect(await operationsOf(() => store.extendGuestLock(guestId, 'r1', until(120)))).toEqual(['GuestLocks.writeEntity']);
    expect(await other.getGuestLock(guestId)).toMatchObject({ requestId: 'r1', expiresAt: until(120) });
    expect(await operationsOf(() => store.releaseGuestLock(guestId, 'r1'))).toEqual(['GuestLocks.deleteEntity']);
    expect(await other.getGuestLock(guestId)).toBeUndefined();
  });

  test('taken by another request since (an admin released it) is neither extended nor released', async () => {
    const guestId = randomUUID();
    await store.acquireGuestLock(guestId, 'r1', until(60), now);
    await other.forceReleaseGuestLock(guestId);
    await other.acquireGuestLock(guestId, 'r2', until(60), now);
    expect(await store.extendGuestLock(guestId, 'r1', until(120))).toBe(false);
    await store.releaseGuestLock(guestId, 'r1');
    expect(await other.getGuestLock(guestId)).toMatchObject({ requestId: 'r2', expiresAt: until(60) });
  });

  test('moved by the same request in another process is still extended and released', async () => {
    const guestId = randomUUID();
    await store.acquireGuestLock(guestId, 'r1', until(60), now);
    expect(await other.extendGuestLock(guestId, 'r1', until(90))).toBe(true);
    expect(await store.extendGuestLock(guestId, 'r1', until(120))).toBe(true);
    expect(await other.getGuestLock(guestId)).toMatchObject({ requestId: 'r1', expiresAt: until(120) });
    await other.extendGuestLock(guestId, 'r1', until(150));
    await store.releaseGuestLock(guestId, 'r1');
    expect(await other.getGuestLock(guestId)).toBeUndefined();
  });
});
