import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, startLocalApp, type LocalApp } from './support/localApp.js';
import { adminGet, approvalLink, approvedWithMailChanged, decide, guestWithSponsor, injectFault, submit, tenant, waitForMail, waitForStatus } from './support/flow.js';

/**
 * One active request per guest (DESIGN §6), over HTTP: a second attempt is declined and the
 * waiting request's people hear of it; an admin can free a guest's lock.
 */

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { RATE_LIMIT_PER_SOURCE: '1000', MAIL_RESTORE_FIRST_RETRY: 'PT1S', MAIL_RESTORE_MAX_RETRY: 'PT2S' } });
});
afterAll(async () => {
  await app?.json('DELETE', '/_dev/graph/faults');
  await app?.stop();
});

const fault = (body: Record<string, unknown>) => injectFault(app, body);
const mailOf = async (guestId: string) => (await tenant(app)).users.find((u) => u.id === guestId)?.mail;

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

test('a request whose lock an admin released, approved after another request took the lock, changes nothing', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'taken');
  const first = await submit(app, { currentEmail: guest.mail, newEmail: `taken.first.${stamp()}@northwind.example` });
  const firstLink = approvalLink(await waitForMail(app, (m) => m.to.includes(sponsor.mail) && m.html.includes('taken.first.'), 'first approval mail'));
  await waitForStatus(app, first, 'AwaitingApproval');
  expect((await releaseLock(guest.id, { reason: 'testing' }, await app.adminToken())).status).toBe(200);
  const second = await submit(app, { currentEmail: guest.mail, newEmail: `taken.second.${stamp()}@northwind.example` });
  await waitForStatus(app, second, 'AwaitingApproval');

  expect((await decide(firstLink, 'approve')).status).toBe(200);
  const failed = await waitForStatus(app, first, 'Failed');
  expect(failed.request.result).toMatchObject({ code: 'DuplicateActiveRequest' });
  expect(await mailOf(guest.id)).toBe(guest.mail);
  expect((await tenant(app)).invitations.some((i) => i.invitedUser?.id === guest.id)).toBe(false);
  // The second request still holds the guest and goes on.
  expect((await adminGet(app, second)).request.status).toBe('AwaitingApproval');
});

test('the lock of a request still putting mail back cannot be released (409 LockInUse); it ends when mail is back', async () => {
  const { guest, id } = await approvedWithMailChanged(app, 'pending');
  await fault({ method: 'PATCH', path: `/v1.0/users/${guest.id}`, status: 503, count: 18, retryAfter: 0 });
  await fault({ method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });
  await eventually(async () => (((await adminGet(app, id)).request as { mailRestore?: string }).mailRestore === 'pending' ? true : undefined), 45_000, 'mailRestore pending');

  const refused = await releaseLock(guest.id, { reason: 'impatient' }, await app.adminToken());
  expect(refused.status).toBe(409);
  expect(refused.body.error?.code).toBe('LockInUse');

  await eventually(async () => (((await adminGet(app, id)).request as { mailRestore?: string }).mailRestore === 'done' ? true : undefined), 60_000, 'mailRestore done');
  expect(await mailOf(guest.id)).toBe(guest.mail);
  expect((await releaseLock(guest.id, { reason: 'after' }, await app.adminToken())).status).toBe(404);
});
