import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { confirmByMail, guestWithSponsor, submit, waitForMail, waitForStatus, tenant } from './support/flow.js';
import { adminCall } from './support/openApi.js';

const ADMINS = 'identity-team@contoso.com';
let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { NEW_EMAIL_DENIED_DOMAINS: 'blocked.example', RATE_LIMIT_PER_SOURCE: '1000', ADMIN_NOTIFICATION_EMAILS: ADMINS } });
});
afterAll(async () => {
  await app?.stop();
});

const stamp = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

async function expectDeclined(currentEmail: string, reason: string, newEmail = `new.${stamp()}@northwind.example`) {
  const res = await app.json<{ requestId: string; status: string }>('POST', '/api/requests', { currentEmail, newEmail, reason: 'ChangedProvider' });
  // Anti-enumeration: the requester always gets the same answer.
  expect(res.status).toBe(202);
  expect(Object.keys(res.body).sort()).toEqual(['requestId', 'status']);
  expect(res.body.status).toBe('Received');
  // The new address confirms before the directory is asked, whether or not the guest exists.
  await confirmByMail(app, res.body.requestId);
  const view = await waitForStatus(app, res.body.requestId, 'Declined');
  expect(view.request.declineReason).toBe(reason);
  return view;
}

test('an unknown email is declined GuestNotFound with the same answer as a real guest', async () => {
  await expectDeclined(`nobody.${stamp()}@fabrikam.example`, 'GuestNotFound');
});

test('a member account is declined NotAGuest (never converted to B2B)', async () => {
  const member = await app.addUser({ displayName: 'Member', mail: `member.${stamp()}@contoso.com`, userType: 'Member' });
  await expectDeclined(member.mail, 'NotAGuest');
  const snapshot = await tenant(app);
  expect(snapshot.invitations.some((i) => i.invitedUser?.id === member.id)).toBe(false);
});

test('a disabled guest is declined AccountDisabled', async () => {
  const sponsor = await app.addUser({ displayName: 'S', mail: `s.${stamp()}@contoso.com`, userType: 'Member' });
  const guest = await app.addUser({ displayName: 'Disabled', mail: `dis.${stamp()}@fabrikam.example`, userType: 'Guest', accountEnabled: false, sponsors: [sponsor.id] });
  await expectDeclined(guest.mail, 'AccountDisabled');
});

test('a guest holding a directory role is declined HasDirectoryRole', async () => {
  const sponsor = await app.addUser({ displayName: 'S', mail: `s.${stamp()}@contoso.com`, userType: 'Member' });
  const guest = await app.addUser({ displayName: 'Admin guest', mail: `role.${stamp()}@fabrikam.example`, userType: 'Guest', sponsors: [sponsor.id], directoryRoles: ['Helpdesk Administrator'] });
  await expectDeclined(guest.mail, 'HasDirectoryRole');
});

test('a guest with no sponsor, no manager and no fallback approvers is declined NoApprover', async () => {
  const guest = await app.addUser({ displayName: 'Lonely', mail: `lonely.${stamp()}@fabrikam.example`, userType: 'Guest' });
  await expectDeclined(guest.mail, 'NoApprover');
});

test('an outside guest who sponsors the guest gets no approval link: skipped, audited, NoApprover, admins told', async () => {
  const outsider = await app.addUser({ displayName: 'Outsider', mail: `outsider.${stamp()}@partner.example`, userType: 'Guest' });
  const guest = await app.addUser({ displayName: 'Target', mail: `target.${stamp()}@fabrikam.example`, userType: 'Guest', sponsors: [outsider.id] });
  const view = await expectDeclined(guest.mail, 'NoApprover');
  const full = (await app.json<{ events: { type: string; detail?: Record<string, unknown> }[] }>('GET', `/api/admin/requests/${view.request.id}`, undefined, { authorization: `Bearer ${await app.adminToken()}` })).body;
  expect(full.events.filter((e) => e.type === 'ApproverSkipped').map((e) => e.detail)).toEqual([expect.objectContaining({ id: outsider.id, tier: 'sponsor', reason: 'NotAMember' })]);
  const alert = await waitForMail(app, (m) => m.to.includes(ADMINS) && m.html.includes(view.request.id), 'the admins hear of NoApprover');
  expect(alert.html).toContain(outsider.mail);
  expect((await app.outbox()).some((m) => m.to.includes(outsider.mail))).toBe(false);
});

test('the guest cannot approve their own change, even as their own sponsor', async () => {
  const guest = await app.addUser({ displayName: 'Self', mail: `self.${stamp()}@fabrikam.example`, userType: 'Guest' });
  const sponsoredBySelf = await app.addUser({ displayName: 'Self2', mail: `self2.${stamp()}@fabrikam.example`, userType: 'Guest', sponsors: [guest.id] });
  // The only sponsor's address is the requested new address: nobody may approve.
  await expectDeclined(sponsoredBySelf.mail, 'NoApprover', guest.mail);
});

test('a second request for a guest with an active one is declined DuplicateActiveRequest', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'dup');
  const first = await submit(app, { currentEmail: guest.mail, newEmail: `dup1.${stamp()}@northwind.example` });
  await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'first approval mail');
  await waitForStatus(app, first, 'AwaitingApproval');
  await expectDeclined(guest.mail, 'DuplicateActiveRequest');
});

test('a new email on a verified or denied domain is refused at submission, saying why, and nothing starts or is mailed', async () => {
  const { guest } = await guestWithSponsor(app, 'dom');
  for (const [newEmail, why] of [
    [`dom.${stamp()}@contoso.com`, /organisation.{0,5}s own domains/],
    [`dom.${stamp()}@blocked.example`, /cannot be used/],
  ] as const) {
    const res = await app.json<{ error: { code: string; details: Record<string, string> } }>('POST', '/api/requests', { currentEmail: guest.mail, newEmail, reason: 'ChangedProvider' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ValidationFailed');
    expect(Object.keys(res.body.error.details)).toEqual(['newEmail']);
    expect(res.body.error.details.newEmail).toMatch(why);
    const form = await fetch(`${app.url}/api/requests`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ currentEmail: guest.mail, newEmail, reason: 'ChangedProvider' }) });
    const page = await form.text();
    expect(form.status).toBe(400);
    // The form again, with what was typed, and the reason next to the field.
    expect(page).toContain(`value="${newEmail}"`);
    expect(page).toMatch(why);
  }
  const list = await adminCall<{ items: unknown[] }>(app, 'GET', `/api/admin/requests?email=${encodeURIComponent(guest.mail)}`);
  expect(list.body.items).toEqual([]);
  expect((await app.outbox()).filter((m) => m.to.some((to) => to.startsWith('dom.')))).toEqual([]);
});

test('a manager approves when the guest has no sponsor', async () => {
  const manager = await app.addUser({ displayName: 'Manager', mail: `mgr.${stamp()}@contoso.com`, userType: 'Member' });
  const guest = await app.addUser({ displayName: 'Managed', mail: `managed.${stamp()}@fabrikam.example`, userType: 'Guest', manager: manager.id });
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `managed.${stamp()}@northwind.example` });
  const view = await waitForStatus(app, id, 'AwaitingApproval');
  expect(view.request.approvers.map((a) => a.mail)).toEqual([manager.mail]);
});

test('a sponsor who receives mail at the new address through otherMails never approves', async () => {
  const n = stamp();
  const newEmail = `taken.${n}@northwind.example`;
  const holder = await app.addUser({ displayName: 'Holder', mail: `holder.${n}@contoso.com`, otherMails: [newEmail], userType: 'Member' });
  const other = await app.addUser({ displayName: 'Other', mail: `other.${n}@contoso.com`, userType: 'Member' });
  const guest = await app.addUser({ displayName: 'Target', mail: `target.${n}@fabrikam.example`, userType: 'Guest', sponsors: [holder.id, other.id] });
  const id = await submit(app, { currentEmail: guest.mail, newEmail });
  const view = await waitForStatus(app, id, 'AwaitingApproval');
  expect(view.request.approvers.map((a) => a.mail)).toEqual([other.mail]);
});

test('a guest found by one of its otherMails: both that address and its directory mail are told', async () => {
  const n = stamp();
  const sponsor = await app.addUser({ displayName: 'S', mail: `s.${n}@contoso.com`, userType: 'Member' });
  const alias = `alias.${n}@outlook.example`;
  const guest = await app.addUser({ displayName: 'Aliased', mail: `aliased.${n}@fabrikam.example`, otherMails: [alias], userType: 'Guest', sponsors: [sponsor.id] });
  const id = await submit(app, { currentEmail: alias, newEmail: `aliased.${n}@northwind.example` });
  await waitForStatus(app, id, 'AwaitingApproval');
  const notice = await waitForMail(app, (m) => m.to.includes(alias), 'notice');
  expect(notice.to).toEqual(expect.arrayContaining([alias, guest.mail]));
});
