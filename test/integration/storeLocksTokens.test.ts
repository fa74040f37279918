import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import type { EmailChangeRequest } from '../../src/domain/request.js';
import {
  CANCEL_REQUESTED,
  claimCancel,
  claimConfirmationWithToken,
  claimOutcomeWithToken,
  DECISION_RECEIVED,
  NEW_EMAIL_CONFIRMED,
  recordedClaim,
  recordedConfirmationClaim,
} from '../../src/store/outcomeClaim.js';
import type { LinkPurpose, OpenedToken, RequestStore, StoredApprovalToken, StoredLinkToken } from '../../src/store/requestStore.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';

let store: RequestStore;
const operations: string[] = [];

beforeAll(() => {
  store = createRequestStoreFromTables(
    createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: 'StoreLocksT', onOperation: (op) => operations.push(op) }),
  );
});

/** The Table operations `run` made, besides creating tables. */
async function countOperations(run: () => Promise<unknown>): Promise<string[]> {
  operations.length = 0;
  await run();
  return operations.filter((op) => !op.endsWith('.createTable'));
}

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

  test('a request that does not know its guest releases the locks it holds, by one query, and no other', async () => {
    const [first, second, another] = [randomUUID(), randomUUID(), randomUUID()];
    const requestId = `holder-${randomUUID()}`;
    await acquire(first, requestId);
    await acquire(second, requestId);
    await acquire(another, 'someone-else');
    expect(await countOperations(() => store.releaseGuestLocksHeldBy(requestId))).toEqual(['GuestLocks.listEntities', 'GuestLocks.deleteEntity', 'GuestLocks.deleteEntity']);
    expect(await store.getGuestLock(first)).toBeUndefined();
    expect(await store.getGuestLock(second)).toBeUndefined();
    expect((await store.getGuestLock(another))?.requestId).toBe('someone-else');
    expect(await countOperations(() => store.releaseGuestLocksHeldBy(requestId))).toEqual(['GuestLocks.listEntities']);
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

/** A request waiting in `status`, with a fresh id. */
const newRequest = (status: EmailChangeRequest['status'] = 'AwaitingApproval'): EmailChangeRequest => ({
  id: randomUUID(),
  status,
  currentEmail: 'ada@partner.example',
  newEmail: 'ada@newco.example',
  reason: 'MovedCompany',
  source: {},
  submittedAt: '2025-03-04T10:00:00.000Z',
  updatedAt: '2025-03-04T10:00:00.000Z',
  approvers: [],
});

describe('tokens', () => {
  const newToken = (requestId: string, approverId = 'u1'): StoredApprovalToken => ({
    requestId,
    tokenHash: randomUUID().replace(/-/g, '').repeat(2),
    approverId,
    approverMail: 'bob@contoso.example',
    expiresAt: '2025-03-11T10:00:00.000Z',
  });
  const newLinkToken = (requestId: string, purpose: LinkPurpose): StoredLinkToken => ({ ...newToken(requestId), purpose });
  const storedRequest = async () => {
    const request = newRequest();
    await store.createRequest(request, { requestId: request.id, id: 'created', at: request.submittedAt, type: 'Created', actor: 'system' });
    return request;
  };
  /** A stored request with one approval token. */
  const saved = async () => {
    const request = await storedRequest();
    const token = newToken(request.id);
    await store.saveApprovalToken(token);
    return { request, token };
  };
  const openApproval = async (token: StoredApprovalToken) => (await store.openApprovalToken(token.requestId, token.tokenHash))!;
  const usedAt = (i: number) => `2025-03-05T09:00:${String(i).padStart(2, '0')}.000Z`;
  /** Uses the token with an event of its own, so only the token decides. */
  const use = (opened: OpenedToken<StoredApprovalToken>, at: string) =>
    store.useToken(opened, at, { event: { requestId: opened.token.requestId, id: `used-${randomUUID()}`, at, type: 'LinkUsed', actor: 'test' } });

  test('open with their request in one read, and are unknown under another request or hash, or without their request', async () => {
    const { request, token } = await saved();
    const ops = await countOperations(() => store.openApprovalToken(token.requestId, token.tokenHash));
    expect(ops).toEqual(['Requests.listEntities']);
    expect(await store.openApprovalToken(token.requestId, token.tokenHash)).toMatchObject({ token, request: { id: request.id, status: request.status }, etag: expect.any(String) });
    expect(await store.openApprovalToken(randomUUID(), token.tokenHash)).toBeUndefined();
    expect(await store.openApprovalToken(token.requestId, 'f'.repeat(64))).toBeUndefined();
    const orphan = newToken(randomUUID());
    await store.saveApprovalToken(orphan);
    expect(await store.openApprovalToken(orphan.requestId, orphan.tokenHash)).toBeUndefined();
  });

  test('open only for what they were minted for: an approval token is no link, a link only for its own purpose', async () => {
    const { request, token } = await saved();
    const track = newLinkToken(request.id, 'track');
    await store.saveLinkToken(track);
    expect((await store.openLinkToken(request.id, 'track', track.tokenHash))?.token).toEqual(track);
    expect(await store.openLinkToken(request.id, 'confirmation', track.tokenHash)).toBeUndefined();
    expect(await store.openLinkToken(request.id, 'report', track.tokenHash)).toBeUndefined();
    expect(await store.openApprovalToken(request.id, track.tokenHash)).toBeUndefined();
    for (const purpose of ['confirmation', 'track', 'report'] as const) expect(await store.openLinkToken(request.id, purpose, token.tokenHash)).toBeUndefined();
  });

  test('are used once, in one operation: the first use wins, later ones and a stale opening are refused', async () => {
    const { token } = await saved();
    const opened = await openApproval(token);
    expect(await countOperations(async () => expect(await use(opened, usedAt(0))).toBe('used'))).toEqual(['Requests.submitTransaction']);
    expect(await use(opened, usedAt(1))).toBe('tokenSpent');
    expect(await use(await openApproval(token), usedAt(2))).toBe('tokenSpent');
    expect((await openApproval(token)).token.usedAt).toBe(usedAt(0));
  });

  test('are used by exactly one of 20 racing callers', async () => {
    const { token } = await saved();
    const opened = await openApproval(token);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => use(opened, usedAt(i))));
    expect(results.filter((result) => result === 'used')).toHaveLength(1);
    expect(results.filter((result) => result === 'tokenSpent')).toHaveLength(19);
    expect((await openApproval(token)).token.usedAt).toBe(usedAt(results.indexOf('used')));
  });

  test('cannot be made reusable by saving them again', async () => {
    const { token } = await saved();
    expect(await use(await openApproval(token), usedAt(0))).toBe('used');
    await store.saveApprovalToken(token);
    expect(await use(await openApproval(token), usedAt(1))).toBe('tokenSpent');
  });

  test('are revoked unless used, kept or another approver’s, and a revoked one cannot be used, even opened before; other links are untouched', async () => {
    const { id: requestId } = await storedRequest();
    const [first, used, kept, other] = [newToken(requestId), newToken(requestId), newToken(requestId), newToken(requestId, 'u2')];
    for (const t of [first, used, kept, other]) await store.saveApprovalToken(t);
    const track = newLinkToken(requestId, 'track');
    await store.saveLinkToken(track);
    await use(await openApproval(used), usedAt(0));
    const openedBeforeRevoke = await openApproval(first);

    const at = '2025-03-05T10:00:00.000Z';
    expect(await store.revokeApprovalTokens(requestId, { at, because: 'reassigned', approverId: 'U1', keep: [kept.tokenHash] })).toBe(1);
    expect((await openApproval(first)).token).toMatchObject({ revokedAt: at, revokedBecause: 'reassigned' });
    expect(await use(openedBeforeRevoke, at)).toBe('tokenSpent');
    expect(await use(await openApproval(first), at)).toBe('tokenSpent');
    for (const untouched of [used, kept, other]) expect((await openApproval(untouched)).token.revokedAt).toBeUndefined();
    expect((await store.openLinkToken(requestId, 'track', track.tokenHash))?.token.expiresAt).toBe(track.expiresAt);

    // Without an approver: every link left, once.
    expect(await store.revokeApprovalTokens(requestId, { at, because: 'resent' })).toBe(2);
    expect(await store.revokeApprovalTokens(requestId, { at, because: 'resent' })).toBe(0);
    expect(await use(await openApproval(kept), at)).toBe('tokenSpent');
  });
});

describe('a link claiming a wait', () => {
  const at = '2025-03-05T09:00:00.000Z';
  const decision = (requestId: string) => ({ requestId, at, type: DECISION_RECEIVED, actor: 'bob@contoso.example', detail: { outcome: 'approved' } }) as const;
  const cancel = (requestId: string) => ({ requestId, at, actor: 'admin@contoso.example', detail: { reason: 'Mistake', origin: 'admin' } });
  const hash = () => randomUUID().replace(/-/g, '').repeat(2);

  const awaitingApproval = async () => {
    const request = newRequest('AwaitingApproval');
    await store.createRequest(request, { requestId: request.id, id: 'created', at: request.submittedAt, type: 'Created', actor: 'system' });
    const token: StoredApprovalToken = { requestId: request.id, tokenHash: hash(), approverId: 'u1', approverMail: 'bob@contoso.example', expiresAt: '2025-03-11T10:00:00.000Z' };
    await store.saveApprovalToken(token);
    return { request, opened: (await store.openApprovalToken(request.id, token.tokenHash))! };
  };

  test('an approver’s decision uses the link and claims the wait in one operation', async () => {
    const { request, opened } = await awaitingApproval();
    const ops = await countOperations(async () => expect(await claimOutcomeWithToken(store, opened, decision(request.id))).toBeUndefined());
    expect(ops).toEqual(['Requests.submitTransaction']);
    expect((await store.openApprovalToken(request.id, opened.token.tokenHash))?.token.usedAt).toBe(at);
    expect(recordedClaim(await store.listEvents(request.id))).toMatchObject({ type: DECISION_RECEIVED, actor: 'bob@contoso.example' });
  });

  test('a decision after a cancel learns that the cancel won, and leaves the link unused', async () => {
    const { request, opened } = await awaitingApproval();
    expect(await claimCancel(store, request, cancel(request.id))).toBeUndefined();
    expect(await claimOutcomeWithToken(store, opened, decision(request.id))).toMatchObject({ type: CANCEL_REQUESTED, actor: 'admin@contoso.example' });
    expect((await store.openApprovalToken(request.id, opened.token.tokenHash))?.token.usedAt).toBeUndefined();
  });

  test('of a decision and a cancel in the same instant, exactly one claims the wait, and the loser learns the winner', async () => {
    for (let round = 0; round < 10; round++) {
      const { request, opened } = await awaitingApproval();
      const [decided, cancelled] = await Promise.all([claimOutcomeWithToken(store, opened, decision(request.id)), claimCancel(store, request, cancel(request.id))]);
      const claim = recordedClaim(await store.listEvents(request.id));
      const used = (await store.openApprovalToken(request.id, opened.token.tokenHash))?.token.usedAt;
      if (decided === undefined) {
        expect(cancelled).toMatchObject({ type: DECISION_RECEIVED });
        expect(claim?.type).toBe(DECISION_RECEIVED);
        expect(used).toBe(at);
      } else {
        expect(cancelled).toBeUndefined();
        expect(decided).toMatchObject({ type: CANCEL_REQUESTED });
        expect(claim?.type).toBe(CANCEL_REQUESTED);
        expect(used).toBeUndefined();
      }
    }
  });

  test('a used link claims nothing, even with the wait still open', async () => {
    const { request, opened } = await awaitingApproval();
    const other = { requestId: request.id, id: 'used-elsewhere', at, type: 'LinkUsed', actor: 'test' };
    expect(await store.useToken(opened, at, { event: other })).toBe('used');
    expect(await claimOutcomeWithToken(store, opened, decision(request.id))).toBe('tokenSpent');
    expect(recordedClaim(await store.listEvents(request.id))).toBeUndefined();
  });

  test('a confirmation stores the tracking link it hands out with its claim, and neither when it lost', async () => {
    const confirming = async () => {
      const request = newRequest('AwaitingConfirmation');
      await store.createRequest(request, { requestId: request.id, id: 'created', at: request.submittedAt, type: 'Created', actor: 'system' });
      const token: StoredLinkToken = { requestId: request.id, purpose: 'confirmation', tokenHash: hash(), expiresAt: '2025-03-11T10:00:00.000Z' };
      await store.saveLinkToken(token);
      const track: StoredLinkToken = { requestId: request.id, purpose: 'track', tokenHash: hash(), expiresAt: '2025-04-11T10:00:00.000Z' };
      return { request, opened: (await store.openLinkToken(request.id, 'confirmation', token.tokenHash))!, track };
    };
    const confirmation = (requestId: string) => ({ requestId, at, type: NEW_EMAIL_CONFIRMED, actor: 'ada@newco.example' }) as const;

    const won = await confirming();
    const ops = await countOperations(async () => expect(await claimConfirmationWithToken(store, won.opened, confirmation(won.request.id), won.track)).toBeUndefined());
    expect(ops).toEqual(['Requests.submitTransaction']);
    expect((await store.openLinkToken(won.request.id, 'track', won.track.tokenHash))?.token).toEqual(won.track);
    expect(recordedConfirmationClaim(await store.listEvents(won.request.id))?.type).toBe(NEW_EMAIL_CONFIRMED);

    const lost = await confirming();
    expect(await claimCancel(store, lost.request, cancel(lost.request.id))).toBeUndefined();
    expect(await claimConfirmationWithToken(store, lost.opened, confirmation(lost.request.id), lost.track)).toMatchObject({ type: CANCEL_REQUESTED });
    expect(await store.openLinkToken(lost.request.id, 'track', lost.track.tokenHash)).toBeUndefined();
    expect((await store.openLinkToken(lost.request.id, 'confirmation', lost.opened.token.tokenHash))?.token.usedAt).toBeUndefined();
  });
});
