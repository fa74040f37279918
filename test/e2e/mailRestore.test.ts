import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, startLocalApp, type LocalApp } from './support/localApp.js';
import { adminGet, approvedWithMailChanged, injectFault, tenant, waitForMail, waitForStatus } from './support/flow.js';

/**
 * A reset that fails after `mail` was changed, while Graph also refuses to put `mail` back for a
 * while (DESIGN §5): the request ends Failed at once with `mailRestore: pending`, the restore is
 * retried on durable timers (shortened through settings) until Graph recovers, every failed try
 * is audited, the admins are alerted once and told when it is done, and no mail says `mail` was
 * put back before it was.
 */

const ADMINS = 'it-admins@contoso.com';
const SENDER = 'guest-reset@contoso.com';
let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { ADMIN_NOTIFICATION_EMAILS: ADMINS, MAIL_SENDER: SENDER, MAIL_RESTORE_FIRST_RETRY: 'PT1S', MAIL_RESTORE_MAX_RETRY: 'PT2S' } });
});
afterAll(async () => {
  await app?.json('DELETE', '/_dev/graph/faults');
  await app?.stop();
});

const fault = (body: Record<string, unknown>) => injectFault(app, body);
const mailRestoreOf = async (id: string) => ((await adminGet(app, id)).request as { mailRestore?: string | null }).mailRestore;

test('a failed reset whose restore Graph refuses for a while: Failed, restore pending then done, mail back, every try audited, admins alerted once', async () => {
  const { guest, sponsor, id } = await approvedWithMailChanged(app, 'restore');
  // Now: the invitation is refused for good, and the first three tries to put mail back get 503
  // (six calls each: the Graph client retries five times).
  await fault({ method: 'PATCH', path: `/v1.0/users/${guest.id}`, status: 503, count: 18, retryAfter: 0 });
  await fault({ method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });

  const failed = await waitForStatus(app, id, 'Failed');
  expect(failed.request.result).toMatchObject({ code: 'BadRequest' });
  await eventually(async () => ((await mailRestoreOf(id)) === 'pending' ? true : undefined), 30_000, 'mailRestore pending');
  await eventually(async () => ((await mailRestoreOf(id)) === 'done' ? true : undefined), 60_000, 'mailRestore done');
  expect((await tenant(app)).users.find((u) => u.id === guest.id)?.mail).toBe(guest.mail);

  const { events } = await adminGet(app, id);
  const failedTries = events.filter((e) => e.type === 'MailRestoreFailed') as { type: string; at: string; detail?: { code?: string; requestId?: string } }[];
  expect(failedTries).toHaveLength(3);
  for (const attempt of failedTries) expect(attempt.detail).toMatchObject({ code: 'ServiceUnavailable', requestId: expect.any(String) });
  const restoredAt = Date.parse(events.find((e) => e.type === 'MailRestored')!.at);

  const outbox = await waitForMail(app, (m) => m.to.includes(ADMINS) && m.subject.startsWith('Resolved:') && m.html.includes(id), 'restored notice').then(() => app.outbox());
  const about = outbox.filter((m) => m.html.includes(id) || m.to.includes(guest.mail) || m.to.includes(sponsor.mail));
  expect(about.filter((m) => m.to.includes(ADMINS) && m.subject.startsWith('Action may be needed'))).toHaveLength(1);
  expect(about.filter((m) => m.to.includes(ADMINS) && m.subject.startsWith('Resolved:'))).toHaveLength(1);
  // What each mail says matches what had happened when it was sent.
  for (const message of about) {
    if (/put back to|is back to/.test(message.html + message.subject)) expect(Date.parse(message.sentAt)).toBeGreaterThanOrEqual(restoredAt);
  }
  const failureNotice = about.find((m) => m.to.includes(sponsor.mail) && /failed/i.test(m.subject));
  expect(failureNotice?.html).toContain('could not be put back yet');
});

test('Graph down for reads, writes and mail at once after a failed reset: the outcome keeps Graph’s code, mail is put back once Graph recovers, the admins alerted once and told it is resolved', async () => {
  await app.json('DELETE', '/_dev/graph/faults');
  const { guest, sponsor, id } = await approvedWithMailChanged(app, 'outage');
  // The outage: every read and write of a user and every mail answers 503 (each call is six with
  // the Graph client's own retries), for longer than a step's retries last: the first mails fail
  // twice over (alert, failure mails), the reads three restore tries, the write one more.
  await fault({ method: 'GET', path: '/v1.0/users/', status: 503, count: 18, retryAfter: 0 });
  await fault({ method: 'PATCH', path: '/v1.0/users/', status: 503, count: 6, retryAfter: 0 });
  await fault({ method: 'POST', path: `/v1.0/users/${encodeURIComponent(SENDER)}/sendMail`, status: 503, count: 48, retryAfter: 0 });
  await fault({ method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });

  const failed = await waitForStatus(app, id, 'Failed');
  expect(failed.request.result).toMatchObject({ code: 'BadRequest', message: 'Invalid invitedUserEmailAddress', requestId: expect.any(String) });
  await eventually(async () => ((await mailRestoreOf(id)) === 'pending' ? true : undefined), 30_000, 'mailRestore pending');
  await eventually(async () => ((await mailRestoreOf(id)) === 'done' ? true : undefined), 40_000, 'mailRestore done');
  expect((await tenant(app)).users.find((u) => u.id === guest.id)?.mail).toBe(guest.mail);
  await waitForMail(app, (m) => m.to.includes(ADMINS) && m.subject.startsWith('Resolved:') && m.html.includes(id), 'resolved notice');

  const { request, events } = await adminGet(app, id);
  // Nothing that failed later replaced what Graph said about the reset.
  expect(request.result).toEqual(failed.request.result);
  expect(events.filter((e) => e.type === 'MailRestoreFailed').length).toBeGreaterThanOrEqual(3);
  const mailFailures = events.filter((e) => e.type === 'MailFailed') as { detail?: { key?: string; code?: string } }[];
  expect(mailFailures.map((e) => e.detail?.key)).toContain('mail-restore-alert');
  for (const failure of mailFailures) expect(failure.detail).toMatchObject({ code: 'ServiceUnavailable' });

  const about = (await app.outbox()).filter((m) => m.html.includes(id) || m.to.includes(guest.mail) || m.to.includes(sponsor.mail));
  expect(about.filter((m) => m.to.includes(ADMINS) && m.subject.startsWith('Action may be needed'))).toHaveLength(1);
  expect(about.filter((m) => m.to.includes(ADMINS) && m.subject.startsWith('Resolved:'))).toHaveLength(1);
  expect(about.filter((m) => m.to.includes(ADMINS) && m.subject.includes('failed: BadRequest'))).toHaveLength(1);
  expect(about.filter((m) => m.to.includes(sponsor.mail) && m.subject.includes('failed: BadRequest'))).toHaveLength(1);
  expect(about.filter((m) => m.to.includes(guest.mail) && m.subject === 'Your sign-in email change request was closed')).toHaveLength(1);
});
