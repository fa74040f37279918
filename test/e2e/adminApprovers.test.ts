import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalApp, type LocalApp, type OutboxMessage } from './support/localApp.js';
import { adminGet, approvalLink, decide, guestWithSponsor, submit, waitForMail, waitForStatus } from './support/flow.js';
import { adminCall } from './support/openApi.js';

/**
 * The admin actions on a waiting request's approvers as DESIGN §4 states them, on the real host:
 * `resend` (fresh links, the old ones 410) and `reassign` (an eligible member read from the
 * directory, added or in another's place, who then decides), each audited with the admin's
 * object id and name from the token. `adminCall` checks every answer against the OpenAPI document.
 */

const ADMIN = { oid: '5d1c0a3e-52d4-4a0e-9c55-0a1b2c3d4e5f', name: 'Ann Admin' };
/** The user name the dev token issuer puts in every token (`preferred_username`). */
const ADMIN_USERNAME = 'local.admin@contoso.com';

let app: LocalApp;
let token: string;
beforeAll(async () => {
  app = await startLocalApp();
  const res = await app.json<{ token: string }>('POST', '/_dev/token', { roles: ['GuestReset.Admin'], ...ADMIN });
  token = res.body.token;
});
afterAll(async () => {
  await app?.stop();
});

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, string> };
}
type AuditEvents = { type: string; actor: string; detail?: Record<string, unknown> }[];

const act = <T = unknown>(id: string, action: 'resend' | 'reassign', body?: unknown) => adminCall<T>(app, 'POST', `/api/admin/requests/${id}/${action}`, { token, ...(body === undefined ? {} : { body }) });

/** A sponsored guest's confirmed request, waiting for its sponsor, with the sponsor's link. */
async function awaiting(label: string) {
  const { guest, sponsor } = await guestWithSponsor(app, label);
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `${label}.${Date.now()}@northwind.example` });
  const link = approvalLink(await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail'));
  await waitForStatus(app, id, 'AwaitingApproval');
  return { id, guest, sponsor, link };
}

/** The approval links of this request mailed to `mail`, oldest first. */
async function linksTo(mail: string, id: string): Promise<string[]> {
  const mails = (await app.outbox()).filter((m: OutboxMessage) => m.to.includes(mail) && m.links.some((l) => l.includes(`/api/approvals/${id}.`)));
  return mails.map(approvalLink);
}

async function page(link: string): Promise<{ status: number; html: string }> {
  const res = await fetch(link);
  return { status: res.status, html: await res.text() };
}

const member = (label: string, extra: Record<string, unknown> = {}) =>
  app.addUser({ displayName: `${label} ${Date.now()}`, mail: `${label}.${Date.now()}@contoso.com`, userType: 'Member', ...extra });

test('resend: fresh links to the approvers, the old link answers 410, the new one decides; audited with the admin; 409 once decided', async () => {
  const { id, sponsor, link: oldLink } = await awaiting('resend');
  const res = await act<{ requestId: string; approvers: { id: string }[] }>(id, 'resend');
  expect(res.status).toBe(202);
  expect(res.body.approvers.map((a) => a.id)).toEqual([sponsor.id]);

  const links = await linksTo(sponsor.mail, id);
  expect(links).toHaveLength(2);
  const newLink = links[1]!;
  expect(newLink).not.toBe(oldLink);
  const old = await page(oldLink);
  expect(old.status).toBe(410);
  expect(old.html).toContain('A newer approval link was sent');
  expect((await decide(oldLink, 'approve')).status).toBe(410);

  expect((await decide(newLink, 'reject', 'Not without a call')).status).toBe(200);
  await waitForStatus(app, id, 'Rejected');
  const { events } = await adminGet(app, id);
  expect((events as AuditEvents).find((e) => e.type === 'ApprovalLinksResent')).toMatchObject({ actor: ADMIN.name, detail: { objectId: ADMIN.oid, username: ADMIN_USERNAME, revokedLinks: 1 } });

  const late = await act<ErrorBody>(id, 'resend', { reason: 'Lost the mail' });
  expect(late.status).toBe(409);
  expect(late.body.error.code).toBe('NotAwaitingApproval');
});

test('reassign refuses a user who may not approve: the guest, a disabled member, a guest account, an unknown id; and a missing reason', async () => {
  const { id, guest } = await awaiting('ineligible');
  const disabled = await member('disabled', { accountEnabled: false });
  const outsider = await app.addUser({ displayName: 'Outside Partner', mail: `partner.${Date.now()}@fabrikam.example`, userType: 'Guest' });
  for (const approverId of [guest.id, disabled.id, outsider.id, '00000000-0000-0000-0000-00000000dead']) {
    const res = await act<ErrorBody>(id, 'reassign', { approverId, reason: 'Sponsor is on leave' });
    expect(res.status, approverId).toBe(400);
    expect(res.body.error.code).toBe('ValidationFailed');
    expect(res.body.error.details).toHaveProperty('approverId');
  }
  const eligible = await member('eligible');
  const noReason = await act<ErrorBody>(id, 'reassign', { approverId: eligible.id });
  expect(noReason.status).toBe(400);
  expect(noReason.body.error.details).toHaveProperty('reason');
  expect((await adminGet(app, id)).request.approvers).toHaveLength(1);
});

test('reassign with replace: the new approver is mailed a link and decides, the replaced approver’s link answers 410; audited', async () => {
  const { id, sponsor, link: sponsorLink } = await awaiting('replace');
  const deputy = await member('deputy');
  const res = await act<{ approvers: { id: string; assigned?: { by: string; objectId?: string; username?: string; reason: string } }[] }>(id, 'reassign', {
    approverId: deputy.id,
    reason: 'Sponsor is on leave',
    replace: sponsor.id,
  });
  expect(res.status).toBe(202);
  expect(res.body.approvers).toEqual([expect.objectContaining({ id: deputy.id, assigned: expect.objectContaining({ by: ADMIN.name, objectId: ADMIN.oid, username: ADMIN_USERNAME, reason: 'Sponsor is on leave' }) })]);

  const replaced = await page(sponsorLink);
  expect(replaced.status).toBe(410);
  expect(replaced.html).toContain('handed this request to another approver');

  const deputyLink = approvalLink(await waitForMail(app, (m) => m.to.includes(deputy.mail), 'approval mail to the deputy'));
  // Not a sponsor, manager or fallback approver: the assignment is what lets the deputy decide.
  expect((await decide(deputyLink, 'approve')).status).toBe(200);
  const done = await waitForStatus(app, id, 'Completed');
  expect(done.request.decision?.by).toBe(deputy.mail.toLowerCase());
  expect((done.events as AuditEvents).find((e) => e.type === 'ApproverAssigned')).toMatchObject({
    actor: ADMIN.name,
    detail: { approver: { id: deputy.id }, replaced: { id: sponsor.id }, reason: 'Sponsor is on leave', objectId: ADMIN.oid, username: ADMIN_USERNAME },
  });
});

test('reassign without replace adds an approver beside the sponsor, whose link keeps working; 409 once the request is decided', async () => {
  const { id, sponsor, link: sponsorLink } = await awaiting('add');
  const second = await member('second');
  const res = await act<{ approvers: { id: string }[] }>(id, 'reassign', { approverId: second.id, reason: 'Needs a second pair of eyes' });
  expect(res.status).toBe(202);
  expect(res.body.approvers.map((a) => a.id)).toEqual([sponsor.id, second.id]);
  expect((await page(sponsorLink)).status).toBe(200);

  const again = await act<ErrorBody>(id, 'reassign', { approverId: second.id, reason: 'Twice' });
  expect(again.status).toBe(400);

  const secondLink = approvalLink(await waitForMail(app, (m) => m.to.includes(second.mail), 'approval mail to the added approver'));
  expect((await decide(secondLink, 'reject')).status).toBe(200);
  await waitForStatus(app, id, 'Rejected');
  const late = await act<ErrorBody>(id, 'reassign', { approverId: (await member('late')).id, reason: 'Too late' });
  expect(late.status).toBe(409);
  expect(late.body.error.code).toBe('NotAwaitingApproval');
});

test('reassign refuses an approver named again by mail rather than object id, and an admin assigning themself', async () => {
  const { id, sponsor } = await awaiting('twice');
  const again = await act<ErrorBody>(id, 'reassign', { approverId: sponsor.mail.toUpperCase(), reason: 'Once more' });
  expect(again.status).toBe(400);
  expect(again.body.error.details).toMatchObject({ approverId: expect.stringContaining('Already an approver') });

  const admin = await app.addUser({ displayName: 'Self Assigner', mail: `self.${Date.now()}@contoso.com`, userType: 'Member' });
  const own = (await app.json<{ token: string }>('POST', '/_dev/token', { roles: ['GuestReset.Admin'], oid: admin.id, name: admin.mail })).body.token;
  const self = await adminCall<ErrorBody>(app, 'POST', `/api/admin/requests/${id}/reassign`, { token: own, body: { approverId: admin.id, reason: 'I will approve it myself' } });
  expect(self.status).toBe(400);
  expect(self.body.error.details).toMatchObject({ approverId: 'Not yourself.' });
  expect((await adminGet(app, id)).request.approvers.map((a) => a.id)).toEqual([sponsor.id]);
});
