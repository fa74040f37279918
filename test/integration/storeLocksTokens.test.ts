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
  test('is taken by the first request, kept on re-acquire by the holder, refused to others', async () => {
    const guestId = randomUUID();
    expect(await store.acquireGuestLock(guestId, 'request-a')).toBe(true);
    expect(await store.acquireGuestLock(guestId, 'request-a')).toBe(true);
    expect(await store.acquireGuestLock(guestId, 'request-b')).toBe(false);
  });

  test('is released only by its holder, then free for another request', async () => {
    const guestId = randomUUID();
    await store.acquireGuestLock(guestId, 'request-a');
    await store.releaseGuestLock(guestId, 'request-b');
    expect(await store.acquireGuestLock(guestId, 'request-b')).toBe(false);
    await store.releaseGuestLock(guestId, 'request-a');
    await store.releaseGuestLock(guestId, 'request-a');
    expect(await store.acquireGuestLock(guestId, 'request-b')).toBe(true);
  });

  test('goes to exactly one of several racing requests', async () => {
    const guestId = randomUUID();
    const requestIds = ['r1', 'r2', 'r3', 'r4', 'r5'];
    const results = await Promise.all(requestIds.map((id) => store.acquireGuestLock(guestId, id)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = requestIds[results.indexOf(true)];
    expect(await store.acquireGuestLock(guestId, winner)).toBe(true);
  });

  test('accepts guest ids with characters that Table keys forbid', async () => {
    const guestId = `odd/#?\\${randomUUID()}`;
    expect(await store.acquireGuestLock(guestId, 'r1')).toBe(true);
    expect(await store.acquireGuestLock(guestId, 'r2')).toBe(false);
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
});
