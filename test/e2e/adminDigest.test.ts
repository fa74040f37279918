import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, startLocalApp, type LocalApp, type OutboxMessage } from './support/localApp.js';
import { adminGet, approvalLink, confirmByMail, decide, guestWithSponsor, injectFault, postLinkForm, submit, waitForMail, waitForStatus } from './support/flow.js';

/**
 * `ADMIN_NOTIFICATIONS=digest` on the local host, with the digest every five seconds
 * (`ADMIN_DIGEST_EVERY=PT5S`): a Failed request and a NoApprover decline mail the admins nothing
 * at once; the eternal digest loop (started by the first submission, a durable timer, then
 * `continueAsNew`) mails digests that list each of them exactly once, and goes on to the next.
 */

const ADMINS = 'identity-team@contoso.com';
const DIGEST_SUBJECT = 'Guest sign-in email change digest';
let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { ADMIN_NOTIFICATION_EMAILS: ADMINS, ADMIN_NOTIFICATIONS: 'digest', ADMIN_DIGEST_EVERY: 'PT5S' } });
});
afterAll(async () => {
  await app?.json('DELETE', '/_dev/graph/faults');
  await app?.stop();
});

const isDigest = (m: OutboxMessage) => m.to.includes(ADMINS) && m.subject.startsWith(DIGEST_SUBJECT);

test('digest mode: a Failed request and a NoApprover decline produce no immediate admin mail, then digests listing each once', async () => {
  // Both requests are brought to the edge of their alert, then pushed over it together.
  const noApprover = await submit(app, { currentEmail: 'dan.jump@wingtiptoys.com', newEmail: `dan.${Date.now().toString(36)}@northwind.example` }, { confirm: false });
  const { guest, sponsor } = await guestWithSponsor(app, 'digest');
  const failed = await submit(app, { currentEmail: guest.mail, newEmail: `digest.${Date.now().toString(36)}@northwind.example` });
  const link = approvalLink(await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail'));
  await waitForStatus(app, failed, 'AwaitingApproval');
  await injectFault(app, { method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });
  const [, decided] = await Promise.all([confirmByMail(app, noApprover), decide(link, 'approve')]);
  expect(decided.status).toBe(200);

  expect((await waitForStatus(app, noApprover, 'Declined')).request.declineReason).toBe('NoApprover');
  expect((await waitForStatus(app, failed, 'Failed')).request.result).toMatchObject({ code: 'BadRequest' });
  const listed = async (id: string) => ((await adminGet(app, id)).events.some((e) => e.type === 'AdminAlertListed') ? true : undefined);
  await eventually(() => listed(noApprover), 30_000, 'the NoApprover alert listed');
  await eventually(() => listed(failed), 30_000, 'the failure alert listed');

  const digests = await eventually(
    async () => {
      const sent = (await app.outbox()).filter(isDigest);
      return [noApprover, failed].every((id) => sent.some((m) => m.html.includes(id))) ? sent : undefined;
    },
    30_000,
    'digests listing both requests',
  );
  for (const id of [noApprover, failed]) {
    expect(digests.filter((m) => m.html.includes(id))).toHaveLength(1);
    expect(digests.filter((m) => (m.text ?? '').includes(`Request id: ${id}`))).toHaveLength(1);
  }
  const digestOf = (id: string) => digests.find((m) => m.html.includes(id))!;
  expect(digestOf(noApprover).text).toContain('Guest sign-in email change declined: nobody may approve it');
  expect(digestOf(failed).text).toContain('Guest sign-in email change failed: BadRequest');

  // Nothing but digests reached the admins about these two requests.
  const immediate = (await app.outbox()).filter((m) => m.to.includes(ADMINS) && !isDigest(m) && (m.html.includes(noApprover) || m.html.includes(failed)));
  expect(immediate).toEqual([]);

  // The loop goes on after a digest (continueAsNew): a later alert comes in a later digest, alone.
  const later = await submit(app, { currentEmail: 'dan.jump@wingtiptoys.com', newEmail: `dan.later.${Date.now().toString(36)}@northwind.example` });
  await waitForStatus(app, later, 'Declined');
  const next = await waitForMail(app, (m) => isDigest(m) && m.html.includes(later), 'the next digest');
  expect(next.html).not.toContain(noApprover);
  expect(next.html).not.toContain(failed);
});

test('digest mode: "this wasn\'t me" on a completed request is urgent: mailed at once, and listed in the digest as already mailed', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'urgent');
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `urgent.${Date.now().toString(36)}@northwind.example` });
  expect((await decide(approvalLink(await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail')), 'approve')).status).toBe(200);
  await waitForStatus(app, id, 'Completed');
  const changeMade = await waitForMail(app, (m) => m.to.includes(guest.mail) && m.subject === 'Your sign-in email was changed', 'the change-made mail');
  expect((await postLinkForm(changeMade.links.find((l) => l.includes('/api/reports/'))!)).status).toBe(200);

  const alert = await waitForMail(app, (m) => m.to.includes(ADMINS) && !isDigest(m) && m.html.includes(id), 'the urgent alert');
  expect(alert.subject).toMatch(/^Action needed:/);
  const digest = await waitForMail(app, (m) => isDigest(m) && m.html.includes(id), 'the digest listing it');
  expect(digest.text).toContain('Mailed at once: yes');
});
