import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, startLocalApp, type LocalApp } from './support/localApp.js';
import { adminGet, approvalLink, decide, guestWithSponsor, submit, waitForMail, waitForStatus, tenant } from './support/flow.js';

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { APPROVAL_TIMEOUT: 'PT10M', APPROVAL_REMINDER_AFTER: 'PT5M' } });
});
afterAll(async () => {
  await app?.stop();
});

test('a sponsored guest is approved by the sponsor and the reset completes in Graph', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'alice');
  const newEmail = `alice.new.${Date.now()}@northwind.example`;
  const id = await submit(app, { currentEmail: guest.mail, newEmail, reason: 'MovedCompany' });

  const approval = await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail to the sponsor');
  expect(approval.html).toContain(guest.mail);
  expect(approval.html).toContain(newEmail);
  // Sent in Graph's MIME mode: the outbox holds both parts, the text one with the link written out.
  const link = approvalLink(approval);
  expect(approval.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(approval.links[0]).toBe(link);
  expect(approval.text).toContain(`Review the request:\n${link}\nThis link stops working in 10 minutes, on `);
  expect(approval.text).toMatch(/^Contoso\n/);
  expect(approval.text).toContain('Questions? Contact helpdesk@contoso.com.');
  await waitForMail(app, (m) => m.to.includes(guest.mail), 'notice to the current address');

  const awaiting = await waitForStatus(app, id, 'AwaitingApproval');
  expect(awaiting.request.guestId).toBe(guest.id);
  expect(awaiting.request.approvers.map((a) => a.mail)).toEqual([sponsor.mail]);

  // Opening the link (as a mail scanner would) decides nothing.
  expect((await fetch(link)).status).toBe(200);
  expect((await adminGet(app, id)).request.status).toBe('AwaitingApproval');

  const decided = await decide(link, 'approve', 'Confirmed by phone');
  expect(decided.status).toBe(200);

  const done = await waitForStatus(app, id, 'Completed');
  expect(done.request.decision).toMatchObject({ outcome: 'approved', by: sponsor.mail, comment: 'Confirmed by phone' });
  expect(done.request.result?.invitationId).toMatch(/[0-9a-f-]{36}/);
  expect(JSON.stringify(done.request.result)).not.toContain('redeem');
  // The request shows Completed before the instance's last steps (the outcome mails) finish.
  await eventually(async () => ((await adminGet(app, id)).orchestration.runtimeStatus === 'Completed' ? true : undefined), 30_000, 'the instance to complete');
  expect(done.events.length).toBeGreaterThanOrEqual(4);

  const snapshot = await tenant(app);
  const user = snapshot.users.find((u) => u.id === guest.id);
  expect(user?.mail).toBe(newEmail);
  const invitation = snapshot.invitations.find((i) => i.invitedUser?.id === guest.id);
  expect(invitation).toMatchObject({ invitedUserEmailAddress: newEmail, resetRedemption: true });

  await waitForMail(app, (m) => m.to.includes(newEmail), 'redeem instructions to the new address');

  // The first decision wins: the same form posted again is "already decided", and the link
  // now opens a page saying what happened.
  const again = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ decision: 'reject', csrf: decided.csrf ?? '' }).toString(),
  });
  expect(again.status).toBe(409);
  expect((await fetch(link)).status).toBe(410);
  expect((await adminGet(app, id)).request.status).toBe('Completed');

  // A forged form (no valid anti-forgery value) is refused.
  const forged = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve&csrf=forged' });
  expect(forged.status).toBe(403);
});

test('a rejected request ends Rejected and Graph is not touched', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'bob');
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `bob.${Date.now()}@northwind.example` });
  const approval = await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail');
  expect((await decide(approvalLink(approval), 'reject', 'Not known to me')).status).toBe(200);
  const done = await waitForStatus(app, id, 'Rejected');
  expect(done.request.decision).toMatchObject({ outcome: 'rejected', by: sponsor.mail });
  const snapshot = await tenant(app);
  expect(snapshot.invitations.some((i) => i.invitedUser?.id === guest.id)).toBe(false);
});

test('an admin cancels a pending request; a second cancel is a conflict', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'carol');
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `carol.${Date.now()}@northwind.example` });
  await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail');
  const token = await app.adminToken();
  const cancel = await app.json('POST', `/api/admin/requests/${id}/cancel`, { reason: 'Requested by the guest by phone' }, { authorization: `Bearer ${token}` });
  expect(cancel.status).toBe(202);
  await waitForStatus(app, id, 'Cancelled');
  const second = await app.json<{ error: { code: string } }>('POST', `/api/admin/requests/${id}/cancel`, { reason: 'again' }, { authorization: `Bearer ${token}` });
  expect(second.status).toBe(409);
  expect(second.body.error.code).toBeTruthy();
});

test('a request cancelled before its approvers were asked ends Cancelled, and no approver is mailed', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'hasty');
  // Graph is briefly unavailable while the instance looks up the sponsors: the cancel lands first.
  await app.json('POST', '/_dev/graph/faults', { method: 'GET', path: `/v1.0/users/${guest.id}/sponsors`, status: 503, count: 1, retryAfter: 2 });
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `hasty.${Date.now()}@northwind.example` });
  const token = await app.adminToken();
  const cancel = await app.json('POST', `/api/admin/requests/${id}/cancel`, { reason: 'Submitted by mistake' }, { authorization: `Bearer ${token}` });
  expect(cancel.status).toBe(202);
  const done = await waitForStatus(app, id, 'Cancelled');
  expect(done.events.map((e) => e.type)).toEqual(expect.arrayContaining(['CancelRequested', 'Cancelled']));
  expect(done.events.map((e) => e.type)).not.toContain('ApprovalRequested');
  expect((await app.outbox()).filter((m) => m.to.includes(sponsor.mail))).toEqual([]);
});

test('npm start prints where everything is, and warns when approvers do not sign in', async () => {
  expect(app.output()).toContain(`Admin console: ${app.url}/api/admin/`);
  expect(app.output()).toContain('approvers sign in to decide');
  expect(app.output()).toContain('The new address confirms first');
  expect(app.output()).not.toMatch(/Warning: APPROVER_SIGN_IN/);
  const open = await startLocalApp({ env: { APPROVER_SIGN_IN: 'off', REQUIRE_NEW_EMAIL_CONFIRMATION: 'false' } });
  try {
    expect(open.output()).toContain('Warning: APPROVER_SIGN_IN is off');
    expect(open.output()).toContain('REQUIRE_NEW_EMAIL_CONFIRMATION is off');
  } finally {
    await open.stop();
  }
});
