import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createGraphEmulator, type GraphEmulator } from '../../src/graphEmulator.js';
import { EMAIL_NOT_ON_USER_MESSAGE } from '../../src/invitations.js';
import { GRAPH_JSON } from '../../src/graphHttp.js';

/** The emulator's wire behaviour, driven with plain fetch: shapes, headers, validation, throttling. */

const DAN = '20000000-0000-4000-8000-000000000004';
const ADELE = '20000000-0000-4000-8000-000000000001';
const DIEGO = '10000000-0000-4000-8000-000000000007';

let emulator: GraphEmulator;
let server: Server;
let base: string;

beforeAll(async () => {
  emulator = createGraphEmulator();
  server = createServer((req, res) => {
    void emulator.handle(req, res, new URL(req.url ?? '/', `http://${req.headers.host}`)).then((handled) => void (handled || res.writeHead(404).end()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
const postJson = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

interface GraphErrorBody {
  error: { code: string; message: string; innerError: { date: string; 'request-id': string; 'client-request-id': string } };
}

describe('wire shape', () => {
  test('a 404 has the Graph error body, ids in headers and innerError, and a zone-less date', async () => {
    const res = await get('/v1.0/users/99999999-0000-4000-8000-000000000000', { 'client-request-id': 'my-client-id' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe(GRAPH_JSON);
    expect(res.headers.get('client-request-id')).toBe('my-client-id');
    const body = (await res.json()) as GraphErrorBody;
    expect(body.error.code).toBe('Request_ResourceNotFound');
    expect(body.error.message).toBe("Resource '99999999-0000-4000-8000-000000000000' does not exist or one of its queried reference-property objects are not present.");
    expect(body.error.innerError['request-id']).toBe(res.headers.get('request-id'));
    expect(body.error.innerError['client-request-id']).toBe('my-client-id');
    expect(body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  test('GET /users/{id} without $select returns the default property set only', async () => {
    const body = (await (await get(`/v1.0/users/${ADELE}`)).json()) as Record<string, unknown>;
    expect(body.mail).toBe('adele.vance@fabrikam.com');
    expect(body).not.toHaveProperty('userType');
    expect(body).not.toHaveProperty('otherMails');
  });

  test('a guest can be read by its #EXT# user principal name when the hash is encoded', async () => {
    const res = await get(`/v1.0/users/${encodeURIComponent('adele.vance_fabrikam.com#EXT#@contoso.onmicrosoft.com')}?$select=id`);
    expect(await res.json()).toMatchObject({ id: ADELE });
  });

  test('an unsupported filter is 400 Request_UnsupportedQuery', async () => {
    const res = await get(`/v1.0/users?$filter=${encodeURIComponent("endsWith(mail,'@fabrikam.com')")}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as GraphErrorBody).error.code).toBe('Request_UnsupportedQuery');
  });

  test('manager of a user without one is the manager 404', async () => {
    const res = await get(`/v1.0/users/${DAN}/manager`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as GraphErrorBody).error.message).toBe("Resource 'manager' does not exist or one of its queried reference-property objects are not present.");
  });

  test('sponsors carry @odata.type for users and groups', async () => {
    const body = (await (await get('/v1.0/users/20000000-0000-4000-8000-000000000002/sponsors')).json()) as { value: Record<string, unknown>[] };
    expect(body.value).toEqual([expect.objectContaining({ '@odata.type': '#microsoft.graph.group', mailEnabled: true, securityEnabled: true })]);
  });

  test('sendMail answers 202 with an empty body', async () => {
    const res = await postJson('/v1.0/users/guest-reset@contoso.com/sendMail', {
      message: { subject: 'Hi', body: { contentType: 'HTML', content: '<a href="https://x.example/a">a</a>' }, toRecipients: [{ emailAddress: { address: 'a@b.example' } }] },
      saveToSentItems: false,
    });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
  });

  const postMime = (body: string) => fetch(`${base}/v1.0/users/guest-reset@contoso.com/sendMail`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body });

  test('sendMail in MIME mode keeps both parts of a multipart/alternative message', async () => {
    const mime = [
      'To: Ada <ada@fabrikam.example>, b@fabrikam.example',
      'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?UTF-8?B?IOKckw==?=',
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="=_b"',
      '',
      '--=_b',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Gr=C3=BC=C3=9Fe, a long =',
      'line',
      '--=_b',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('<p><a href="https://x.example/a">Grüße</a></p>').toString('base64'),
      '--=_b--',
      '',
    ].join('\r\n');
    const res = await postMime(Buffer.from(mime).toString('base64'));
    expect(res.status).toBe(202);
    expect(emulator.outbox().at(-1)).toMatchObject({
      to: ['ada@fabrikam.example', 'b@fabrikam.example'],
      subject: 'Grüße ✓',
      text: 'Grüße, a long line',
      html: '<p><a href="https://x.example/a">Grüße</a></p>',
      links: ['https://x.example/a'],
    });
  });

  test.each(['not base64 at all!', '', 'QUJD$', 'QUJDRA=A'])('sendMail in MIME mode refuses a body that is not base64 (%j) as Graph does', async (body) => {
    const res = await postMime(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as GraphErrorBody).error).toMatchObject({ code: 'ErrorMimeContentInvalidBase64String', message: 'Invalid base64 string for MIME content.' });
  });

  test('sendMail in MIME mode without a recipient is ErrorInvalidRecipients', async () => {
    const res = await postMime(Buffer.from('Subject: x\r\n\r\nbody').toString('base64'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as GraphErrorBody).error.code).toBe('ErrorInvalidRecipients');
  });
});

describe('$expand on users', () => {
  const FRANK = '20000000-0000-4000-8000-000000000006';
  const PATTI = '10000000-0000-4000-8000-000000000004';

  test('memberOf with its own $select, on one user and on a filtered list', async () => {
    const one = (await (await get(`/v1.0/users/${FRANK}?$select=id,userType&$expand=memberOf($select=id,displayName)`)).json()) as Record<string, unknown>;
    expect(one).toMatchObject({ id: FRANK, userType: 'Guest' });
    expect(one.memberOf).toEqual([{ '@odata.type': '#microsoft.graph.directoryRole', id: expect.any(String), displayName: 'Helpdesk Administrator' }]);
    const list = (await (await get(`/v1.0/users?$filter=${encodeURIComponent("mail eq 'patti.fernandez@contoso.com'")}&$select=id&$expand=memberOf($select=displayName)`)).json()) as { value: Record<string, unknown>[] };
    expect(list.value).toEqual([{ id: PATTI, memberOf: [{ '@odata.type': '#microsoft.graph.group', displayName: 'Partner Managers' }] }]);
  });

  test('sponsors, typed, with the selected fields', async () => {
    const body = (await (await get(`/v1.0/users/${ADELE}?$select=id&$expand=sponsors($select=id,userType,accountEnabled)`)).json()) as Record<string, unknown>;
    expect(body.sponsors).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: '10000000-0000-4000-8000-000000000001', userType: 'Member', accountEnabled: true },
      { '@odata.type': '#microsoft.graph.user', id: '10000000-0000-4000-8000-000000000002', userType: 'Member', accountEnabled: true },
    ]);
  });

  test('an expanded relationship stops at 20 items, with no next link for the rest', async () => {
    const sponsors = Array.from({ length: 22 }, (_, i) => emulator.addUser({ displayName: `Expand Sponsor ${i}`, mail: `expand.sponsor.${i}@contoso.com`, userType: 'Member' }).id as string);
    const guest = emulator.addUser({ displayName: 'Many Sponsors', mail: 'many.sponsors.expand@fabrikam.example', userType: 'Guest', sponsors });
    const body = (await (await get(`/v1.0/users/${String(guest.id)}?$select=id&$expand=sponsors($select=id)`)).json()) as Record<string, unknown>;
    expect((body.sponsors as unknown[]).map((s) => (s as { id: string }).id)).toEqual(sponsors.slice(0, 20));
    expect(Object.keys(body).filter((k) => k.includes('nextLink'))).toEqual([]);
    // The relationship itself pages through all of them.
    const listed = (await (await get(`/v1.0/users/${String(guest.id)}/sponsors?$select=id`)).json()) as { value: unknown[] };
    expect(listed.value).toHaveLength(22);
  });

  test('two relationships, or one that users do not have, are 400', async () => {
    const two = await get(`/v1.0/users/${FRANK}?$expand=memberOf,sponsors`);
    expect(two.status).toBe(400);
    expect(((await two.json()) as GraphErrorBody).error.code).toBe('Request_BadRequest');
    const unknown = await get(`/v1.0/users/${FRANK}?$expand=photo`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as GraphErrorBody).error.message).toBe("Could not find a property named 'photo' on type 'microsoft.graph.user'.");
  });
});

describe('POST /invitations validation', () => {
  const valid = { invitedUserEmailAddress: 'dan.jump@wingtiptoys.com', inviteRedirectUrl: 'https://myapps.microsoft.com', invitedUser: { id: DAN }, resetRedemption: true };
  const errorOf = async (body: unknown) => {
    const res = await postJson('/v1.0/invitations', body);
    return { status: res.status, error: ((await res.json()) as GraphErrorBody).error };
  };

  test('required fields', async () => {
    expect(await errorOf({ ...valid, invitedUserEmailAddress: undefined })).toMatchObject({ status: 400, error: { code: 'BadRequest' } });
    expect(await errorOf({ ...valid, inviteRedirectUrl: '' })).toMatchObject({ status: 400, error: { code: 'BadRequest' } });
  });

  test('resetRedemption requires invitedUser.id', async () => {
    expect(await errorOf({ ...valid, invitedUser: undefined })).toMatchObject({ status: 400, error: { code: 'BadRequest' } });
  });

  test('characters Graph refuses in the address', async () => {
    for (const address of ['dan+x@wingtiptoys.com', 'dan#x@wingtiptoys.com', 'dan=x@wingtiptoys.com', '.dan@wingtiptoys.com']) {
      expect(await errorOf({ ...valid, invitedUserEmailAddress: address })).toMatchObject({ status: 400, error: { code: 'BadRequest', message: 'The Primary SMTP Address is an invalid value' } });
    }
  });

  test('an address not in mail or otherMails gets the curly-quote message', async () => {
    expect(await errorOf({ ...valid, invitedUserEmailAddress: 'elsewhere@northwind.example' })).toMatchObject({ status: 400, error: { code: 'BadRequest', message: EMAIL_NOT_ON_USER_MESSAGE } });
    expect(EMAIL_NOT_ON_USER_MESSAGE).toContain('you’re');
  });

  test('an unknown invitedUser.id is 404', async () => {
    expect(await errorOf({ ...valid, invitedUser: { id: '99999999-0000-4000-8000-000000000000' } })).toMatchObject({ status: 404, error: { code: 'Request_ResourceNotFound' } });
  });

  test('success is 201 with the documented shape', async () => {
    const res = await postJson('/v1.0/invitations', valid);
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#invitations/$entity',
      invitedUserEmailAddress: 'dan.jump@wingtiptoys.com',
      invitedUserType: 'Guest',
      resetRedemption: true,
      sendInvitationMessage: false,
      status: 'PendingAcceptance',
      invitedUserMessageInfo: { messageLanguage: null, customizedMessageBody: null, ccRecipients: [{ emailAddress: { name: null, address: null } }] },
      invitedUser: { id: DAN, userPrincipalName: 'dan.jump_wingtiptoys.com#EXT#@contoso.onmicrosoft.com' },
    });
    expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test('sendInvitationMessage puts the Microsoft invitation with its redeem link in the outbox', async () => {
    const res = await postJson('/v1.0/invitations', { ...valid, sendInvitationMessage: true });
    const invitation = (await res.json()) as { inviteRedeemUrl: string };
    expect(emulator.outbox().at(-1)).toMatchObject({ from: 'invites@microsoft.com', to: ['dan.jump@wingtiptoys.com'], links: [invitation.inviteRedeemUrl] });
  });

  test('invitedUser.id of a member without reset converts the member (why the app must never send it)', async () => {
    const res = await postJson('/v1.0/invitations', { invitedUserEmailAddress: 'diego.siciliani@contoso.com', inviteRedirectUrl: 'https://myapps.microsoft.com', invitedUser: { id: DIEGO } });
    expect(res.status).toBe(201);
    expect(emulator.snapshot().users.find((u) => u.id === DIEGO)).toMatchObject({ userType: 'Member', externalUserState: 'PendingAcceptance' });
  });
});

describe('throttling at the documented limit', () => {
  test('the 151st /invitations call within 5 s is 429 with Retry-After and the throttling body', async () => {
    // A frozen clock keeps all 151 calls inside one window however slow the machine is.
    const frozen = new Date('2025-01-01T00:00:00Z');
    const fresh = createGraphEmulator({ clock: () => frozen });
    const local = createServer((req, res) => void fresh.handle(req, res, new URL(req.url ?? '/', 'http://127.0.0.1')));
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(local.address() as AddressInfo).port}/v1.0/invitations`;
      const statuses: number[] = [];
      for (let i = 0; i < 150; i++) {
        const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses.every((s) => s === 400)).toBe(true);
      const throttled = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await throttled.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ code: 'TooManyRequests', message: 'Please retry again later.', innerError: { code: '429', status: '429', message: 'Please retry after' } });
    } finally {
      await new Promise((resolve) => local.close(resolve));
    }
  });
});

describe('saved state', () => {
  test('exportState then importState into a fresh emulator keeps users, invitations and the outbox', async () => {
    const added = emulator.addUser({ displayName: 'Persisted', mail: 'persisted@fabrikam.example', userType: 'Guest' });
    await postJson('/v1.0/invitations', { invitedUserEmailAddress: 'dan.jump@wingtiptoys.com', inviteRedirectUrl: 'https://myapps.microsoft.com', invitedUser: { id: DAN }, resetRedemption: true });
    const saved = JSON.parse(JSON.stringify(emulator.exportState())) as unknown;
    const restarted = createGraphEmulator();
    restarted.importState(saved);
    expect(restarted.snapshot()).toEqual(emulator.snapshot());
    expect(restarted.outbox()).toEqual(emulator.outbox());
    expect(restarted.snapshot().users.find((u) => u.id === added.id)).toMatchObject({ mail: 'persisted@fabrikam.example' });
  });

  test('importState refuses something that is not a saved state', () => {
    expect(() => createGraphEmulator().importState({ users: [] })).toThrow(/graph-emulator-state/);
  });
});
