import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parseSettings, type Settings } from '../../src/config/settings.js';
import { createGraphEmulator, EMAIL_NOT_ON_USER_MESSAGE, type GraphEmulator } from '@guest-email-change/graph-emulator';
import { GraphRequestError, type GraphGateway } from '../../src/graph/graphGateway.js';
import { createMsGraphGateway } from '../../src/graph/msGraphGateway.js';

/** The real gateway (Graph SDK, fetch, retries) against the Graph emulator over loopback HTTP. */

const ID = {
  megan: '10000000-0000-4000-8000-000000000001',
  nestor: '10000000-0000-4000-8000-000000000002',
  lynne: '10000000-0000-4000-8000-000000000003',
  patti: '10000000-0000-4000-8000-000000000004',
  alex: '10000000-0000-4000-8000-000000000005',
  diego: '10000000-0000-4000-8000-000000000007',
  adele: '20000000-0000-4000-8000-000000000001',
  ben: '20000000-0000-4000-8000-000000000002',
  carol: '20000000-0000-4000-8000-000000000003',
  dan: '20000000-0000-4000-8000-000000000004',
  erin: '20000000-0000-4000-8000-000000000005',
  frank: '20000000-0000-4000-8000-000000000006',
  partnerManagers: '30000000-0000-4000-8000-000000000001',
};

let emulator: GraphEmulator;
let server: Server;
let baseUrl: string;
let gateway: GraphGateway;

function settingsFor(graphBaseUrl: string): Settings {
  return parseSettings({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    GRAPH_BASE_URL: graphBaseUrl,
    GRAPH_STATIC_TOKEN: 'dev',
    TENANT_VERIFIED_DOMAINS: 'contoso.com',
    PUBLIC_BASE_URL: 'http://localhost:7071',
    APPROVAL_FORM_SECRET: 'x'.repeat(40),
    ORG_NAME: 'Contoso',
    MAIL_SENDER: 'guest-reset@contoso.com',
    ADMIN_TENANT_ID: 'c0a70500-0000-4000-8000-000000000000',
    ADMIN_API_AUDIENCE: 'api://guest-reset',
  });
}

async function serve(emulatorUnderTest: GraphEmulator): Promise<{ server: Server; baseUrl: string }> {
  const httpServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    emulatorUnderTest.handle(req, res, url).then(
      (handled) => void (handled || res.writeHead(404).end()),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return { server: httpServer, baseUrl: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  emulator = createGraphEmulator({ pageSize: 2 });
  ({ server, baseUrl } = await serve(emulator));
  gateway = createMsGraphGateway(settingsFor(baseUrl), { retryDelaySeconds: 0, networkRetryDelayMs: 10 });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => emulator.clearFaults());

async function failure(promise: Promise<unknown>): Promise<GraphRequestError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(GraphRequestError);
  return error as GraphRequestError;
}

describe('lookups against the seed', () => {
  test('findUserWithRolesByEmail matches mail case-insensitively and returns the selected fields', async () => {
    const adele = await gateway.findUserWithRolesByEmail('Adele.Vance@FABRIKAM.com');
    expect(adele).toEqual({
      id: ID.adele,
      displayName: 'Adele Vance',
      mail: 'adele.vance@fabrikam.com',
      otherMails: ['adele.vance@fabrikam.com'],
      userPrincipalName: 'adele.vance_fabrikam.com#EXT#@contoso.onmicrosoft.com',
      userType: 'Guest',
      externalUserState: 'Accepted',
      creationType: 'Invitation',
      accountEnabled: true,
      directoryRoles: [],
    });
  });

  test('findUserWithRolesByEmail matches otherMails, and misses cleanly', async () => {
    expect((await gateway.findUserWithRolesByEmail('ben.walters@outlook.com'))?.id).toBe(ID.ben);
    expect(await gateway.findUserWithRolesByEmail('nobody@nowhere.example')).toBeUndefined();
  });

  test('findUserWithRolesByEmail prefers the user whose mail it is, and names nobody when two users only list it in otherMails', async () => {
    const shared = `shared.${Date.now()}@fabrikam.example`;
    const first = emulator.addUser({ displayName: 'Listed One', mail: `one.${Date.now()}@fabrikam.example`, otherMails: [shared], userType: 'Guest' });
    emulator.addUser({ displayName: 'Listed Two', mail: `two.${Date.now()}@fabrikam.example`, otherMails: [shared], userType: 'Guest' });
    expect(await gateway.findUserWithRolesByEmail(shared)).toBeUndefined();
    const owner = emulator.addUser({ displayName: 'Owner', mail: shared, userType: 'Guest' });
    expect((await gateway.findUserWithRolesByEmail(shared))?.id).toBe(owner.id);
    expect(first.id).not.toBe(owner.id);
  });

  test("findUserWithRolesByEmail escapes quotes and keeps '+' and '&' literal", async () => {
    const tricky = emulator.addUser({ displayName: "Sean O'Brien", mail: "sean.o'brien+test&co@fabrikam.example", userType: 'Guest' });
    expect((await gateway.findUserWithRolesByEmail("sean.o'brien+test&co@fabrikam.example"))?.id).toBe(tricky.id);
    expect(await gateway.findUserWithRolesByEmail("sean.o'brien test&co@fabrikam.example")).toBeUndefined();
  });

  test('findUserWithRolesByEmail sees disabled accounts as disabled', async () => {
    expect(await gateway.findUserWithRolesByEmail('erin.hall@adatum.com')).toMatchObject({ id: ID.erin, accountEnabled: false });
  });

  test('findUserByMailOrUpn names the user by mail or sign-in name, never by an address another user lists in otherMails', async () => {
    const stamp = Date.now();
    const wanted = `approvals.${stamp}@contoso.com`;
    emulator.addUser({ displayName: 'Eve Insider', mail: `eve.${stamp}@contoso.com`, otherMails: [wanted], userType: 'Member' });
    expect(await gateway.findUserByMailOrUpn(wanted)).toBeUndefined();
    const byMail = emulator.addUser({ displayName: 'Approvals', mail: wanted, userType: 'Member' });
    expect((await gateway.findUserByMailOrUpn(wanted.toUpperCase()))?.id).toBe(byMail.id);
    expect((await gateway.findUserByMailOrUpn('adele.vance_fabrikam.com#EXT#@contoso.onmicrosoft.com'))?.id).toBe(ID.adele);
    expect(await gateway.findUserByMailOrUpn(`nobody.${stamp}@contoso.com`)).toBeUndefined();
  });

  test('getUser by id, with undefined for an unknown id', async () => {
    expect(await gateway.getUser(ID.carol)).toMatchObject({ displayName: 'Carol Chen', userType: 'Guest' });
    expect(await gateway.getUser('99999999-0000-4000-8000-000000000000')).toBeUndefined();
  });

  test('findUserWithRolesByEmail and getUserWithRoles: the user and its roles in one call each', async () => {
    const before = emulator.calls().length;
    expect(await gateway.findUserWithRolesByEmail('frank.miller@proseware.com')).toMatchObject({ id: ID.frank, userType: 'Guest', directoryRoles: ['Helpdesk Administrator'] });
    expect(await gateway.getUserWithRoles(ID.adele)).toMatchObject({ id: ID.adele, mail: 'adele.vance@fabrikam.com', accountEnabled: true, directoryRoles: [] });
    // Patti is in a group (Partner Managers) but holds no role: group memberships are not roles.
    expect((await gateway.getUserWithRoles(ID.patti))?.directoryRoles).toEqual([]);
    expect(await gateway.getUserWithRoles('99999999-0000-4000-8000-000000000000')).toBeUndefined();
    const calls = emulator.calls().slice(before);
    expect(calls.map((c) => c.path)).toEqual(['/v1.0/users', `/v1.0/users/${ID.adele}`, `/v1.0/users/${ID.patti}`, '/v1.0/users/99999999-0000-4000-8000-000000000000']);
    expect(calls.every((c) => decodeURIComponent(c.query).includes('$expand=memberOf($select=id,displayName)'))).toBe(true);
  });

  test('getUserWithSponsors: the guest and its sponsors, with their state, in one call', async () => {
    const before = emulator.calls().length;
    const found = await gateway.getUserWithSponsors(ID.adele);
    expect(found?.user).toMatchObject({ id: ID.adele, mail: 'adele.vance@fabrikam.com', otherMails: ['adele.vance@fabrikam.com'] });
    expect(found?.sponsors.map((s) => [s.kind, s.id])).toEqual([['user', ID.megan], ['user', ID.nestor]]);
    expect(found?.sponsors[0]).toMatchObject({ mail: 'megan.bowen@contoso.com', userType: 'Member', accountEnabled: true });
    expect((await gateway.getUserWithSponsors(ID.ben))?.sponsors).toEqual([{ kind: 'group', id: ID.partnerManagers, displayName: 'Partner Managers', mail: 'partner-managers@contoso.com' }]);
    expect(await gateway.getUserWithSponsors('99999999-0000-4000-8000-000000000000')).toBeUndefined();
    expect(emulator.calls().slice(before).map((c) => c.path)).toEqual([`/v1.0/users/${ID.adele}`, `/v1.0/users/${ID.ben}`, '/v1.0/users/99999999-0000-4000-8000-000000000000']);
  });

  test('past the 20 items Graph expands, roles and sponsors are listed in full, not missed', async () => {
    // Graph expands at most 20 items of a relationship with no next link: a guest in 25 groups
    // whose role comes last, and a guest with 21 sponsors whose last sponsor is the approver.
    const groupIds = Array.from({ length: 25 }, (_, i) => `40000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const seed = JSON.parse(readFileSync(path.resolve(__dirname, '../../packages/graph-emulator/src/tenant.seed.json'), 'utf8')) as { users: Record<string, unknown>[]; groups: Record<string, unknown>[] };
    const member = (i: number) => ({ id: `41000000-0000-4000-8000-${String(i).padStart(12, '0')}`, displayName: `Sponsor ${i}`, mail: `sponsor.${i}@contoso.com`, userType: 'Member' });
    const sponsors = Array.from({ length: 21 }, (_, i) => member(i));
    const busy = { id: '42000000-0000-4000-8000-000000000001', displayName: 'Busy Guest', mail: 'busy.guest@fabrikam.example', userType: 'Guest', directoryRoles: ['Guest Inviter'], sponsors: sponsors.map((s) => s.id) };
    seed.users.push(...sponsors, busy);
    seed.groups.push(...groupIds.map((id, i) => ({ id, displayName: `Group ${i}`, members: [busy.id] })));
    const crowded = createGraphEmulator({ seed, pageSize: 10 });
    const crowdedServer = await serve(crowded);
    try {
      const crowdedGateway = createMsGraphGateway(settingsFor(crowdedServer.baseUrl), { retryDelaySeconds: 0 });
      expect((await crowdedGateway.findUserWithRolesByEmail(busy.mail))?.directoryRoles).toEqual(['Guest Inviter']);
      expect((await crowdedGateway.getUserWithRoles(busy.id))?.directoryRoles).toEqual(['Guest Inviter']);
      const found = await crowdedGateway.getUserWithSponsors(busy.id);
      expect(found?.sponsors.map((s) => s.id)).toEqual(sponsors.map((s) => s.id));
      // The expansion, then the whole relationship page by page (26 memberships, 21 sponsors at 10 a page).
      expect(crowded.calls().map((c) => c.path)).toEqual([
        '/v1.0/users', ...Array(3).fill(`/v1.0/users/${busy.id}/memberOf`),
        `/v1.0/users/${busy.id}`, ...Array(3).fill(`/v1.0/users/${busy.id}/memberOf`),
        `/v1.0/users/${busy.id}`, ...Array(3).fill(`/v1.0/users/${busy.id}/sponsors`),
      ]);
    } finally {
      await new Promise((resolve) => crowdedServer.server.close(resolve));
    }
  });

  test('getSponsors returns users, and groups as groups', async () => {
    const adeleSponsors = await gateway.getSponsors(ID.adele);
    expect(adeleSponsors.map((s) => [s.kind, s.id])).toEqual([['user', ID.megan], ['user', ID.nestor]]);
    expect(adeleSponsors[0]).toMatchObject({ mail: 'megan.bowen@contoso.com', userType: 'Member', accountEnabled: true });
    expect(await gateway.getSponsors(ID.ben)).toEqual([{ kind: 'group', id: ID.partnerManagers, displayName: 'Partner Managers', mail: 'partner-managers@contoso.com' }]);
    expect(await gateway.getSponsors(ID.dan)).toEqual([]);
  });

  test('getGroupMembers returns the user members, following every page', async () => {
    const extra = emulator.addUser({ displayName: 'Third Member', mail: 'third.member@contoso.com', userType: 'Member' });
    // The emulator pages at 2 items here, so three sponsors of another guest need two pages.
    const guest = emulator.addUser({ displayName: 'Many sponsors', mail: 'many.sponsors@fabrikam.example', userType: 'Guest', sponsors: [ID.megan, ID.nestor, extra.id as string] });
    expect((await gateway.getSponsors(guest.id as string)).map((s) => s.id)).toEqual([ID.megan, ID.nestor, extra.id]);
    expect((await gateway.getGroupMembers(ID.partnerManagers)).map((m) => m.id)).toEqual([ID.patti, ID.alex]);
  });

  test('getManager returns the manager, and undefined when there is none', async () => {
    expect(await gateway.getManager(ID.carol)).toMatchObject({ id: ID.lynne, mail: 'lynne.robbins@contoso.com' });
    expect(await gateway.getManager(ID.dan)).toBeUndefined();
  });
});

describe('changes', () => {
  test('updateMail sets and clears mail', async () => {
    const guest = emulator.addUser({ displayName: 'Mail Change', mail: 'mail.change@fabrikam.example', userType: 'Guest' });
    await gateway.updateMail(guest.id as string, 'mail.changed@northwind.example');
    expect((await gateway.getUser(guest.id as string))?.mail).toBe('mail.changed@northwind.example');
    await gateway.updateMail(guest.id as string, null);
    expect((await gateway.getUser(guest.id as string))?.mail).toBeNull();
  });

  test('updateMail refuses an address another object uses', async () => {
    const error = await failure(gateway.updateMail(ID.dan, 'megan.bowen@contoso.com'));
    expect(error).toMatchObject({ status: 400, code: 'Request_BadRequest', transient: false });
  });

  test('resetRedemption returns the invitation and leaves the guest pending acceptance', async () => {
    const guest = emulator.addUser({ displayName: 'Reset Me', mail: 'reset.me@fabrikam.example', userType: 'Guest' });
    await gateway.updateMail(guest.id as string, 'reset.me@northwind.example');
    const result = await gateway.resetRedemption({ userId: guest.id as string, email: 'reset.me@northwind.example', redirectUrl: 'https://myapps.microsoft.com', sendInvitationMessage: false });
    expect(result.status).toBe('PendingAcceptance');
    expect(result.inviteRedeemUrl).toMatch(/^https:\/\/login\.microsoftonline\.com\/redeem\?rd=/);
    expect(result.invitationId).not.toBe(guest.id);
    const snapshot = emulator.snapshot();
    expect(snapshot.users.find((u) => u.id === guest.id)).toMatchObject({ externalUserState: 'PendingAcceptance', mail: 'reset.me@northwind.example' });
    expect(snapshot.invitations.find((i) => i.id === result.invitationId)).toMatchObject({
      invitedUserEmailAddress: 'reset.me@northwind.example',
      resetRedemption: true,
      sendInvitationMessage: false,
      invitedUser: { id: guest.id, userPrincipalName: 'reset.me_fabrikam.example#EXT#@contoso.onmicrosoft.com' },
    });
  });

  test('resetRedemption for an email not on the user keeps Graph code, message and request-id, and may be retried', async () => {
    const error = await failure(gateway.resetRedemption({ userId: ID.dan, email: 'someone.else@northwind.example', redirectUrl: 'https://myapps.microsoft.com', sendInvitationMessage: false }));
    // Transient: right after the PATCH of `mail` the invitation service may not see it yet (DESIGN §5);
    // the reset's bounded retry policy turns a lasting mismatch into a failure.
    expect(error).toMatchObject({ status: 400, code: 'BadRequest', message: EMAIL_NOT_ON_USER_MESSAGE, transient: true });
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('resetRedemption of a directory role holder is forbidden', async () => {
    const error = await failure(gateway.resetRedemption({ userId: ID.frank, email: 'frank.miller@proseware.com', redirectUrl: 'https://myapps.microsoft.com', sendInvitationMessage: false }));
    expect(error).toMatchObject({ status: 403, code: 'Forbidden', transient: false });
  });

  test('sendMail delivers an HTML message to the outbox with its links', async () => {
    await gateway.sendMail({ from: 'guest-reset@contoso.com', to: ['megan.bowen@contoso.com'], subject: 'Approve a change', html: '<p><a href="https://app.example/approve?a=1&amp;b=2">Review</a></p>', text: 'Review: https://app.example/approve?a=1&b=2' });
    const sent = emulator.outbox().at(-1);
    expect(sent).toMatchObject({ from: 'guest-reset@contoso.com', to: ['megan.bowen@contoso.com'], subject: 'Approve a change', links: ['https://app.example/approve?a=1&b=2'] });
  });

  test('sendMail goes in MIME mode: both parts, a non-ASCII subject and long lines arrive intact', async () => {
    const subject = 'Approval needed: sign-in email change for Zoë Ångström 李雷 — '.repeat(3).trim();
    const text = `Grüße,\nline with trailing space \n${'long line '.repeat(30)}\n= signs = and =3D stay\n.\n`;
    const html = `<p style="color:#1b1b1b">Grüße — <a href="https://app.example/x?a=1&amp;b=2">x</a></p>\n<p>${'w'.repeat(200)}</p>`;
    await gateway.sendMail({ from: 'guest-reset@contoso.com', to: ['megan.bowen@contoso.com', 'alex.wilber@contoso.com'], subject, html, text });
    expect(emulator.outbox().at(-1)).toMatchObject({ to: ['megan.bowen@contoso.com', 'alex.wilber@contoso.com'], subject, html, text, links: ['https://app.example/x?a=1&b=2'] });
  });

  test('sendMail from an unknown mailbox is MailboxNotEnabledForRESTAPI', async () => {
    const error = await failure(gateway.sendMail({ from: 'nobody@contoso.com', to: ['megan.bowen@contoso.com'], subject: 's', html: '<p>x</p>', text: 'x' }));
    expect(error).toMatchObject({ status: 404, code: 'MailboxNotEnabledForRESTAPI', transient: false });
  });
});

describe('faults and retries', () => {
  const resetDan = () => gateway.resetRedemption({ userId: ID.dan, email: 'dan.jump@wingtiptoys.com', redirectUrl: 'https://myapps.microsoft.com', sendInvitationMessage: false });

  test('429 twice, then success: the SDK retries honouring Retry-After', async () => {
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 429, count: 2, retryAfter: 0 });
    const before = emulator.snapshot().invitations.length;
    expect((await resetDan()).status).toBe('PendingAcceptance');
    expect(emulator.snapshot().invitations.length).toBe(before + 1);
  });

  test('403 is final, with code and request-id kept', async () => {
    emulator.addFault({ path: '/v1.0/invitations', status: 403, count: 1, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    const error = await failure(resetDan());
    expect(error).toMatchObject({ status: 403, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.', transient: false });
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The fault was used up: the next call goes through.
    expect((await resetDan()).status).toBe('PendingAcceptance');
  });

  test('503 beyond the retries is transient; the first 6 attempts are all consumed', async () => {
    emulator.addFault({ method: 'GET', path: '/v1.0/users', status: 503, count: 7, retryAfter: 0 });
    const error = await failure(gateway.getUser(ID.adele));
    expect(error).toMatchObject({ status: 503, code: 'ServiceUnavailable', transient: true });
    // 1 attempt + 5 retries used 6 of the 7 failures; one is left for the next call.
    expect(await failure(createMsGraphGateway(settingsFor(baseUrl), { maxRetries: 0 }).getUser(ID.adele))).toMatchObject({ status: 503 });
    expect(await gateway.getUser(ID.adele)).toBeDefined();
  });

  test('an unreachable Graph is a transient NetworkError after the network retries', async () => {
    const closed = await serve(createGraphEmulator());
    await new Promise((resolve) => closed.server.close(resolve));
    const offline = createMsGraphGateway(settingsFor(closed.baseUrl), { networkAttempts: 2, networkRetryDelayMs: 1 });
    expect(await failure(offline.getUser(ID.adele))).toMatchObject({ status: 0, code: 'NetworkError', transient: true });
  });

  test('throttling: beyond the invitation limit the caller waits Retry-After and then succeeds', async () => {
    const throttled = createGraphEmulator({ invitationThrottle: { limit: 2, windowMs: 1000 } });
    const local = await serve(throttled);
    try {
      const client = createMsGraphGateway(settingsFor(local.baseUrl), { retryDelaySeconds: 0 });
      const reset = () => client.resetRedemption({ userId: ID.dan, email: 'dan.jump@wingtiptoys.com', redirectUrl: 'https://myapps.microsoft.com', sendInvitationMessage: false });
      const results = await Promise.all([reset(), reset(), reset()]);
      expect(results.map((r) => r.status)).toEqual(['PendingAcceptance', 'PendingAcceptance', 'PendingAcceptance']);
      expect(throttled.snapshot().invitations).toHaveLength(3);
    } finally {
      await new Promise((resolve) => local.server.close(resolve));
    }
  });
});
