import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { approvalLink, decide, guestWithSponsor, submit, waitForMail, waitForStatus, tenant } from './support/flow.js';

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { ADMIN_NOTIFICATION_EMAILS: 'it-admins@contoso.com' } });
});
afterAll(async () => {
  await app?.stop();
});

async function approvedRequest(label: string) {
  const { guest, sponsor } = await guestWithSponsor(app, label);
  const newEmail = `${label}.${Date.now()}@northwind.example`;
  const id = await submit(app, { currentEmail: guest.mail, newEmail });
  const mail = await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail');
  await waitForStatus(app, id, 'AwaitingApproval');
  return { id, guest, sponsor, newEmail, link: approvalLink(mail) };
}

test('Graph throttling (429 twice) is retried and the reset completes', async () => {
  const { id, link } = await approvedRequest('throttled');
  const fault = await app.json('POST', '/_dev/graph/faults', { method: 'POST', path: '/v1.0/invitations', status: 429, count: 2, retryAfter: 0 });
  expect(fault.status).toBeLessThan(300);
  expect((await decide(link, 'approve')).status).toBe(200);
  const done = await waitForStatus(app, id, 'Completed');
  expect(done.request.result?.invitationId).toBeTruthy();
});

test('a permanent 403 ends Failed with Graph code and request-id kept, mail restored, admins told', async () => {
  const { id, guest, sponsor, link } = await approvedRequest('forbidden');
  await app.json('POST', '/_dev/graph/faults', { method: 'POST', path: '/v1.0/invitations', status: 403, count: 1, code: 'Forbidden', message: 'Generic authorization exception.' });
  expect((await decide(link, 'approve')).status).toBe(200);
  const failed = await waitForStatus(app, id, 'Failed');
  expect(failed.request.result).toMatchObject({ code: 'Forbidden', message: 'Generic authorization exception.' });
  expect(failed.request.result?.requestId).toBeTruthy();
  const snapshot = await tenant(app);
  expect(snapshot.users.find((u) => u.id === guest.id)?.mail).toBe(guest.mail);
  await waitForMail(app, (m) => m.to.includes('it-admins@contoso.com'), 'failure notice to admins');
  await waitForMail(app, (m) => m.to.includes(sponsor.mail) && /failed/i.test(m.subject), 'failure notice to the approver');
  await app.json('DELETE', '/_dev/graph/faults');
});
