import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import type { RequestStore, StoredApprovalToken } from '../../src/store/requestStore.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';

let store: RequestStore;

beforeAll(() => {
  store = createRequestStoreFromTables(createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: 'StoreLocksT' }));
});

describe('guest lock', () => {
  const now = new Date('2026-11-30T10:00:00.000Z');
  const later = (minutes: number) => new Date(now.getTime() + minutes * 60_000);
  const until = (minutes: number) => later(minutes).toISOString();
  /** True when `requestId` holds the lock after trying to take it. */
  const acquire = async (guestId: string, requestId: string, at = now, expiresInMinutes = 60) =>
    (await store.acquireGuestLock(guestId, requestId, new Date(at.getTime() + expiresInMinutes * 60_000).toISOString(), at)).requestId === requestId;

  test('is taken by the first request, kept on re-acquire by the holder, refused to others, who learn the holder', async () => {
    const guestId = randomUUID();
    expect(await acquire(guestId, 'request-a')).toBe(true);
    expect(await acquire(guestId, 'request-a')).toBe(true);
    expect(await store.acquireGuestLock(guestId, 'request-b', until(60), now)).toEqual({ guestId, requestId: 'request-a', expiresAt: until(60) });
  });

  test('is released only by its holder, then free for another request', async () => {
    const guestId = randomUUID();
    await acquire(guestId, 'request-a');
    await store.releaseGuestLock(guestId, 'request-b');
    expect(await acquire(guestId, 'request-b')).toBe(false);
    await store.releaseGuestLock(guestId, 'request-a');
    await store.releaseGuestLock(guestId, 'request-a');
    expect(await acquire(guestId, 'request-b')).toBe(true);
  });

  test('goes to exactly one of several racing requests', async () => {
    const guestId = randomUUID();
    const requestIds = ['r1', 'r2', 'r3', 'r4', 'r5'];
    const results = await Promise.all(requestIds.map((id) => acquire(guestId, id)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = requestIds[results.indexOf(true)];
    expect(await acquire(guestId, winner)).toBe(true);
  });

  test('accepts guest ids with characters that Table keys forbid', async () => {
    const guestId = `odd/#?\\${randomUUID()}`;
    expect(await acquire(guestId, 'r1')).toBe(true);
    expect(await acquire(guestId, 'r2')).toBe(false);
  });

  test('expires by itself: a request whose instance died cannot strand the guest', async () => {
    const guestId = randomUUID();
    expect(await acquire(guestId, 'dead', now, 30)).toBe(true);
    expect(await acquire(guestId, 'early', later(29))).toBe(false);
    expect(await acquire(guestId, 'next', later(31))).toBe(true);
    // The dead request's own release no longer touches the lock it lost.
    await store.releaseGuestLock(guestId, 'dead');
    expect(await acquire(guestId, 'third', later(32))).toBe(false);
  });

  test('an expired lock goes to exactly one of several racing requests', async () => {
    const guestId = randomUUID();
    await acquire(guestId, 'dead', now, 1);
    const requestIds = ['r1', 'r2', 'r3', 'r4'];
    const results = await Promise.all(requestIds.map((id) => acquire(guestId, id, later(5))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  test('is extended only by its holder', async () => {
    const guestId = randomUUID();
    await acquire(guestId, 'holder', now, 10);
    await store.extendGuestLock(guestId, 'other', until(10_000));
    expect(await acquire(guestId, 'after-other-extended', later(11))).toBe(true);

    const second = randomUUID();
    await acquire(second, 'holder', now, 10);
    await store.extendGuestLock(second, 'holder', until(120));
    expect(await acquire(second, 'too-early', later(11))).toBe(false);
    expect(await acquire(second, 'after-expiry', later(121))).toBe(true);
  });

  test('an admin can force it free whoever holds it; nothing to free is undefined', async () => {
    const guestId = randomUUID();
    expect(await store.forceReleaseGuestLock(guestId)).toBeUndefined();
    await acquire(guestId, 'stuck');
    expect(await store.forceReleaseGuestLock(guestId)).toEqual({ guestId, requestId: 'stuck', expiresAt: until(60) });
    expect(await store.forceReleaseGuestLock(guestId)).toBeUndefined();
    expect(await acquire(guestId, 'fresh')).toBe(true);
  });
});

describe('approval tokens', () => {
  const newToken = (): StoredApprovalToken => ({
    requestId: randomUUID(),
    tokenHash: randomUUID().replace(/-/g, '').repeat(2),
    approverId: 'u1',
    approverMail: 'bob@contoso.example',
    expiresAt: '2025-03-11T10:00:00.000Z',
  });

  test('round-trip and are unknown under another request or hash', async () => {
    const token = newToken();
    await store.saveApprovalToken(token);
    expect(await store.getApprovalToken(token.requestId, token.tokenHash)).toEqual(token);
    expect(await store.getApprovalToken(randomUUID(), token.tokenHash)).toBeUndefined();
    expect(await store.getApprovalToken(token.requestId, 'f'.repeat(64))).toBeUndefined();
  });

  test('are consumed once: the first caller wins, later ones are refused', async () => {
    const token = newToken();
    await store.saveApprovalToken(token);
    expect(await store.consumeApprovalToken(token.requestId, token.tokenHash, '2025-03-05T09:00:00.000Z')).toBe(true);
    expect(await store.consumeApprovalToken(token.requestId, token.tokenHash, '2025-03-05T09:01:00.000Z')).toBe(false);
    expect((await store.getApprovalToken(token.requestId, token.tokenHash))?.usedAt).toBe('2025-03-05T09:00:00.000Z');
  });

  test('are consumed by exactly one of several racing callers', async () => {
    const token = newToken();
    await store.saveApprovalToken(token);
    const usedAts = Array.from({ length: 6 }, (_, i) => `2025-03-05T09:00:0${i}.000Z`);
    const results = await Promise.all(usedAts.map((at) => store.consumeApprovalToken(token.requestId, token.tokenHash, at)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.getApprovalToken(token.requestId, token.tokenHash))?.usedAt).toBe(usedAts[results.indexOf(true)]);
  });

  test('cannot be made reusable by saving them again', async () => {
    const token = newToken();
    await store.saveApprovalToken(token);
    await store.consumeApprovalToken(token.requestId, token.tokenHash, '2025-03-05T09:00:00.000Z');
    await store.saveApprovalToken(token);
    expect(await store.consumeApprovalToken(token.requestId, token.tokenHash, '2025-03-05T10:00:00.000Z')).toBe(false);
  });

  test('that do not exist cannot be consumed', async () => {
    expect(await store.consumeApprovalToken(randomUUID(), 'a'.repeat(64), '2025-03-05T09:00:00.000Z')).toBe(false);
  });

  test('are revoked unless used, kept or another approver’s, and a revoked one cannot be consumed; other links are untouched', async () => {
    const requestId = randomUUID();
    const token = (approverId: string): StoredApprovalToken => ({ ...newToken(), requestId, approverId });
    const [first, used, kept, other] = [token('u1'), token('u1'), token('u1'), token('u2')];
    for (const t of [first, used, kept, other]) await store.saveApprovalToken(t);
    await store.saveLinkToken({ requestId, purpose: 'track', tokenHash: 'c'.repeat(64), expiresAt: first.expiresAt });
    await store.consumeApprovalToken(requestId, used.tokenHash, '2025-03-05T09:00:00.000Z');

    const at = '2025-03-05T10:00:00.000Z';
    expect(await store.revokeApprovalTokens(requestId, { at, because: 'reassigned', approverId: 'U1', keep: [kept.tokenHash] })).toBe(1);
    expect(await store.getApprovalToken(requestId, first.tokenHash)).toMatchObject({ revokedAt: at, revokedBecause: 'reassigned' });
    expect(await store.consumeApprovalToken(requestId, first.tokenHash, at)).toBe(false);
    for (const untouched of [used, kept, other]) expect((await store.getApprovalToken(requestId, untouched.tokenHash))?.revokedAt).toBeUndefined();
    expect((await store.getLinkToken(requestId, 'track', 'c'.repeat(64)))?.expiresAt).toBe(first.expiresAt);

    // Without an approver: every link left, once.
    expect(await store.revokeApprovalTokens(requestId, { at, because: 'resent' })).toBe(2);
    expect(await store.revokeApprovalTokens(requestId, { at, because: 'resent' })).toBe(0);
    expect(await store.consumeApprovalToken(requestId, kept.tokenHash, at)).toBe(false);
  });
});
