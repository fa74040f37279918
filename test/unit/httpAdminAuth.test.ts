import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest } from '@azure/functions';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { authenticateAdmin, type AdminAuthSettings } from '../../src/http/adminAuth.js';
import { HttpError } from '../../src/http/errors.js';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://login.example.test/tenant-1/v2.0';
const AUDIENCE = 'api://guest-email-change';

let server: Server;
let settings: AdminAuthSettings;
let signingKey: SigningKey;
let strangerKey: SigningKey;
let jwksRequests = 0;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  const stranger = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  strangerKey = stranger.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  server = createServer((request, response) => {
    jwksRequests++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  settings = { adminIssuer: ISSUER, adminJwksUri: `http://127.0.0.1:${port}/keys`, ADMIN_API_AUDIENCE: AUDIENCE, ADMIN_ROLE: 'GuestReset.Admin' };
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface TokenOptions {
  key?: SigningKey;
  issuer?: string;
  audience?: string;
  roles?: unknown;
  expiresAt?: number;
  claims?: Record<string, unknown>;
}

function token(options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: 'roles' in options ? options.roles : ['GuestReset.Admin'], ...options.claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(now - 60)
    .setExpirationTime(options.expiresAt ?? now + 600)
    .sign(options.key ?? signingKey);
}

const requestWith = (authorization?: string) =>
  new HttpRequest({ method: 'GET', url: 'http://localhost/api/admin/requests', headers: authorization ? { authorization } : {} });

async function refusal(authorization?: string): Promise<HttpError> {
  const error = await authenticateAdmin(requestWith(authorization), settings).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

describe('authenticateAdmin', () => {
  test('accepts a valid token with the role and returns who it is: the name, the user name and the object id', async () => {
    const identity = await authenticateAdmin(
      requestWith(`Bearer ${await token({ claims: { preferred_username: 'admin@contoso.com', oid: 'oid-1', name: 'Ada' } })}`),
      settings,
    );
    expect(identity).toStrictEqual({ name: 'Ada', username: 'admin@contoso.com', objectId: 'oid-1' });
  });

  test('without a name claim, the user name (preferred_username, else upn) names the admin', async () => {
    expect(await authenticateAdmin(requestWith(`Bearer ${await token({ claims: { upn: 'ada@contoso.com', oid: 'oid-3' } })}`), settings)).toStrictEqual({
      name: 'ada@contoso.com',
      username: 'ada@contoso.com',
      objectId: 'oid-3',
    });
  });

  test.each([
    ['the workflow\'s own actor', 'System'],
    ['nothing visible', '\u200B \u202E'],
  ])('a name that is %s does not name the admin: the user name does', async (_, name) => {
    const identity = await authenticateAdmin(requestWith(`Bearer ${await token({ claims: { preferred_username: 'mallory@contoso.com', oid: 'oid-4', name } })}`), settings);
    expect(identity.name).toBe('mallory@contoso.com');
  });

  test('invisible formatting and control characters are dropped from the claims (a right-to-left override cannot turn text around)', async () => {
    const identity = await authenticateAdmin(
      requestWith(`Bearer ${await token({ claims: { preferred_username: 'mallory@contoso.com\u0007', oid: 'oid-5', name: 'Mallory \u202Emoc.sotnoc@nagem' } })}`),
      settings,
    );
    expect(identity).toStrictEqual({ name: 'Mallory moc.sotnoc@nagem', username: 'mallory@contoso.com', objectId: 'oid-5' });
  });

  test('falls back to the object id when the token has no user name (app tokens)', async () => {
    expect(await authenticateAdmin(requestWith(`Bearer ${await token({ claims: { oid: 'oid-2' } })}`), settings)).toStrictEqual({
      name: 'oid-2',
      objectId: 'oid-2',
    });
  });

  test.each([undefined, 'Basic dXNlcjpwYXNz', 'Bearer'])('no bearer token (%s): 401 with a bare challenge', async (header) => {
    const error = await refusal(header);
    expect(error.status).toBe(401);
    expect(error.code).toBe('Unauthorized');
    expect(error.headers['WWW-Authenticate']).toBe('Bearer');
  });

  const badTokens: [string, () => Promise<string>][] = [
    ['signed by another key', () => token({ key: strangerKey })],
    ['wrong issuer', () => token({ issuer: 'https://evil.example.test/v2.0' })],
    ['wrong audience', () => token({ audience: 'api://something-else' })],
    ['expired', () => token({ expiresAt: Math.floor(Date.now() / 1000) - 120 })],
    ['garbage', async () => 'not.a.jwt'],
  ];
  test.each(badTokens)('%s: 401 invalid_token', async (_name, make) => {
    const error = await refusal(`Bearer ${await make()}`);
    expect(error.status).toBe(401);
    expect(error.code).toBe('Unauthorized');
    expect(error.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token"');
  });

  test('a token signed with HS256 is refused even if it names the right key', async () => {
    const forged = await new SignJWT({ roles: ['GuestReset.Admin'] })
      .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('a-shared-secret-of-sufficient-length!'));
    expect((await refusal(`Bearer ${forged}`)).status).toBe(401);
  });

  test.each([
    ['no roles claim', undefined],
    ['another role', ['GuestReset.Reader']],
    ['roles not a list', 'GuestReset.Admin'],
  ])('%s: 403', async (_name, roles) => {
    const error = await refusal(`Bearer ${await token({ roles })}`);
    expect(error.status).toBe(403);
    expect(error.code).toBe('Forbidden');
  });

  test('the key set is fetched once per process, not per call', async () => {
    const before = jwksRequests;
    for (let i = 0; i < 3; i++) await authenticateAdmin(requestWith(`Bearer ${await token()}`), settings);
    expect(jwksRequests - before).toBe(0);
  });
});
