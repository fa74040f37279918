import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { adminGet, guestWithSponsor, submit, waitForMail, waitForStatus } from './support/flow.js';

/**
 * One active request per guest (DESIGN §6), over HTTP: a second attempt is declined and the
 * waiting request's people hear of it; an admin can free a guest's lock.
 */

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { RATE_LIMIT_PER_SOURCE: '1000' } });
});
afterAll(async () => {
  await app?.stop();
});

const stamp = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

async function releaseLock(guestId: string, body: unknown, token?: string) {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  return app.json<{ guestId?: string; requestId?: string; error?: { code: string } }>('POST', `/api/admin/guests/${guestId}/release-lock`, body, headers);
}

test('a second attempt is declined, and the waiting request’s approver and the guest’s current address hear of it', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'lock');
  const waitingFor = `lock.first.${stamp()}@northwind.example`;
  const first = await submit(app, { currentEmail: guest.mail, newEmail: waitingFor });
  await waitForStatus(app, first, 'AwaitingApproval');
  const attemptFor = `lock.second.${stamp()}@evil.example`;
  const second = await submit(app, { currentEmail: guest.mail, newEmail: attemptFor });
  expect((await waitForStatus(app, second, 'Declined')).request.declineReason).toBe('DuplicateActiveRequest');

  const toApprover = await waitForMail(app, (m) => m.to.includes(sponsor.mail) && m.subject.startsWith('Another attempt'), 'the approver is warned');
  expect(toApprover.html).toContain(attemptFor);
  expect(toApprover.html).toContain(waitingFor);
  expect(toApprover.links.some((l) => l.includes('/api/approvals/'))).toBe(false);
  const toGuest = await waitForMail(app, (m) => m.to.includes(guest.mail) && m.subject.startsWith('Another attempt'), 'the guest is warned');
  expect(toGuest.html).toContain(attemptFor);
  // The attempt does not touch the waiting request.
  expect((await adminGet(app, first)).request.status).toBe('AwaitingApproval');
});

test('an admin frees a guest’s lock with a reason: audited on the holding request, the guest can ask again', async () => {
  const { guest } = await guestWithSponsor(app, 'release');
  const first = await submit(app, { currentEmail: guest.mail, newEmail: `release.${stamp()}@northwind.example` });
  await waitForStatus(app, first, 'AwaitingApproval');
  const admin = await app.adminToken();

  expect((await releaseLock(guest.id, { reason: 'stuck' })).status).toBe(401);
  expect((await releaseLock(guest.id, { reason: 'stuck' }, await app.adminToken([]))).status).toBe(403);
  const noReason = await releaseLock(guest.id, undefined, admin);
  expect(noReason.status).toBe(400);
  expect(noReason.body.error?.code).toBe('ValidationFailed');
  expect((await releaseLock(guest.id, { reason: '' }, admin)).status).toBe(400);

  const released = await releaseLock(guest.id, { reason: 'Instance purged by mistake' }, admin);
  expect(released.status).toBe(200);
  expect(released.body).toMatchObject({ guestId: guest.id, requestId: first });
  expect((await adminGet(app, first)).events.map((e) => e.type)).toContain('GuestLockReleased');
  expect((await releaseLock(guest.id, { reason: 'again' }, admin)).status).toBe(404);

  const next = await submit(app, { currentEmail: guest.mail, newEmail: `release.next.${stamp()}@northwind.example` });
  await waitForStatus(app, next, 'AwaitingApproval');
});
