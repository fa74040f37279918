import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDevEndpoints } from '../../src/devEndpoints.js';
import { createDevTokenIssuer } from '../../src/devTokenIssuer.js';
import { createGraphEmulator, type GraphEmulator } from '../../src/graphEmulator.js';
import { createTenantEasyAuth } from '../../src/tenantSignIn.js';

/** The dev-only endpoints on a real server beside the Graph emulator, as the local host serves them. */

const ISSUER = 'https://login.microsoftonline.com/c0a70500-0000-4000-8000-000000000000/v2.0';
const AUDIENCE = 'api://guest-reset';
const TENANT = 'c0a70500-0000-4000-8000-000000000000';
const MEGAN = '10000000-0000-4000-8000-000000000001';

let emulator: GraphEmulator;
let server: Server;
let base: string;

/** Stands in for the app: answers with the principal headers it was given. */
const echoPrincipal = (req: IncomingMessage, res: ServerResponse) => {
  const principal = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.startsWith('x-ms-')));
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(principal));
};

beforeAll(async () => {
  emulator = createGraphEmulator();
  const easyAuth = createTenantEasyAuth(emulator, TENANT, ['GuestReset.Admin']);
  const dev = createDevEndpoints({ emulator, tokenIssuer: createDevTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, tenantId: TENANT }), easyAuth });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    void (async () => {
      if (await easyAuth.handle(req, res, url)) return;
      if (url.pathname === '/app/echo') return echoPrincipal(req, res);
      if (!(await dev(req, res, url)) && !(await emulator.handle(req, res, url))) res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const send = (method: string, path: string, body?: unknown) =>
  fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

async function sendMail(html: string, subject = 'Hello') {
  const res = await send('POST', '/v1.0/users/guest-reset@contoso.com/sendMail', {
    message: { subject, body: { contentType: 'HTML', content: html }, toRecipients: [{ emailAddress: { address: 'megan.bowen@contoso.com' } }] },
  });
  expect(res.status).toBe(202);
}

describe('outbox', () => {
  test('outbox.json lists sent mail with addresses as strings and extracted links', async () => {
    await sendMail('<p><a href="https://app.example/api/approvals/abc.def">Review</a> or <a href=\'https://app.example/help?x=1&amp;y=2\'>help</a></p>', 'Approve');
    const messages = (await (await send('GET', '/_dev/outbox.json')).json()) as Record<string, unknown>[];
    expect(messages.at(-1)).toMatchObject({
      from: 'guest-reset@contoso.com',
      to: ['megan.bowen@contoso.com'],
      subject: 'Approve',
      links: ['https://app.example/api/approvals/abc.def', 'https://app.example/help?x=1&y=2'],
    });
    expect(messages.at(-1)?.id).toEqual(expect.any(String));
    expect(new Date(String(messages.at(-1)?.sentAt)).toString()).not.toBe('Invalid Date');
  });

  test('the HTML outbox escapes every value and makes only web links clickable', async () => {
    await sendMail('<p><a href="https://app.example/ok">ok</a><a href="javascript:alert(1)">bad</a></p>', '<script>alert("subject")</script>');
    const res = await send('GET', '/_dev/outbox');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await res.text();
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('&lt;script&gt;alert(&quot;subject&quot;)&lt;/script&gt;');
    expect(page).toContain('<a href="https://app.example/ok">https://app.example/ok</a>');
    expect(page).not.toContain('<a href="javascript:');
  });

  test('a mail with a plain-text part shows it, escaped, in both outboxes', async () => {
    const text = 'Review: https://app.example/r\n<b>not markup</b>';
    const mime = `To: megan.bowen@contoso.com\r\nSubject: Both\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html</p>\r\n--b--\r\n`;
    const res = await fetch(`${base}/v1.0/users/guest-reset@contoso.com/sendMail`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: Buffer.from(mime).toString('base64') });
    expect(res.status).toBe(202);
    const messages = (await (await send('GET', '/_dev/outbox.json')).json()) as Record<string, unknown>[];
    expect(messages.at(-1)).toMatchObject({ subject: 'Both', html: '<p>html</p>', text });
    expect(await (await send('GET', '/_dev/outbox')).text()).toContain('<details><summary>Plain-text part</summary><pre>Review: https://app.example/r\n&lt;b&gt;not markup&lt;/b&gt;</pre></details>');
  });

  test.each(['/_dev/outbox', '/_dev/outbox.json'])('DELETE %s empties it', async (path) => {
    await sendMail('<p>x</p>', 'To clear');
    expect(await (await send('GET', '/_dev/outbox.json')).json()).not.toEqual([]);
    expect((await send('DELETE', path)).status).toBe(204);
    expect(await (await send('GET', '/_dev/outbox.json')).json()).toEqual([]);
  });
});

describe('tenant', () => {
  test('tenant.json shows seeded users in Graph shapes and invitations', async () => {
    const tenant = (await (await send('GET', '/_dev/tenant.json')).json()) as { users: Record<string, unknown>[]; invitations: unknown[] };
    expect(tenant.users.find((u) => u.id === '20000000-0000-4000-8000-000000000001')).toMatchObject({
      mail: 'adele.vance@fabrikam.com',
      otherMails: ['adele.vance@fabrikam.com'],
      userType: 'Guest',
      externalUserState: 'Accepted',
      sponsors: [MEGAN, '10000000-0000-4000-8000-000000000002'],
    });
    expect(Array.isArray(tenant.invitations)).toBe(true);
  });

  test('POST /_dev/tenant/users adds a guest that Graph then finds', async () => {
    const res = await send('POST', '/_dev/tenant/users', { displayName: 'Grace Ng', mail: 'grace.ng@fabrikam.example', userType: 'Guest', sponsors: [MEGAN], directoryRoles: [], accountEnabled: true });
    expect(res.status).toBe(201);
    const user = (await res.json()) as Record<string, unknown>;
    expect(user).toMatchObject({ displayName: 'Grace Ng', userType: 'Guest', externalUserState: 'Accepted', creationType: 'Invitation', userPrincipalName: 'grace.ng_fabrikam.example#EXT#@contoso.onmicrosoft.com', sponsors: [MEGAN] });
    const filter = encodeURIComponent("mail eq 'grace.ng@fabrikam.example'");
    const found = (await (await send('GET', `/v1.0/users?$filter=${filter}&$select=id`)).json()) as { value: { id: string }[] };
    expect(found.value).toEqual([{ id: user.id }]);
  });

  test('POST /_dev/tenant/users refuses bad input with 400', async () => {
    for (const body of [
      { displayName: 'No mail', userType: 'Guest' },
      { displayName: 'Bad type', mail: 'x@fabrikam.example', userType: 'Admin' },
      { displayName: 'Ghost sponsor', mail: 'y@fabrikam.example', userType: 'Guest', sponsors: ['99999999-0000-4000-8000-000000000000'] },
      { displayName: 'Taken', mail: 'megan.bowen@contoso.com', userType: 'Member' },
    ]) {
      const res = await send('POST', '/_dev/tenant/users', body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BadRequest');
    }
  });
});

describe('faults', () => {
  test('POST then DELETE /_dev/graph/faults', async () => {
    expect((await send('POST', '/_dev/graph/faults', { method: 'GET', path: '/v1.0/users', status: 503, count: 5, retryAfter: 0 })).status).toBe(201);
    const failed = await send('GET', `/v1.0/users/${MEGAN}`);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('0');
    expect(((await failed.json()) as { error: { code: string } }).error.code).toBe('ServiceUnavailable');
    expect((await send('DELETE', '/_dev/graph/faults')).status).toBe(204);
    expect((await send('GET', `/v1.0/users/${MEGAN}`)).status).toBe(200);
  });

  test('a fault that could never fire is 400', async () => {
    expect((await send('POST', '/_dev/graph/faults', { path: '/v1.0/users', status: 200, count: 1 })).status).toBe(400);
    expect((await send('POST', '/_dev/graph/faults', { path: 'v1.0/users', status: 500, count: 1 })).status).toBe(400);
  });
});

describe('Graph calls', () => {
  test('GET /_dev/graph/calls lists the Graph calls received, in order, faulted ones too; DELETE empties it', async () => {
    expect((await send('DELETE', '/_dev/graph/calls')).status).toBe(204);
    await send('POST', '/_dev/graph/faults', { method: 'GET', path: `/v1.0/users/${MEGAN}/manager`, status: 503, count: 1 });
    await send('GET', `/v1.0/users/${MEGAN}?$select=id`);
    await send('GET', `/v1.0/users/${MEGAN}/manager`);
    const calls = (await (await send('GET', '/_dev/graph/calls')).json()) as { method: string; path: string; query: string; at: string }[];
    expect(calls.map(({ method, path, query }) => ({ method, path, query }))).toEqual([
      { method: 'GET', path: `/v1.0/users/${MEGAN}`, query: '$select=id' },
      { method: 'GET', path: `/v1.0/users/${MEGAN}/manager`, query: '' },
    ]);
    expect((await send('DELETE', '/_dev/graph/calls')).status).toBe(204);
    expect(await (await send('GET', '/_dev/graph/calls')).json()).toEqual([]);
  });
});

describe('admin tokens', () => {
  test('a token from /_dev/token verifies against /_dev/jwks.json with the configured issuer and audience', async () => {
    const { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } = await import('jose');
    const res = await send('POST', '/_dev/token', { roles: ['GuestReset.Admin'] });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const jwks = createRemoteJWKSet(new URL(`${base}/_dev/jwks.json`));
    const { payload } = await jwtVerify(token, jwks, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] });
    expect(payload).toMatchObject({ roles: ['GuestReset.Admin'], tid: TENANT, name: expect.any(String), preferred_username: expect.any(String), oid: expect.any(String) });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
  });

  test('a token for another audience does not verify', async () => {
    const { createRemoteJWKSet, jwtVerify } = await import('jose');
    const { token } = (await (await send('POST', '/_dev/token', { roles: [] })).json()) as { token: string };
    await expect(jwtVerify(token, createRemoteJWKSet(new URL(`${base}/_dev/jwks.json`)), { issuer: ISSUER, audience: 'api://other' })).rejects.toThrow();
  });

  test('roles must be an array of strings', async () => {
    expect((await send('POST', '/_dev/token', { roles: 'GuestReset.Admin' })).status).toBe(400);
    expect((await send('POST', '/_dev/token', {})).status).toBe(400);
  });
});

describe('sign-in emulation (App Service Authentication)', () => {
  const OBJECT_ID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
  const TENANT_ID = 'http://schemas.microsoft.com/identity/claims/tenantid';
  const cookieOf = (res: Response) => res.headers.get('set-cookie')!.split(';')[0]!;
  const principalOf = async (headers: Record<string, string>) => (await (await fetch(`${base}/app/echo`, { headers })).json()) as Record<string, string>;
  const claims = (principal: Record<string, string>) =>
    Object.fromEntries((JSON.parse(Buffer.from(principal['x-ms-client-principal']!, 'base64').toString('utf8')) as { claims: { typ: string; val: string }[] }).claims.map((c) => [c.typ, c.val]));

  test('POST /_dev/session by mail or by id: 200 with the session cookie; the app then gets the platform headers', async () => {
    for (const body of [{ mail: 'Megan.Bowen@contoso.com' }, { userId: MEGAN }]) {
      const res = await send('POST', '/_dev/session', body);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: MEGAN, mail: 'megan.bowen@contoso.com' });
      expect(res.headers.get('set-cookie')).toMatch(/^AppServiceAuthSession=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
      const principal = await principalOf({ cookie: cookieOf(res) });
      expect(principal).toMatchObject({ 'x-ms-client-principal-id': MEGAN, 'x-ms-client-principal-idp': 'aad', 'x-ms-client-principal-name': 'megan.bowen@contoso.com' });
      expect(claims(principal)).toMatchObject({ [OBJECT_ID]: MEGAN, [TENANT_ID]: TENANT });
    }
  });

  test('POST /_dev/session with roles: the principal carries them as `roles` claims; without, none', async () => {
    const admin = cookieOf(await send('POST', '/_dev/session', { mail: 'megan.bowen@contoso.com', roles: ['GuestReset.Admin'] }));
    const principal = JSON.parse(Buffer.from((await principalOf({ cookie: admin }))['x-ms-client-principal']!, 'base64').toString('utf8')) as { claims: { typ: string; val: string }[] };
    expect(principal.claims.filter((c) => c.typ === 'roles')).toEqual([{ typ: 'roles', val: 'GuestReset.Admin' }]);
    const plain = cookieOf(await send('POST', '/_dev/session', { mail: 'megan.bowen@contoso.com' }));
    const withoutRoles = JSON.parse(Buffer.from((await principalOf({ cookie: plain }))['x-ms-client-principal']!, 'base64').toString('utf8')) as { claims: { typ: string }[] };
    expect(withoutRoles.claims.some((c) => c.typ === 'roles')).toBe(false);
    for (const roles of ['GuestReset.Admin', [1], null]) expect((await send('POST', '/_dev/session', { mail: 'megan.bowen@contoso.com', roles })).status).toBe(400);
  });

  test('the sign-in page offers the app roles, and signs in with those ticked', async () => {
    const page = await (await fetch(`${base}/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fadmin%2F`)).text();
    expect(page).toContain('<input type="checkbox" name="role" value="GuestReset.Admin">');
    const signedIn = await fetch(`${base}/.auth/login/aad`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ userId: MEGAN, role: 'GuestReset.Admin', post_login_redirect_uri: '/api/admin/' }).toString(),
    });
    expect(signedIn.status).toBe(302);
    const me = (await (await fetch(`${base}/.auth/me`, { headers: { cookie: cookieOf(signedIn) } })).json()) as { user_claims: { typ: string; val: string }[] }[];
    expect(me[0]!.user_claims).toContainEqual({ typ: 'roles', val: 'GuestReset.Admin' });
  });

  test('POST /_dev/session: 404 for an unknown user, 400 for a bad body', async () => {
    expect((await send('POST', '/_dev/session', { mail: 'nobody@contoso.com' })).status).toBe(404);
    for (const body of [{}, { mail: '' }, { mail: 3 }, { mail: 'megan.bowen@contoso.com', userId: MEGAN }]) {
      expect((await send('POST', '/_dev/session', body)).status).toBe(400);
    }
  });

  test('principal headers sent by the client are stripped, signed in or not', async () => {
    const forged = { 'X-MS-CLIENT-PRINCIPAL-ID': MEGAN, 'x-ms-client-principal-idp': 'aad', 'X-Ms-Client-Principal': 'e30=', 'x-ms-token-aad-id-token': 'x' };
    expect(await principalOf(forged)).toEqual({});
    const session = cookieOf(await send('POST', '/_dev/session', { mail: 'nestor.wilke@contoso.com' }));
    expect(await principalOf({ ...forged, cookie: session })).toMatchObject({ 'x-ms-client-principal-id': '10000000-0000-4000-8000-000000000002' });
    expect(await principalOf({ cookie: 'AppServiceAuthSession=made-up' })).toEqual({});
  });

  test('the sign-in page lists the tenant\'s users, escaped, and signs in the one picked, back to a path of this host', async () => {
    emulator.addUser({ displayName: '<b>Eve</b> "Quote"', mail: 'eve.markup@contoso.com', userType: 'Member' });
    const page = await fetch(`${base}/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent('/api/approvals/x.y?a=1')}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain(`value="${MEGAN}"`);
    expect(html).toContain('&lt;b&gt;Eve&lt;/b&gt; &quot;Quote&quot;');
    expect(html).not.toContain('<b>Eve</b>');
    expect(html).toContain('name="post_login_redirect_uri" value="/api/approvals/x.y?a=1"');

    const form = (fields: Record<string, string>) =>
      fetch(`${base}/.auth/login/aad`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const signedIn = await form({ userId: MEGAN, post_login_redirect_uri: '/api/approvals/x.y?a=1' });
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get('location')).toBe('/api/approvals/x.y?a=1');
    const me = await fetch(`${base}/.auth/me`, { headers: { cookie: cookieOf(signedIn) } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject([{ provider_name: 'aad', user_claims: expect.arrayContaining([{ typ: OBJECT_ID, val: MEGAN }]) }]);

    for (const target of ['https://evil.example/', '//evil.example/', '/\\evil.example', '/..//evil.example', 'javascript:alert(1)']) {
      expect((await form({ userId: MEGAN, post_login_redirect_uri: target })).status, target).toBe(400);
    }
    expect((await form({ userId: 'nobody', post_login_redirect_uri: '/' })).status).toBe(400);
  });

  test('/.auth/logout ends the session and goes back to a path of this host', async () => {
    const session = cookieOf(await send('POST', '/_dev/session', { mail: 'megan.bowen@contoso.com' }));
    const out = await fetch(`${base}/.auth/logout?post_logout_redirect_uri=${encodeURIComponent('/api/approvals/x.y')}`, { headers: { cookie: session }, redirect: 'manual' });
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('/api/approvals/x.y');
    expect(out.headers.get('set-cookie')).toMatch(/^AppServiceAuthSession=; .*Max-Age=0/);
    expect(await principalOf({ cookie: session })).toEqual({});
    expect((await fetch(`${base}/.auth/me`, { headers: { cookie: session } })).status).toBe(401);
  });
});

test('unknown dev paths are 404 and wrong methods 405', async () => {
  expect((await send('GET', '/_dev/nothing')).status).toBe(404);
  const res = await send('PUT', '/_dev/outbox.json');
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('GET, HEAD, DELETE');
  expect((await send('PUT', '/_dev/tenant.json')).headers.get('allow')).toBe('GET, HEAD');
  expect((await send('GET', '/_dev/token')).headers.get('allow')).toBe('POST');
});
