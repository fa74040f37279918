import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest, InvocationContext, type HttpResponse } from '@azure/functions';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, test } from 'vitest';
import { parseSettings, type Settings } from '../../src/config/settings.js';
import { createGraphEmulator, type GraphEmulator } from '@guest-email-change/graph-emulator';
import { createAntiForgeryValue, createLinkToken, NO_SIGN_IN_VIEWER, parseLinkToken } from '../../src/domain/linkToken.js';
import type { Approver, EmailChangeRequest } from '../../src/domain/request.js';
import { createMsGraphGateway } from '../../src/graph/msGraphGateway.js';
import { createTableAdminDigest } from '../../src/store/adminDigest.js';
import { createMailer } from '../../src/mail/mailer.js';
import { cancelAdminRequest, getAdminRequest, listAdminRequests } from '../../src/http/adminRequests.js';
import { reassignApprover } from '../../src/http/adminApprovers.js';
import { decideApproval, showApproval } from '../../src/http/approvals.js';
import { confirmRequest } from '../../src/http/confirmations.js';
import { reportRequest, showReport } from '../../src/http/reports.js';
import type { HttpDependencies, OrchestrationClient } from '../../src/http/dependencies.js';
import { showRequestForm, showRequestReceived, submitRequest } from '../../src/http/submitRequest.js';
import { mintLink } from '../../src/store/mintLink.js';
import { claimOutcome, DEADLINE_PASSED } from '../../src/store/outcomeClaim.js';
import { createTableRateLimiter } from '../../src/store/rateLimiter.js';
import type { RequestStore } from '../../src/store/requestStore.js';
import { createTableRequestStore } from '../../src/store/tableRequestStore.js';
import { CHARACTER_COUNT_SCRIPT, CHARACTER_COUNT_SCRIPT_SHA256 } from '../../src/templates/characterCount.js';
import { PAGE_CSP } from '../../src/templates/layout.js';
import { EVENTS, ORCHESTRATOR_NAME, WORKFLOW_VERSION } from '../../src/workflow/contract.js';

/*
 * The HTTP handlers in-process: real `HttpRequest` objects, the real Table store and rate
 * limiter in Azurite, a real JWKS over loopback, the real Graph gateway against the Graph
 * emulator (approvers are checked in the directory when they decide), the platform's sign-in
 * headers as App Service Authentication sets them, and a recording stand-in for the Durable client.
 */

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://login.example.test/tenant-1/v2.0';
const AUDIENCE = 'api://guest-email-change';
const FORM_SECRET = 'an-approval-form-secret-of-enough-length-0123456789';

let jwksServer: Server;
let graphServer: Server;
let graphBaseUrl: string;
let emulator: GraphEmulator;
let signingKey: SigningKey;
let deps: HttpDependencies;
let store: RequestStore;
let client: RecordingClient;
let now: Date;

function testSettings(jwksUri: string, overrides: Record<string, string> = {}): Settings {
  return parseSettings({
    AzureWebJobsStorage: inject('azuriteConnectionString'),
    GRAPH_BASE_URL: graphBaseUrl,
    GRAPH_STATIC_TOKEN: 'dev',
    TABLE_NAME_PREFIX: `Http${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    TENANT_VERIFIED_DOMAINS: 'contoso.com',
    PUBLIC_BASE_URL: 'http://localhost:7071',
    APPROVAL_FORM_SECRET: FORM_SECRET,
    ORG_NAME: 'Contoso',
    MAIL_SENDER: 'noreply@contoso.com',
    ADMIN_TENANT_ID: 'tenant-1',
    ADMIN_API_AUDIENCE: AUDIENCE,
    ADMIN_TOKEN_ISSUER: ISSUER,
    ADMIN_JWKS_URI: jwksUri,
    RATE_LIMIT_WINDOW: 'PT1H',
    RATE_LIMIT_PER_SOURCE: '3',
    RATE_LIMIT_PER_TARGET: '2',
    ...overrides,
  });
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  emulator = createGraphEmulator();
  graphServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    void emulator.handle(req, res, url).then((handled) => handled || res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => graphServer.listen(0, '127.0.0.1', resolve));
  graphBaseUrl = `http://127.0.0.1:${(graphServer.address() as AddressInfo).port}`;
  const settings = testSettings(`http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/keys`);
  store = createTableRequestStore(settings);
  const graph = createMsGraphGateway(settings);
  deps = { settings, store, graph, mailer: createMailer(graph, settings), adminDigest: createTableAdminDigest(settings), rateLimiter: createTableRateLimiter(settings), clock: () => now, platformAuthenticationOn: true };
  // The mails some handlers send (a reassign's link, an owner report's alert) go out from the sender's mailbox.
  emulator.addUser({ displayName: 'Sender', mail: settings.MAIL_SENDER, userType: 'Member' });
  const team = await approverTeam();
  [APPROVER_A, APPROVER_B] = team.approvers;
  GUEST = team.guest;
});

afterAll(async () => {
  await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
  await new Promise<void>((resolve) => graphServer.close(() => resolve()));
});

beforeEach(() => {
  // Each test gets its own hour, so rate-limit windows never carry over between tests.
  now = new Date(Date.UTC(2030, 0, 1) + Math.floor(Math.random() * 1e6) * 3_600_000);
  client = recordingClient();
});

// ---------------------------------------------------------------------------------------------
// Helpers

interface RecordingClient extends OrchestrationClient {
  started: { name: string; instanceId?: string; input: unknown }[];
  raised: { instanceId: string; eventName: string; data: unknown }[];
  runtimeStatus: Map<string, string>;
}

/** Answers like the Durable client: unknown instances make `getStatus` throw with the 404. */
function recordingClient(): RecordingClient {
  const started: RecordingClient['started'] = [];
  const raised: RecordingClient['raised'] = [];
  const runtimeStatus = new Map<string, string>();
  const inputs = new Map<string, unknown>();
  return {
    started,
    raised,
    runtimeStatus,
    async startNew(name, options) {
      started.push({ name, instanceId: options?.instanceId, input: options?.input });
      if (options?.instanceId) {
        runtimeStatus.set(options.instanceId, 'Pending');
        inputs.set(options.instanceId, options.input);
      }
      return options?.instanceId ?? randomUUID();
    },
    async raiseEvent(instanceId, eventName, data) {
      raised.push({ instanceId, eventName, data });
    },
    async getStatus(instanceId) {
      const status = runtimeStatus.get(instanceId);
      if (!status) throw new Error(`DurableClient error: Durable Functions extension replied with HTTP 404 response. ${instanceId}`);
      return {
        name: ORCHESTRATOR_NAME,
        instanceId,
        createdTime: new Date('2030-01-01T00:00:00Z'),
        lastUpdatedTime: new Date('2030-01-01T00:01:00Z'),
        input: inputs.get(instanceId) ?? null,
        output: null,
        runtimeStatus: status,
        customStatus: { status: 'AwaitingApproval' },
      } as unknown as Awaited<ReturnType<OrchestrationClient['getStatus']>>;
    },
  };
}

const context = () => new InvocationContext({ functionName: 'test', logHandler: () => undefined });

function request(method: string, path: string, options: { headers?: Record<string, string>; body?: string; params?: Record<string, string> } = {}) {
  return new HttpRequest({
    method,
    url: `http://localhost:7071${path}`,
    headers: options.headers ?? {},
    params: options.params ?? {},
    ...(options.body === undefined ? {} : { body: { string: options.body } }),
  });
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,application/xhtml+xml,*/*;q=0.8', ...headers },
  body: new URLSearchParams(fields).toString(),
});

async function errorOf(response: HttpResponse): Promise<{ code: string; message: string; details?: Record<string, string> }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await response.json()) as { error: { code: string; message: string; details?: Record<string, string> } }).error;
}

function expectSecurityHeaders(response: HttpResponse, kind: 'page' | 'api') {
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  if (kind === 'page') {
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("default-src 'none'");
    expect(PAGE_CSP).toContain("frame-ancestors 'none'");
  } else {
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  }
}

let submissionCounter = 0;
function submission(overrides: Record<string, string> = {}) {
  submissionCounter++;
  return {
    currentEmail: `guest${submissionCounter}@fabrikam.com`,
    newEmail: `guest${submissionCounter}@northwind.com`,
    reason: 'MovedCompany',
    ...overrides,
  };
}

const submit = (init: { headers: Record<string, string>; body: string }, ip = '203.0.113.10') =>
  submitRequest(request('POST', '/api/requests', { ...init, headers: { 'x-forwarded-for': ip, ...init.headers } }), context(), deps, client);

let APPROVER_A: Approver;
let APPROVER_B: Approver;
let GUEST: { id: string; mail: string };

let teamCounter = 0;
/** Two enabled members of the emulated tenant sponsoring one guest: approvers by the directory. */
async function approverTeam(): Promise<{ approvers: [Approver, Approver]; guest: { id: string; mail: string } }> {
  const n = teamCounter++;
  const member = (name: string) => {
    const user = emulator.addUser({ displayName: `${name} Approver`, mail: `${name.toLowerCase()}${n ? `.${n}` : ''}@contoso.com`, userType: 'Member' }) as unknown as Approver;
    return { id: user.id, displayName: user.displayName, mail: user.mail };
  };
  const approvers: [Approver, Approver] = [member('Alice'), member('Bob')];
  const guest = emulator.addUser({ displayName: 'Gus Guest', mail: `gus${n ? `.${n}` : ''}@fabrikam.com`, userType: 'Guest', sponsors: approvers.map((a) => a.id) }) as unknown as { id: string; mail: string };
  return { approvers, guest };
}

/** Changes a user in the emulated directory through Graph, as an administrator would. */
async function patchUser(id: string, changes: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${graphBaseUrl}/v1.0/users/${id}`, { method: 'PATCH', headers: { authorization: 'Bearer dev', 'content-type': 'application/json' }, body: JSON.stringify(changes) });
  expect(res.status).toBe(204);
}

const OBJECT_ID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const TENANT_ID_CLAIM = 'http://schemas.microsoft.com/identity/claims/tenantid';

/** The headers App Service Authentication sets for a user signed in with Entra ID. */
function signedInAs(user: { id: string; mail: string }, tenantId = 'tenant-1'): Record<string, string> {
  const principal = { auth_typ: 'aad', claims: [{ typ: OBJECT_ID_CLAIM, val: user.id }, { typ: TENANT_ID_CLAIM, val: tenantId }], name_typ: 'name', role_typ: 'roles' };
  return {
    'X-MS-CLIENT-PRINCIPAL': Buffer.from(JSON.stringify(principal)).toString('base64'),
    'X-MS-CLIENT-PRINCIPAL-ID': user.id,
    'X-MS-CLIENT-PRINCIPAL-NAME': user.mail,
    'X-MS-CLIENT-PRINCIPAL-IDP': 'aad',
  };
}

/** Whom each approval link of the seeded requests was sent to: by default they open and post it, signed in. */
const approverOfLink = new Map<string, Approver>();

/** A stored request awaiting approval with one link per approver, and its running instance. */
async function seedPendingRequest(overrides: Partial<EmailChangeRequest> = {}, submittedAt = now) {
  const id = randomUUID();
  const deadline = new Date(now.getTime() + 7 * 86_400_000).toISOString();
  const emailChange: EmailChangeRequest = {
    id,
    status: 'AwaitingApproval',
    currentEmail: 'gus@fabrikam.com',
    newEmail: 'gus@northwind.com',
    reason: 'MovedCompany',
    source: { ip: '203.0.113.1', userAgent: 'Mozilla/5.0' },
    submittedAt: submittedAt.toISOString(),
    updatedAt: submittedAt.toISOString(),
    guestId: GUEST.id,
    guestDisplayName: 'Gus <Guest>',
    approvers: [APPROVER_A, APPROVER_B],
    deadline,
    ...overrides,
  };
  await store.createRequest(emailChange, { requestId: id, id: 'received', at: emailChange.submittedAt, type: 'Received', actor: 'requester' });
  const links: Record<'a' | 'b', string> = { a: '', b: '' };
  for (const [key, approver] of [['a', emailChange.approvers[0] ?? APPROVER_A], ['b', emailChange.approvers[1] ?? APPROVER_B]] as const) {
    const { token, tokenHash } = createLinkToken(id);
    await store.saveApprovalToken({ requestId: id, tokenHash, approverId: approver.id, approverMail: approver.mail, expiresAt: deadline });
    links[key] = token;
    approverOfLink.set(token, approver);
  }
  client.runtimeStatus.set(id, 'Running');
  return { id, emailChange, links };
}

/** The link's own approver, signed in, unless other headers are given. */
const asApproverOf = (token: string): Record<string, string> => {
  const approver = approverOfLink.get(token);
  return approver ? signedInAs(approver) : {};
};

const openApproval = (token: string, headers = asApproverOf(token)) =>
  showApproval(request('GET', `/api/approvals/${token}`, { headers, params: { token } }), context(), deps, client);

/** Opens the page like a browser and posts its form back, with the page's own csrf value. */
async function decide(token: string, decision: string, extra: Record<string, string> = {}, headers = asApproverOf(token)) {
  const page = await (await openApproval(token, headers)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? 'missing';
  return post(token, { decision, csrf, ...extra }, headers);
}

const post = (token: string, fields: Record<string, string>, headers = asApproverOf(token)) => {
  const init = form(fields, headers);
  return decideApproval(request('POST', `/api/approvals/${token}`, { ...init, params: { token } }), context(), deps, client);
};

function adminToken(claims: Record<string, unknown> = { roles: ['GuestReset.Admin'], preferred_username: 'admin@contoso.com', oid: 'oid-admin' }) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('10m').sign(signingKey);
}

async function asAdmin(extraHeaders: Record<string, string> = {}, claims?: Record<string, unknown>) {
  return { authorization: `Bearer ${await adminToken(claims)}`, ...extraHeaders };
}

// ---------------------------------------------------------------------------------------------

describe('GET /api/requests/new', () => {
  test('serves the form, posting to the collection, with the page security headers', async () => {
    const response = showRequestForm(request('GET', '/api/requests/new'));
    expect(response.status).toBe(200);
    expectSecurityHeaders(response, 'page');
    const html = await response.text();
    expect(html).toContain('<form method="post" action="/api/requests"');
    // The one script is the counter, allowed by its hash and nothing else.
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain(`<script>${CHARACTER_COUNT_SCRIPT}</script>`);
    expect(PAGE_CSP).toContain(`script-src '${CHARACTER_COUNT_SCRIPT_SHA256}';`);
  });
});

describe('GET /api/requests/received', () => {
  test('the same page for everyone, telling to look in the new address\'s inbox', async () => {
    const response = showRequestReceived({ REQUIRE_NEW_EMAIL_CONFIRMATION: true });
    expect(response.status).toBe(200);
    expectSecurityHeaders(response, 'page');
    expect(await response.text()).toContain('Check the inbox of your new email address');
  });
});

describe('POST /api/requests', () => {
  test('JSON: 202 {requestId, status} and the orchestration starts with the request id as instance id', async () => {
    const response = await submit(json(submission({ currentEmail: ' Gus@Fabrikam.com ', newEmail: 'gus@northwind.com' })), '198.51.100.7:4711');
    expect(response.status).toBe(202);
    expectSecurityHeaders(response, 'api');
    const body = (await response.json()) as { requestId: string; status: string };
    expect(body.status).toBe('Received');
    expect(body.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(client.started).toEqual([
      {
        name: ORCHESTRATOR_NAME,
        instanceId: body.requestId,
        input: {
          requestId: body.requestId,
          submission: { currentEmail: 'gus@fabrikam.com', newEmail: 'gus@northwind.com', reason: 'MovedCompany' },
          source: { ip: '198.51.100.7' },
          submittedAt: now.toISOString(),
          workflowVersion: WORKFLOW_VERSION,
        },
      },
    ]);
  });

  test('form post: 303 to the request-received page, with nothing personal in its URL', async () => {
    const response = await submit(form(submission(), { 'user-agent': 'TestBrowser/1.0' }));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/api/requests/received');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toBe('');
    expect(client.started).toHaveLength(1);
    expect((client.started[0]!.input as { source: unknown }).source).toEqual({ ip: '203.0.113.10', userAgent: 'TestBrowser/1.0' });
  });

  test('a form post that asks for JSON gets JSON', async () => {
    const response = await submit(form(submission(), { accept: 'application/json' }));
    expect(response.status).toBe(202);
    expect(((await response.json()) as { status: string }).status).toBe('Received');
  });

  test('JSON: 400 ValidationFailed with one message per field, nothing started', async () => {
    const response = await submit(json({ currentEmail: 'not-an-email', newEmail: 'a+b@northwind.com', reason: 'Other' }));
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe('ValidationFailed');
    expect(Object.keys(error.details ?? {}).sort()).toEqual(['currentEmail', 'newEmail', 'reasonDetail']);
    expect(client.started).toHaveLength(0);
  });

  test('form post: 400 re-renders the form with the messages and the escaped values kept', async () => {
    const response = await submit(form({ currentEmail: 'x"><b>@fabrikam.com', newEmail: 'same@x.com', reason: 'Other', reasonDetail: '<i>moved</i>' }));
    expect(response.status).toBe(400);
    expectSecurityHeaders(response, 'page');
    const html = await response.text();
    expect(html).toContain('<form method="post" action="/api/requests"');
    expect(html).toContain('&lt;i&gt;moved&lt;/i&gt;');
    expect(html).not.toContain('<b>');
    expect(html).toContain('value="same@x.com"');
    expect(html).toContain('There is a problem');
    expect(html).toContain('<title>Error: ');
    expect(client.started).toHaveLength(0);
  });

  test('invalid JSON: 400 InvalidJson', async () => {
    const response = await submit({ headers: { 'content-type': 'application/json' }, body: '{"currentEmail":' });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('InvalidJson');
  });

  test('other content types: 415', async () => {
    const response = await submit({ headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(response.status).toBe(415);
    expect((await errorOf(response)).code).toBe('UnsupportedMediaType');
  });

  test('over 16 KiB: 413, for JSON and for the form', async () => {
    const big = submission({ reasonDetail: 'x'.repeat(17 * 1024) });
    const jsonResponse = await submit(json(big));
    expect(jsonResponse.status).toBe(413);
    expect((await errorOf(jsonResponse)).code).toBe('PayloadTooLarge');
    const formResponse = await submit(form(big));
    expect(formResponse.status).toBe(413);
    expectSecurityHeaders(formResponse, 'page');
    expect(client.started).toHaveLength(0);
  });

  test('the answer is the same whether or not a guest with that email exists', async () => {
    // The starter never asks the directory; compare a tenant guest with an unknown address.
    const known = await submit(json({ currentEmail: 'known.guest@fabrikam.com', newEmail: 'k@northwind.com', reason: 'MovedCompany' }));
    const unknown = await submit(json({ currentEmail: 'nobody@nowhere.example', newEmail: 'n@northwind.com', reason: 'MovedCompany' }));
    const [a, b] = [(await known.json()) as Record<string, unknown>, (await unknown.json()) as Record<string, unknown>];
    expect({ ...a, requestId: 'x' }).toEqual({ ...b, requestId: 'x' });
    expect(known.status).toBe(unknown.status);
    expect([...known.headers.entries()]).toEqual([...unknown.headers.entries()]);

    const knownPage = await submit(form({ currentEmail: 'known.guest@fabrikam.com', newEmail: 'k2@northwind.com', reason: 'MovedCompany' }), '192.0.2.50');
    const unknownPage = await submit(form({ currentEmail: 'nobody@nowhere.example', newEmail: 'n2@northwind.com', reason: 'MovedCompany' }), '192.0.2.50');
    expect(knownPage.status).toBe(303);
    expect([...knownPage.headers.entries()]).toEqual([...unknownPage.headers.entries()]);
  });

  test('429 with Retry-After once a source is over its limit; other sources go on', async () => {
    for (let i = 0; i < 3; i++) expect((await submit(json(submission()), '192.0.2.1')).status).toBe(202);
    const refused = await submit(json(submission()), '192.0.2.1');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await errorOf(refused)).code).toBe('RateLimited');
    expect((await submit(json(submission()), '192.0.2.2')).status).toBe(202);
    expect(client.started).toHaveLength(4);
  });

  test('the addresses of one IPv6 /64 share a source budget (each stored as it is); the next /64 has its own', async () => {
    const addresses = ['2001:db8:77:1::1', '[2001:db8:77:1:ffff::2]:443', '2001:0db8:0077:0001:0:0:0:3'];
    for (const address of addresses) expect((await submit(json(submission()), address)).status).toBe(202);
    expect((await submit(json(submission()), '2001:db8:77:1:abcd::4')).status).toBe(429);
    expect((await submit(json(submission()), '2001:db8:77:2::1')).status).toBe(202);
    expect(client.started.map((s) => (s.input as { source: { ip: string } }).source.ip)).toEqual(['2001:db8:77:1::1', '2001:db8:77:1:ffff::2', '2001:0db8:0077:0001:0:0:0:3', '2001:db8:77:2::1']);
  });

  test('429 once a new email is over its limit, from any source', async () => {
    expect((await submit(json(submission({ newEmail: 'target@northwind.com' })), '192.0.2.11')).status).toBe(202);
    expect((await submit(json(submission({ newEmail: 'target@northwind.com' })), '192.0.2.12')).status).toBe(202);
    const refused = await submit(form(submission({ newEmail: 'TARGET@northwind.com', reasonDetail: 'Kept for later' })), '192.0.2.13');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expectSecurityHeaders(refused, 'page');
    // The form again, as typed, with when to try again.
    const html = await refused.text();
    expect(html).toContain('<title>Error: ');
    expect(html).toContain('value="TARGET@northwind.com"');
    expect(html).toContain('>Kept for later</textarea>');
    expect(html).toMatch(/Too many requests\. Try again in \d+ (seconds|minutes), after \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
    expect(client.started).toHaveLength(2);
  });

  test('429 once a current email is over its limit, from any source', async () => {
    expect((await submit(json(submission({ currentEmail: 'victim@fabrikam.com' })), '192.0.2.21')).status).toBe(202);
    expect((await submit(json(submission({ currentEmail: 'victim@fabrikam.com' })), '192.0.2.22')).status).toBe(202);
    const refused = await submit(json(submission({ currentEmail: 'victim@fabrikam.com' })), '192.0.2.23');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('GET /api/approvals/{token}', () => {
  test('shows the details with a form carrying the anti-forgery value, and changes nothing', async () => {
    const { id, links } = await seedPendingRequest();
    const response = await openApproval(links.a);
    expect(response.status).toBe(200);
    expectSecurityHeaders(response, 'page');
    const html = await response.text();
    expect(html).toContain('gus@northwind.com');
    expect(html).toContain('Gus &lt;Guest&gt;');
    expect(html).toContain('Alice Approver');
    expect(html).toContain(`action="/api/approvals/${links.a}"`);
    expect(html).toMatch(/name="csrf" value="[A-Za-z0-9_-]{43}"/);

    await openApproval(links.a);
    expect(client.raised).toHaveLength(0);
    const { tokenHash } = parseLinkToken(links.a)!;
    expect((await store.openApprovalToken(id, tokenHash))!.token.usedAt).toBeUndefined();
    expect((await store.listEvents(id)).map((e) => e.type)).toEqual(['Received']);
    expect((await decide(links.a, 'approve')).status).toBe(200);
  });

  test.each([
    ['a garbage token', () => 'not-a-token'],
    ['a tampered secret', (token: string) => `${token.slice(0, -2)}${token.endsWith('AA') ? 'BA' : 'AA'}`],
    ['an unknown request id', (token: string) => `${randomUUID()}${token.slice(36)}`],
  ])('404 page for %s', async (_name, mangle) => {
    const { links } = await seedPendingRequest();
    const response = await openApproval(mangle(links.a));
    expect(response.status).toBe(404);
    expectSecurityHeaders(response, 'page');
  });

  test('410 page when the link expired', async () => {
    const { links } = await seedPendingRequest();
    now = new Date(now.getTime() + 8 * 86_400_000);
    const response = await openApproval(links.a);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('expired');
  });

  test('410 page saying the request was cancelled', async () => {
    const { links } = await seedPendingRequest({ status: 'Cancelled' });
    const response = await openApproval(links.a);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('cancelled by an administrator');
  });

  test('410 page saying the requester cancelled, or the owner stopped it', async () => {
    const byRequester = await seedPendingRequest({ status: 'Cancelled', cancelledBy: 'requester' });
    expect(await (await openApproval(byRequester.links.a)).text()).toContain('cancelled by the requester');
    const byOwner = await seedPendingRequest({ status: 'Cancelled', cancelledBy: 'owner', reportedByOwner: true });
    expect(await (await openApproval(byOwner.links.a)).text()).toContain('stopped by the owner of the current address');
  });

  test('410 page saying who decided and when', async () => {
    const { links } = await seedPendingRequest({
      status: 'Completed',
      decision: { outcome: 'approved', by: 'bob@contoso.com', at: '2030-01-02T03:04:00.000Z' },
    });
    const response = await openApproval(links.a);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('already decided: approved by bob@contoso.com at 2030-01-02 03:04 UTC');
  });

  test('410 page saying "by you" to the approver who decided, naming the guest', async () => {
    const { links } = await seedPendingRequest({ status: 'Completed', decision: { outcome: 'approved', by: APPROVER_A.mail, at: '2030-01-02T03:04:00.000Z' } });
    const text = await (await openApproval(links.a)).text();
    expect(text).toContain('The sign-in email change of Gus &lt;Guest&gt; was already decided: approved by you at 2030-01-02 03:04 UTC');
  });
});

describe('POST /api/approvals/{token}', () => {
  test('approve: 200, the decision is raised on the instance and recorded with the approver', async () => {
    const { id, links } = await seedPendingRequest();
    // Invisible characters (bidi, zero-width, BOM) are stripped from the comment like from every free-text field.
    const response = await decide(links.a, 'approve', { comment: '  \uFEFFKnown\u200B move,\u202E confirmed\u2066 by\u200F phone.\u2060  ' });
    expect(response.status).toBe(200);
    expectSecurityHeaders(response, 'page');
    const html = await response.text();
    expect(html).toContain('Change approved');
    expect(html).toContain('Known move, confirmed by phone.');
    expect(client.raised).toEqual([
      {
        instanceId: id,
        eventName: EVENTS.approvalDecision,
        data: { outcome: 'approved', approverId: APPROVER_A.id, approverMail: 'alice@contoso.com', comment: 'Known move, confirmed by phone.', at: now.toISOString() },
      },
    ]);
    const decisionEvent = (await store.listEvents(id)).find((e) => e.type === 'DecisionReceived');
    expect(decisionEvent).toMatchObject({ actor: 'alice@contoso.com', detail: { outcome: 'approved', comment: 'Known move, confirmed by phone.' } });
  });

  test('reject: 200 and a rejected decision', async () => {
    const { links } = await seedPendingRequest();
    const response = await decide(links.b, 'reject');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Change rejected');
    expect(client.raised[0]!.data).toMatchObject({ outcome: 'rejected', approverMail: 'bob@contoso.com' });
    expect(client.raised[0]!.data).not.toHaveProperty('comment');
  });

  test('403 when the anti-forgery value is missing, wrong, or from another link', async () => {
    const { links } = await seedPendingRequest();
    const otherPage = await (await openApproval(links.b)).text();
    const otherCsrf = /name="csrf" value="([^"]+)"/.exec(otherPage)![1]!;
    const attempts: Record<string, string>[] = [{ decision: 'approve' }, { decision: 'approve', csrf: 'forged' }, { decision: 'approve', csrf: otherCsrf }];
    for (const fields of attempts) {
      const response = await post(links.a, fields);
      expect(response.status).toBe(403);
      expectSecurityHeaders(response, 'page');
    }
    expect(client.raised).toHaveLength(0);
    expect((await decide(links.a, 'approve')).status).toBe(200);
  });

  test('400 page for a decision other than approve or reject, or an overlong comment', async () => {
    const { links } = await seedPendingRequest();
    expect((await decide(links.a, 'maybe')).status).toBe(400);
    expect((await decide(links.a, 'approve', { comment: 'x'.repeat(1001) })).status).toBe(400);
    expect(client.raised).toHaveLength(0);
    expect((await decide(links.a, 'approve', { comment: 'x'.repeat(1000) })).status).toBe(200);
  });

  test('404 for an unknown token', async () => {
    const { links } = await seedPendingRequest();
    expect((await post(`${randomUUID()}${links.a.slice(36)}`, { decision: 'approve', csrf: 'x' })).status).toBe(404);
  });

  test('the same link twice: 200 then 409', async () => {
    const { id, links } = await seedPendingRequest();
    const page = await (await openApproval(links.a)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await post(links.a, { decision: 'approve', csrf })).status).toBe(200);
    const again = await post(links.a, { decision: 'reject', csrf });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already decided');
    // The second post only raises the first decision again (the instance still waits here).
    expect(client.raised.map((r) => r.data)).toMatchObject([{ outcome: 'approved' }, { outcome: 'approved' }]);
    const ignored = (await store.listEvents(id)).filter((e) => e.type === 'DecisionIgnored');
    expect(ignored).toMatchObject([{ actor: 'alice@contoso.com', detail: { outcome: 'rejected' } }]);
  });

  test('first decision wins across approvers posting at the same moment', async () => {
    // Several rounds: a race that is lost only sometimes must still fail this test.
    for (let round = 0; round < 8; round++) {
      const { id, links } = await seedPendingRequest();
      const csrfOf = async (token: string) => /name="csrf" value="([^"]+)"/.exec(await (await openApproval(token)).text())![1]!;
      const [csrfA, csrfB] = [await csrfOf(links.a), await csrfOf(links.b)];
      const responses = await Promise.all([post(links.a, { decision: 'approve', csrf: csrfA }), post(links.b, { decision: 'reject', csrf: csrfB })]);
      expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
      // The loser may raise the winner's decision again, never its own.
      const raised = client.raised.filter((r) => r.instanceId === id);
      expect(new Set(raised.map((r) => JSON.stringify(r.data))).size).toBe(1);
      const events = await store.listEvents(id);
      const received = events.filter((e) => e.type === 'DecisionReceived');
      expect(received).toHaveLength(1);
      expect(received[0]!.detail?.outcome).toBe((raised[0]!.data as { outcome: string }).outcome);
      expect(events.filter((e) => e.type === 'DecisionIgnored')).toHaveLength(1);
    }
  });

  test('first decision wins across approvers: a later approver gets 409, and 410 when opening the link again', async () => {
    const { links } = await seedPendingRequest();
    // The second approver opened the page before the first decision and posts afterwards.
    const page = await (await openApproval(links.b)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await decide(links.a, 'approve')).status).toBe(200);
    const response = await post(links.b, { decision: 'reject', csrf });
    expect(response.status).toBe(409);
    expect(await response.text()).toContain('already decided: approved by alice@contoso.com');
    const reopened = await openApproval(links.b);
    expect(reopened.status).toBe(410);
    expect(await reopened.text()).toContain('already decided: approved by alice@contoso.com');
    // Only Alice's decision is ever raised, again each time a link finds it not yet applied.
    expect(client.raised.map((r) => r.data)).toMatchObject([1, 2, 3].map(() => ({ outcome: 'approved', approverId: APPROVER_A.id })));
  });

  test('410 when the instance stops waiting between the check and the raise (its deadline fired)', async () => {
    const { id, links } = await seedPendingRequest();
    client.raiseEvent = async (instanceId) => {
      client.runtimeStatus.set(instanceId, 'Completed');
      throw new Error(`DurableClient error: Durable Functions extension replied with HTTP 410 response. ${instanceId}`);
    };
    const response = await decide(links.a, 'approve');
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('no longer waiting for a decision');
    const undelivered = (await store.listEvents(id)).filter((e) => e.type === 'DecisionUndelivered');
    expect(undelivered).toMatchObject([{ actor: 'alice@contoso.com', detail: { outcome: 'approved' } }]);
  });

  test('a raise that fails once is tried again within the request: 200, delivered, nothing undelivered', async () => {
    const { id, links } = await seedPendingRequest();
    const raise = client.raiseEvent;
    let failures = 1;
    client.raiseEvent = async (...args) => {
      if (failures-- > 0) throw new Error('DurableClient error: Durable Functions extension replied with HTTP 503 response.');
      return raise(...args);
    };
    const response = await decide(links.a, 'approve');
    expect(response.status).toBe(200);
    expect(client.raised).toMatchObject([{ instanceId: id, eventName: EVENTS.approvalDecision, data: { outcome: 'approved', approverId: APPROVER_A.id } }]);
    expect((await store.listEvents(id)).some((e) => e.type === 'DecisionUndelivered')).toBe(false);
  });

  test('a raise that keeps failing while the instance waits: an error page saying so, audited, and the link raises the decision again', async () => {
    const { id, links } = await seedPendingRequest();
    const raise = client.raiseEvent;
    client.raiseEvent = async () => {
      throw new Error('DurableClient error: Durable Functions extension replied with HTTP 503 response.');
    };
    const response = await decide(links.a, 'approve', { comment: 'Known move.' });
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('Your decision was recorded but could not be passed on yet');
    expect((await store.listEvents(id)).filter((e) => e.type === 'DecisionUndelivered')).toMatchObject([{ actor: 'alice@contoso.com', detail: { outcome: 'approved' } }]);
    expect(client.raised).toHaveLength(0);

    // The raise works again: opening the link (by anyone) or posting on it delivers the accepted decision, as it was accepted.
    client.raiseEvent = raise;
    const reopened = await openApproval(links.a, {});
    expect(reopened.status).toBe(410);
    expect(await reopened.text()).toContain('already decided: approved by alice@contoso.com');
    const accepted = { instanceId: id, eventName: EVENTS.approvalDecision, data: { outcome: 'approved', approverId: APPROVER_A.id, approverMail: 'alice@contoso.com', comment: 'Known move.', at: now.toISOString() } };
    expect(client.raised).toEqual([accepted]);
    const page = await (await openApproval(links.b)).text();
    expect(page).toContain('already decided');
    const again = await post(links.a, { decision: 'reject', csrf: 'stale' });
    expect(again.status).toBe(403);
    expect(client.raised).toEqual([accepted, accepted, accepted]);

    // Once the orchestrator applied it, or the instance stopped, nothing is raised any more.
    client.runtimeStatus.set(id, 'Completed');
    expect((await openApproval(links.a)).status).toBe(410);
    client.runtimeStatus.set(id, 'Running');
    await store.updateRequest(id, { status: 'Approved' }, { requestId: id, id: 'approved', at: now.toISOString(), type: 'Approved', actor: 'system' });
    expect((await openApproval(links.a)).status).toBe(410);
    expect(client.raised).toHaveLength(3);
  });

  test('410 once the deadline claimed the outcome, before the orchestrator recorded Expired; the attempt is audited', async () => {
    const { id, links } = await seedPendingRequest();
    const page = await (await openApproval(links.a)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    await claimOutcome(store, { requestId: id, at: now.toISOString(), type: DEADLINE_PASSED, actor: 'system' });
    expect((await openApproval(links.b)).status).toBe(410);
    const response = await post(links.a, { decision: 'approve', csrf });
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('expired');
    expect(client.raised).toHaveLength(0);
    const ignored = (await store.listEvents(id)).filter((e) => e.type === 'DecisionIgnored');
    expect(ignored).toMatchObject([{ actor: 'alice@contoso.com', detail: { outcome: 'approved' } }]);
    expect(String(ignored[0]!.detail?.reason)).toContain('expired');
  });

  test('410 when the link expired', async () => {
    const { links } = await seedPendingRequest();
    const page = await (await openApproval(links.a)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    now = new Date(now.getTime() + 8 * 86_400_000);
    expect((await post(links.a, { decision: 'approve', csrf })).status).toBe(410);
    expect(client.raised).toHaveLength(0);
  });

  test('410 when the instance is no longer waiting or does not exist', async () => {
    const finished = await seedPendingRequest();
    const page = await (await openApproval(finished.links.a)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    client.runtimeStatus.set(finished.id, 'Completed');
    expect((await post(finished.links.a, { decision: 'approve', csrf })).status).toBe(410);

    const missing = await seedPendingRequest();
    const missingPage = await (await openApproval(missing.links.a)).text();
    client.runtimeStatus.delete(missing.id);
    const missingCsrf = /name="csrf" value="([^"]+)"/.exec(missingPage)![1]!;
    expect((await post(missing.links.a, { decision: 'approve', csrf: missingCsrf })).status).toBe(410);
    expect(client.raised).toHaveLength(0);
  });
});

describe('approver sign-in (APPROVER_SIGN_IN=required)', () => {
  const signInLink = (token: string) => `href="/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(`/api/approvals/${token}`)}"`;

  test('not signed in: the page shows the details and offers sign-in coming back to itself, with no decision form', async () => {
    const { id, links } = await seedPendingRequest();
    const response = await openApproval(links.a, {});
    expect(response.status).toBe(200);
    expectSecurityHeaders(response, 'page');
    const html = await response.text();
    expect(html).toContain('gus@northwind.com');
    expect(html).toContain(signInLink(links.a));
    expect(html).not.toContain('name="csrf"');
    expect(html).not.toContain('name="decision"');
    expect((await store.listEvents(id)).map((e) => e.type)).toEqual(['Received']);
  });

  test('not signed in: a decision is refused with 401 and a sign-in link; nothing is used or raised', async () => {
    const { id, links } = await seedPendingRequest();
    const page = await (await openApproval(links.a)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const response = await post(links.a, { decision: 'approve', csrf }, {});
    expect(response.status).toBe(401);
    expectSecurityHeaders(response, 'page');
    expect(await response.text()).toContain(signInLink(links.a));
    expect(client.raised).toHaveLength(0);
    expect((await store.openApprovalToken(id, parseLinkToken(links.a)!.tokenHash))!.token.usedAt).toBeUndefined();
    expect((await decide(links.a, 'approve')).status).toBe(200);
  });

  test('signed in as another approver: 403 naming the expected approver masked, audited; the right approver still decides', async () => {
    const { id, links } = await seedPendingRequest();
    const asBob = signedInAs(APPROVER_B);
    const opened = await openApproval(links.a, asBob);
    expect(opened.status).toBe(403);
    const page = await opened.text();
    expect(page).toContain('You are signed in as bob@contoso.com');
    expect(page).toContain('a***@contoso.com');
    // No form: someone else never holds an anti-forgery value for this link.
    expect(page).not.toMatch(/<form|name="csrf"|name="decision"/);
    expect(page).toContain(`href="/.auth/logout?post_logout_redirect_uri=${encodeURIComponent(`/api/approvals/${links.a}`)}"`);
    const response = await decide(links.a, 'approve', {}, asBob);
    expect(response.status).toBe(403);
    expectSecurityHeaders(response, 'page');
    const html = await response.text();
    expect(html).toContain('a***@contoso.com');
    expect(html).not.toContain('alice@contoso.com');
    expect(html).toContain(`href="/.auth/logout?post_logout_redirect_uri=${encodeURIComponent(`/api/approvals/${links.a}`)}"`);
    expect(client.raised).toHaveLength(0);
    const refused = (await store.listEvents(id)).filter((e) => e.type === 'DecisionRefused');
    expect(refused).toMatchObject([{ actor: 'bob@contoso.com', detail: { reason: 'SignedInAsSomeoneElse', signedInId: APPROVER_B.id, approverId: APPROVER_A.id } }]);
    expect((await decide(links.a, 'approve')).status).toBe(200);
  });

  test('principal headers count only with the platform\'s authentication on, from Entra ID of this tenant, consistent', async () => {
    const { links } = await seedPendingRequest();
    const genuine = signedInAs(APPROVER_A);
    const notSignedIn: Record<string, string>[] = [
      { ...genuine, 'X-MS-CLIENT-PRINCIPAL-IDP': 'github' },
      signedInAs(APPROVER_A, 'another-tenant'),
      { ...genuine, 'X-MS-CLIENT-PRINCIPAL-ID': APPROVER_B.id },
      { ...genuine, 'X-MS-CLIENT-PRINCIPAL': 'not base64 json' },
      Object.fromEntries(Object.entries(genuine).filter(([name]) => name !== 'X-MS-CLIENT-PRINCIPAL')),
    ];
    for (const headers of notSignedIn) expect(await (await openApproval(links.a, headers)).text()).toContain(signInLink(links.a));
    // Header names in any case, as the platform's may arrive.
    const lowerCase = Object.fromEntries(Object.entries(genuine).map(([name, value]) => [name.toLowerCase(), value]));
    expect(await (await openApproval(links.a, lowerCase)).text()).toContain('name="csrf"');

    // Without the platform's authentication the same headers are whatever the caller typed.
    const withPlatformAuthentication = deps;
    deps = { ...deps, platformAuthenticationOn: false };
    try {
      expect(await (await openApproval(links.a, genuine)).text()).toContain(signInLink(links.a));
      const csrf = createAntiForgeryValue(FORM_SECRET, parseLinkToken(links.a)!.tokenHash, APPROVER_A.id);
      expect((await post(links.a, { decision: 'approve', csrf }, genuine)).status).toBe(401);
      expect(client.raised).toHaveLength(0);
    } finally {
      deps = withPlatformAuthentication;
    }
  });

  test('the anti-forgery value is bound to the viewer: one minted for another user, or for sign-in off, is refused for the approver', async () => {
    const { id, links } = await seedPendingRequest();
    const { tokenHash } = parseLinkToken(links.a)!;
    // What a form shown to Bob signed in (or to anyone with sign-in off) would have carried.
    for (const viewer of [APPROVER_B.id, NO_SIGN_IN_VIEWER]) {
      const response = await post(links.a, { decision: 'approve', csrf: createAntiForgeryValue(FORM_SECRET, tokenHash, viewer) });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('This form could not be verified');
    }
    expect(client.raised).toHaveLength(0);
    expect((await store.openApprovalToken(id, tokenHash))!.token.usedAt).toBeUndefined();
    // The approver's own page carries the value bound to them.
    const page = await (await openApproval(links.a)).text();
    expect(page).toContain(`name="csrf" value="${createAntiForgeryValue(FORM_SECRET, tokenHash, APPROVER_A.id)}"`);
    expect((await decide(links.a, 'approve')).status).toBe(200);
  });

  test('APPROVER_SIGN_IN=off: the link alone decides, as before', async () => {
    const signedIn = deps;
    deps = { ...deps, settings: { ...deps.settings, APPROVER_SIGN_IN: 'off' } };
    try {
      const { id, links } = await seedPendingRequest();
      expect(await (await openApproval(links.a, {})).text()).toContain('name="csrf"');
      expect((await decide(links.a, 'approve', {}, {})).status).toBe(200);
      expect(client.raised).toMatchObject([{ instanceId: id, data: { outcome: 'approved', approverId: APPROVER_A.id } }]);
    } finally {
      deps = signedIn;
    }
  });
});

describe('decisions posted from another site', () => {
  const attackerPage = { origin: 'https://attacker.example', 'sec-fetch-site': 'cross-site' };
  const crossSite: Record<string, string>[] = [
    attackerPage,
    { origin: 'https://attacker.example' },
    { 'sec-fetch-site': 'cross-site' },
    // An attacker's page with its own no-referrer policy makes the browser send Origin: null.
    { origin: 'null', 'sec-fetch-site': 'cross-site' },
    { origin: 'null' },
    { origin: 'http://localhost:7071.attacker.example', 'sec-fetch-site': 'same-site' },
  ];

  test('refused with a 403 page before anything is read or audited, also with the approver signed in and a genuine form value', async () => {
    const { id, links } = await seedPendingRequest();
    const page = await (await openApproval(links.a)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    for (const headers of crossSite) {
      const response = await post(links.a, { decision: 'approve', csrf }, { ...asApproverOf(links.a), ...headers });
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expectSecurityHeaders(response, 'page');
      expect(await response.text()).toContain('not sent from the approval page');
    }
    expect(client.raised).toHaveLength(0);
    expect((await store.openApprovalToken(id, parseLinkToken(links.a)!.tokenHash))!.token.usedAt).toBeUndefined();
    expect((await store.listEvents(id)).map((e) => e.type)).toEqual(['Received']);
  });

  test('writes no DecisionRefused for someone else signed in, nor DecisionIgnored once decided', async () => {
    const { id, links } = await seedPendingRequest();
    const asBob = { ...signedInAs(APPROVER_B), ...attackerPage };
    expect((await post(links.a, { decision: 'approve', csrf: 'x' }, asBob)).status).toBe(403);
    const page = await (await openApproval(links.a)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await decide(links.b, 'approve')).status).toBe(200);
    const late = await post(links.a, { decision: 'reject', csrf }, { ...asApproverOf(links.a), ...attackerPage });
    expect(late.status).toBe(403);
    expect((await store.listEvents(id)).map((e) => e.type).filter((type) => /^Decision(Refused|Ignored)$/.test(type))).toEqual([]);
  });

  test("the approver's own post from the page is accepted: the browser's same-origin post, the app's public origin, or no browser headers", async () => {
    const publicOrigin = deps;
    deps = { ...deps, settings: { ...deps.settings, PUBLIC_BASE_URL: 'https://approvals.contoso.com' } };
    try {
      const ownPage: Record<string, string>[] = [
        // What browsers send from our page, whose Referrer-Policy is no-referrer.
        { origin: 'null', 'sec-fetch-site': 'same-origin' },
        { origin: 'https://approvals.contoso.com', 'sec-fetch-site': 'same-origin' },
        { origin: 'http://localhost:7071', 'sec-fetch-site': 'same-origin' },
        {},
      ];
      for (const headers of ownPage) {
        const { links } = await seedPendingRequest();
        const response = await decide(links.a, 'approve', {}, { ...asApproverOf(links.a), ...headers });
        expect(response.status, JSON.stringify(headers)).toBe(200);
      }
      expect(client.raised).toHaveLength(ownPage.length);
    } finally {
      deps = publicOrigin;
    }
  });
});

describe('the approver is checked again in the directory when deciding', () => {
  async function expectRefused(id: string, token: string, reason: string) {
    const response = await decide(token, 'approve');
    expect(response.status).toBe(403);
    expectSecurityHeaders(response, 'page');
    expect(await response.text()).toContain('the request still waits for its other approvers');
    const events = await store.listEvents(id);
    expect(events.filter((e) => e.type === 'ApproverNoLongerEligible')).toMatchObject([{ detail: { reason, outcome: 'approved' } }]);
    expect(events.some((e) => e.type === 'DecisionReceived')).toBe(false);
    expect((await store.openApprovalToken(id, parseLinkToken(token)!.tokenHash))!.token.usedAt).toBeUndefined();
    expect(client.raised).toHaveLength(0);
  }

  test('disabled after the link was sent: 403, audited, and the other approver still approves', async () => {
    const team = await approverTeam();
    const { id, links } = await seedPendingRequest({ approvers: team.approvers, guestId: team.guest.id, currentEmail: team.guest.mail });
    await patchUser(team.approvers[0].id, { accountEnabled: false });
    await expectRefused(id, links.a, 'AccountDisabled');
    expect((await decide(links.b, 'approve')).status).toBe(200);
    expect(client.raised).toMatchObject([{ instanceId: id, data: { approverId: team.approvers[1].id } }]);
  });

  test('no longer a sponsor, member of a sponsor group, manager or fallback: 403, audited', async () => {
    const team = await approverTeam();
    const formerSponsor = emulator.addUser({ displayName: 'Former Sponsor', mail: `former.${randomUUID().slice(0, 8)}@contoso.com`, userType: 'Member' }) as unknown as Approver;
    const { id, links } = await seedPendingRequest({ approvers: [formerSponsor, team.approvers[1]], guestId: team.guest.id, currentEmail: team.guest.mail });
    await expectRefused(id, links.a, 'NoLongerAnApprover');
    expect((await decide(links.b, 'reject')).status).toBe(200);
  });

  test("an approver an admin replaced, whose link is still live (a resend raced the reassign): 403, audited, though the directory still makes them a sponsor", async () => {
    const team = await approverTeam();
    // Both are the guest's sponsors, but the request now lists only the second: the first was replaced.
    const { id, links } = await seedPendingRequest({ approvers: [team.approvers[1]], guestId: team.guest.id, currentEmail: team.guest.mail });
    const live = createLinkToken(id);
    await store.saveApprovalToken({ requestId: id, tokenHash: live.tokenHash, approverId: team.approvers[0].id, approverMail: team.approvers[0].mail, expiresAt: (await store.getRequest(id))!.deadline! });
    approverOfLink.set(live.token, team.approvers[0]);
    await expectRefused(id, live.token, 'NoLongerAnApprover');
    expect((await decide(links.a, 'approve')).status).toBe(200);
  });

  test('a manager mailed before a sponsor was added still decides: any tier of the current directory counts', async () => {
    const manager = emulator.addUser({ displayName: 'Mona Manager', mail: `mona.${randomUUID().slice(0, 8)}@contoso.com`, userType: 'Member' }) as unknown as Approver;
    const sponsor = emulator.addUser({ displayName: 'Sam Sponsor', mail: `sam.${randomUUID().slice(0, 8)}@contoso.com`, userType: 'Member' }) as unknown as Approver;
    // The directory now has a sponsor, who comes first; the links went to the manager when there was none.
    const guest = emulator.addUser({ displayName: 'Gwen Guest', mail: `gwen.${randomUUID().slice(0, 8)}@fabrikam.com`, userType: 'Guest', sponsors: [sponsor.id], manager: manager.id }) as unknown as { id: string; mail: string };
    const { id, links } = await seedPendingRequest({ approvers: [manager, sponsor], guestId: guest.id, currentEmail: guest.mail });
    const response = await decide(links.a, 'approve');
    expect(response.status).toBe(200);
    expect(client.raised).toMatchObject([{ instanceId: id, data: { approverId: manager.id } }]);
    expect((await store.listEvents(id)).some((e) => e.type === 'ApproverNoLongerEligible')).toBe(false);
  });

  test('not a member of the organisation (a guest): 403, audited', async () => {
    const team = await approverTeam();
    const outsider = emulator.addUser({ displayName: 'Outside Guest', mail: `outside.${randomUUID().slice(0, 8)}@fabrikam.com`, userType: 'Guest' }) as unknown as Approver;
    const { id, links } = await seedPendingRequest({ approvers: [outsider, team.approvers[1]], guestId: team.guest.id, currentEmail: team.guest.mail });
    await expectRefused(id, links.a, 'NotAMember');
  });
});

describe('an admin replacing an approver while that approver decides: one of the two, never both', () => {
  /** The same Graph gateway, each call held until `gate` opens (`reached` tells when one waits): the slow directory read a race needs. */
  const heldUntil = (gate: Promise<void>, reached: () => void = () => undefined): HttpDependencies['graph'] =>
    new Proxy(deps.graph, {
      get: (graph, name) => {
        const member = Reflect.get(graph, name) as unknown;
        if (typeof member !== 'function') return member;
        return async (...args: unknown[]) => {
          reached();
          await gate;
          return (member as (...a: unknown[]) => unknown).apply(graph, args);
        };
      },
    });
  const reassign = async (id: string, body: unknown, using = deps) =>
    reassignApprover(request('POST', `/api/admin/requests/${id}/reassign`, { ...json(body, await asAdmin()), params: { id } }), context(), using, client);
  const newMember = () => {
    const user = emulator.addUser({ displayName: 'Zoe Approver', mail: `zoe.${randomUUID().slice(0, 8)}@contoso.com`, userType: 'Member' }) as unknown as Approver;
    return user.id;
  };

  test('the decision is accepted first: the reassign, which read the request before it, answers 409 and the approvers stay as they were', async () => {
    const team = await approverTeam();
    const { id, links } = await seedPendingRequest({ approvers: team.approvers, guestId: team.guest.id, currentEmail: team.guest.mail });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // The admin's reassign has read the request (no decision yet) and waits on the directory for the new approver.
    let waiting!: () => void;
    const reachedGraph = new Promise<void>((resolve) => (waiting = resolve));
    const reassigned = reassign(id, { approverId: newMember(), replace: team.approvers[0].id, reason: 'Alice is away' }, { ...deps, graph: heldUntil(gate, waiting) });
    await reachedGraph;
    expect((await decide(links.a, 'approve')).status).toBe(200);
    open();
    const answer = await reassigned;
    expect(answer.status).toBe(409);
    expect((await errorOf(answer)).code).toBe('NotAwaitingApproval');
    expect((await store.getRequest(id))!.approvers.map((a) => a.id)).toEqual(team.approvers.map((a) => a.id));
    expect(client.raised).toMatchObject([{ instanceId: id, data: { approverId: team.approvers[0].id, outcome: 'approved' } }]);
  });

  test('a replace refused after it revoked the replaced approver\'s links (another admin added the same person meanwhile): the trail and the answer say the links are gone and to resend', async () => {
    const team = await approverTeam();
    const { id } = await seedPendingRequest({ approvers: team.approvers, guestId: team.guest.id, currentEmail: team.guest.mail });
    const zoe = newMember();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let waiting!: () => void;
    const reachedGraph = new Promise<void>((resolve) => (waiting = resolve));
    const replacing = reassign(id, { approverId: zoe, replace: team.approvers[0].id, reason: 'Alice is away' }, { ...deps, graph: heldUntil(gate, waiting) });
    await reachedGraph;
    expect((await reassign(id, { approverId: zoe, reason: 'One more pair of eyes' })).status).toBe(202);
    open();
    const answer = await replacing;
    expect(answer.status).toBe(400);
    expect((await errorOf(answer)).message).toContain(`${team.approvers[0].mail}'s links were revoked before this was found: resend`);
    expect((await store.getRequest(id))!.approvers.map((a) => a.id)).toEqual([...team.approvers.map((a) => a.id), zoe]);
    expect((await store.listEvents(id)).filter((e) => e.type === 'ApprovalLinksRevoked')).toMatchObject([
      { detail: { approver: { id: team.approvers[0].id }, revokedLinks: 1, because: 'ReassignNotStored', reason: 'Alice is away' } },
    ]);
  });

  test('the reassign lands first: the replaced approver, whose checks passed on the old list, is told the request went to someone else (410) and nothing is raised', async () => {
    const team = await approverTeam();
    const { id, links } = await seedPendingRequest({ approvers: team.approvers, guestId: team.guest.id, currentEmail: team.guest.mail });
    const page = await (await openApproval(links.a)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // Alice's post has read the request (she is listed) and waits on the directory check.
    const init = form({ decision: 'approve', csrf }, asApproverOf(links.a));
    let waiting!: () => void;
    const reachedGraph = new Promise<void>((resolve) => (waiting = resolve));
    const decided = decideApproval(request('POST', `/api/approvals/${links.a}`, { ...init, params: { token: links.a } }), context(), { ...deps, graph: heldUntil(gate, waiting) }, client);
    await reachedGraph;
    const zoe = newMember();
    expect((await reassign(id, { approverId: zoe, replace: team.approvers[0].id, reason: 'Alice is away' })).status).toBe(202);
    open();
    const answer = await decided;
    expect(answer.status).toBe(410);
    expect(await answer.text()).toContain('handed this request to another approver');
    expect(client.raised).toHaveLength(0);
    expect((await store.getRequest(id))!.approvers.map((a) => a.id)).toEqual([team.approvers[1].id, zoe]);
    expect((await store.listEvents(id)).some((e) => e.type === 'DecisionReceived')).toBe(false);
  });
});

describe('admin API', () => {
  const list = async (query: string, headers?: Record<string, string>) =>
    listAdminRequests(request('GET', `/api/admin/requests${query}`, { headers: headers ?? (await asAdmin()) }), context(), deps);
  const get = async (id: string) =>
    getAdminRequest(request('GET', `/api/admin/requests/${id}`, { headers: await asAdmin(), params: { id } }), context(), deps, client);
  const cancel = async (id: string, body: unknown, headers?: Record<string, string>) =>
    cancelAdminRequest(
      request('POST', `/api/admin/requests/${id}/cancel`, { ...json(body, headers ?? (await asAdmin())), params: { id } }),
      context(),
      deps,
      client,
    );

  test('401 with WWW-Authenticate without a token or with a bad one, 403 without the role', async () => {
    const missing = await list('', {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await errorOf(missing)).code).toBe('Unauthorized');

    const bad = await list('', { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');

    const noRole = await list('', await asAdmin({}, { roles: ['Something.Else'] }));
    expect(noRole.status).toBe(403);
    expect((await errorOf(noRole)).code).toBe('Forbidden');

    const cancelNoToken = await cancel(randomUUID(), { reason: 'x' }, {});
    expect(cancelNoToken.status).toBe(401);
  });

  test('lists newest first with filters and continuation tokens until done', async () => {
    const guestEmail = `list-${randomUUID().slice(0, 8)}@fabrikam.com`;
    const base = now.getTime();
    const seeded = [];
    for (let i = 0; i < 3; i++) {
      seeded.push((await seedPendingRequest({ currentEmail: guestEmail }, new Date(base - i * 60_000))).id);
    }
    const first = await list(`?email=${encodeURIComponent(guestEmail.toUpperCase())}&top=2`);
    expect(first.status).toBe(200);
    expectSecurityHeaders(first, 'api');
    const page1 = (await first.json()) as { items: EmailChangeRequest[]; continuationToken: string | null };
    expect(page1.items.map((r) => r.id)).toEqual(seeded.slice(0, 2));
    expect(page1.items[0]).toMatchObject({ status: 'AwaitingApproval', currentEmail: guestEmail, newEmail: 'gus@northwind.com', guestId: GUEST.id, decision: null, result: null });
    expect(page1.continuationToken).toEqual(expect.any(String));

    const second = await list(`?email=${encodeURIComponent(guestEmail)}&top=2&continuationToken=${encodeURIComponent(page1.continuationToken!)}`);
    const page2 = (await second.json()) as { items: EmailChangeRequest[]; continuationToken: string | null };
    expect(page2.items.map((r) => r.id)).toEqual(seeded.slice(2));
    expect(page2.continuationToken).toBeNull();

    const filtered = (await (await list(`?email=${encodeURIComponent(guestEmail)}&status=Completed`)).json()) as { items: unknown[] };
    expect(filtered.items).toEqual([]);
  });

  test('a request just submitted, not yet recorded by its orchestration, is shown as Received', async () => {
    const submitted = await submit(json(submission()));
    expect(submitted.status).toBe(202);
    const { requestId } = (await submitted.json()) as { requestId: string };
    const response = await get(requestId);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { request: EmailChangeRequest; events: unknown[]; orchestration: { runtimeStatus: string } };
    expect(body.request).toMatchObject({ id: requestId, status: 'Received', reason: 'MovedCompany', approvers: [], guestId: null });
    expect(body.events).toEqual([]);
    expect(body.orchestration.runtimeStatus).toBe('Pending');

    // It can be cancelled at once too: the instance reads the buffered event when it gets there.
    const cancelled = await cancel(requestId, { reason: 'Submitted by mistake' });
    expect(cancelled.status).toBe(202);
    expect(client.raised.at(-1)).toMatchObject({ instanceId: requestId, eventName: EVENTS.cancel });
  });

  test('400 InvalidQuery for a bad status, date, top or continuation token', async () => {
    for (const query of ['?status=Bogus', '?from=yesterday', '?top=0', '?top=1001', '?continuationToken=garbage']) {
      const response = await list(query);
      expect(response.status, query).toBe(400);
      expect((await errorOf(response)).code).toBe('InvalidQuery');
    }
  });

  test('one request with its audit trail and orchestration status; 404 when unknown', async () => {
    const { id } = await seedPendingRequest({ status: 'Declined', declineReason: 'HasDirectoryRole' });
    const response = await get(id);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { request: Record<string, unknown>; events: { type: string }[]; orchestration: Record<string, unknown> };
    expect(body.request).toMatchObject({ id, status: 'Declined', declineReason: 'HasDirectoryRole', approvers: [APPROVER_A, APPROVER_B] });
    expect(body.events.map((e) => e.type)).toEqual(['Received']);
    expect(body.orchestration).toEqual({
      instanceId: id,
      runtimeStatus: 'Running',
      customStatus: { status: 'AwaitingApproval' },
      createdTime: '2030-01-01T00:00:00.000Z',
      lastUpdatedTime: '2030-01-01T00:01:00.000Z',
    });

    const unknown = await get(randomUUID());
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('NotFound');
  });

  test('cancel: 202, audited with the admin, and the Cancel event raised', async () => {
    const { id } = await seedPendingRequest();
    const response = await cancel(id, { reason: 'Requested by the guest by phone.' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ requestId: id, status: 'Cancelling' });
    expect(client.raised).toEqual([{ instanceId: id, eventName: EVENTS.cancel, data: { reason: 'Requested by the guest by phone.', by: 'admin@contoso.com', at: now.toISOString(), origin: 'admin', objectId: 'oid-admin', username: 'admin@contoso.com' } }]);
    const audit = (await store.listEvents(id)).find((e) => e.type === 'CancelRequested');
    expect(audit).toMatchObject({ actor: 'admin@contoso.com', detail: { reason: 'Requested by the guest by phone.', objectId: 'oid-admin' } });
  });

  test('cancel: 400 without a reason or with one over 500 characters', async () => {
    const { id } = await seedPendingRequest();
    for (const body of [{}, { reason: '   ' }, { reason: 42 }, { reason: 'x'.repeat(501) }]) {
      const response = await cancel(id, body);
      expect(response.status).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe('ValidationFailed');
      expect(error.details).toHaveProperty('reason');
    }
    expect(client.raised).toHaveLength(0);
  });

  test('cancel: 404 when unknown, 409 when already finished', async () => {
    const unknown = await cancel(randomUUID(), { reason: 'x' });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('NotFound');

    const { id } = await seedPendingRequest({ status: 'Completed' });
    const finished = await cancel(id, { reason: 'too late' });
    expect(finished.status).toBe(409);
    expect((await errorOf(finished)).code).toBe('AlreadyFinished');
    expect(client.raised).toHaveLength(0);
    expect((await store.listEvents(id)).map((e) => e.type).sort()).toEqual(['CancelIgnored', 'Received']);
  });

  test('cancel after an approver decided, not yet applied: 409 AlreadyDecided and no Cancel raised', async () => {
    const { id, links } = await seedPendingRequest();
    expect((await decide(links.a, 'approve')).status).toBe(200);
    const response = await cancel(id, { reason: 'Too late' });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).code).toBe('AlreadyDecided');
    expect(client.raised.map((r) => r.eventName)).toEqual([EVENTS.approvalDecision]);
    const ignored = (await store.listEvents(id)).filter((e) => e.type === 'CancelIgnored');
    expect(ignored).toMatchObject([{ actor: 'admin@contoso.com', detail: { reason: 'Too late', why: expect.stringContaining('already decided') } }]);
  });

  test('a decision after a cancel, not yet applied: the link says cancelled (410) and nothing is raised', async () => {
    const { id, links } = await seedPendingRequest();
    const page = await (await openApproval(links.a)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await cancel(id, { reason: 'Guest asked us to stop' })).status).toBe(202);
    const reopened = await openApproval(links.b);
    expect(reopened.status).toBe(410);
    expect(await reopened.text()).toContain('cancelled by an administrator');
    const late = await post(links.a, { decision: 'approve', csrf });
    expect(late.status).toBe(410);
    expect(await late.text()).toContain('cancelled by an administrator');
    expect(client.raised.map((r) => r.eventName)).toEqual([EVENTS.cancel]);
  });

  test('a cancel and a decision at the same moment: exactly one of them is raised, the other refused', async () => {
    for (let round = 0; round < 8; round++) {
      const { id, links } = await seedPendingRequest();
      const page = await (await openApproval(links.a)).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
      const [cancelled, decided] = await Promise.all([cancel(id, { reason: 'Race' }), post(links.a, { decision: 'approve', csrf })]);
      const raised = client.raised.filter((r) => r.instanceId === id).map((r) => r.eventName);
      if (raised[0] === EVENTS.cancel) expect([cancelled.status, decided.status]).toEqual([202, 410]);
      else expect([cancelled.status, decided.status]).toEqual([409, 200]);
      expect(raised).toHaveLength(1);
    }
  });

  test('cancel once the deadline claimed the outcome: 409 AlreadyFinished', async () => {
    const { id } = await seedPendingRequest();
    await claimOutcome(store, { requestId: id, at: now.toISOString(), type: DEADLINE_PASSED, actor: 'system' });
    const response = await cancel(id, { reason: 'Too late' });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).code).toBe('AlreadyFinished');
    expect(client.raised).toHaveLength(0);
  });

  test('cancel twice: both 202, the second raises the first cancel again', async () => {
    const { id } = await seedPendingRequest();
    expect((await cancel(id, { reason: 'First' })).status).toBe(202);
    expect((await cancel(id, { reason: 'Second' })).status).toBe(202);
    expect(client.raised.map((r) => (r.data as { reason: string }).reason)).toEqual(['First', 'First']);
    const events = await store.listEvents(id);
    expect(events.filter((e) => e.type === 'CancelRequested')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'CancelIgnored')).toMatchObject([{ detail: { reason: 'Second', why: 'Already being cancelled by admin@contoso.com.' } }]);
  });
});

describe('confirmation link', () => {
  test('past the request deadline it cannot confirm, even when the link itself (minted again by a retried first step) expires later', async () => {
    const id = randomUUID();
    const at = new Date(now.getTime() - 2 * 3_600_000).toISOString();
    const deadline = new Date(now.getTime() - 60_000).toISOString();
    const pending: EmailChangeRequest = { id, status: 'AwaitingConfirmation', currentEmail: 'late@fabrikam.example', newEmail: 'late@northwind.example', reason: 'MovedCompany', source: {}, submittedAt: at, updatedAt: at, approvers: [], deadline };
    const { token, tokenHash } = createLinkToken(id);
    await store.createRequest(pending, { requestId: id, id: `${id}:submitted`, at, type: 'Submitted', actor: 'requester' }, [
      { requestId: id, purpose: 'confirmation', tokenHash, expiresAt: new Date(now.getTime() + 3_600_000).toISOString() },
    ]);
    const csrf = createAntiForgeryValue(FORM_SECRET, tokenHash, 'confirmation');
    const response = await confirmRequest(request('POST', `/api/confirmations/${token}`, { ...form({ csrf }, { origin: 'http://localhost:7071' }), params: { token } }), context(), deps, client);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('expired');
    expect(client.raised).toEqual([]);
    expect((await store.listEvents(id)).map((e) => e.type)).toEqual(['Submitted']);
  });
});

describe('"this wasn\'t me" report', () => {
  const ADMINS = 'admins@contoso.com';
  /** The owner opens a report link and presses the button; the admins want a digest of routine alerts. */
  async function report(id: string) {
    const url = await mintLink(store, deps.settings.PUBLIC_BASE_URL, { requestId: id, purpose: 'report', expiresAt: new Date(now.getTime() + 86_400_000).toISOString() });
    const token = url.split('/api/reports/')[1]!;
    const page = await (await showReport(request('GET', `/api/reports/${token}`, { params: { token } }), context(), deps)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const digest = { ...deps, settings: { ...deps.settings, ADMIN_NOTIFICATIONS: 'digest' as const, ADMIN_NOTIFICATION_EMAILS: [ADMINS] } };
    return reportRequest(request('POST', `/api/reports/${token}`, { ...form({ csrf }, { origin: 'http://localhost:7071' }), params: { token } }), context(), digest, client);
  }
  const alertsTo = (owner: string) => emulator.outbox().filter((m) => m.to.includes(ADMINS) && m.subject.includes(owner));

  test('an approval recorded but not yet applied by the instance: nothing is stopped and the admins are alerted at once, told it was approved', async () => {
    const owner = `owner.${randomUUID().slice(0, 8)}@fabrikam.com`;
    const { id, links } = await seedPendingRequest({ currentEmail: owner });
    expect((await decide(links.a, 'approve')).status).toBe(200);
    // The instance has not stored Approved yet: the request still reads AwaitingApproval.
    expect((await store.getRequest(id))?.status).toBe('AwaitingApproval');

    const response = await report(id);
    expect(response.status).toBe(200);
    expect(client.raised.filter((r) => r.eventName === EVENTS.cancel)).toEqual([]);
    const [alert, ...more] = alertsTo(owner);
    expect(more).toEqual([]);
    expect(alert?.subject).toMatch(/^Action needed: /);
    expect(alert?.html).toContain('Approved');
    expect(alert?.html).toContain(APPROVER_A.mail);
    // Marked for the admins' list, the instance still to apply the approval as it stands.
    expect(await store.getRequest(id)).toMatchObject({ status: 'AwaitingApproval', reportedByOwner: true });
  });

  describe('past the approval, the request is marked reported by its owner, and a reset storing its outcome at the same time loses nothing', () => {
    const completed = { status: 'Completed' as const, result: { invitationId: 'invitation-1' } };
    /** An approved request, and another process (the reset's) that stores its outcome. */
    async function approvedRequest() {
      const owner = `owner.${randomUUID().slice(0, 8)}@fabrikam.com`;
      const { id } = await seedPendingRequest({ currentEmail: owner, status: 'Approved', decision: { outcome: 'approved', by: APPROVER_A.mail, at: now.toISOString() } });
      const reset = createTableRequestStore(deps.settings);
      const storeOutcome = () => reset.updateRequest(id, completed, { requestId: id, id: 'completed', at: now.toISOString(), type: 'Completed', actor: 'system' });
      return { id, owner, reset, storeOutcome };
    }
    async function expectBoth(id: string, owner: string) {
      const stored = await store.readRequestWithEvents(id);
      expect(stored?.request).toMatchObject({ ...completed, reportedByOwner: true, decision: { outcome: 'approved' } });
      expect(stored?.events.filter((e) => e.type === 'ReportedByOwner')).toHaveLength(1);
      const listed = await store.listRequests({ reportedByOwner: true, email: owner });
      expect(listed.items.map(({ id: listedId, status, reportedByOwner }) => ({ id: listedId, status, reportedByOwner }))).toEqual([{ id, status: 'Completed', reportedByOwner: true }]);
    }

    test('the reset read the request before the report and writes after it', async () => {
      const { id, owner, reset, storeOutcome } = await approvedRequest();
      await reset.getRequest(id);
      expect((await report(id)).status).toBe(200);
      await storeOutcome();
      await expectBoth(id, owner);
    });

    test('the report read the request before the reset wrote, and writes after it; a second report changes nothing', async () => {
      const { id, owner, storeOutcome } = await approvedRequest();
      await store.getRequest(id);
      await storeOutcome();
      expect((await report(id)).status).toBe(200);
      await expectBoth(id, owner);
      const before = await store.getRequest(id);
      expect((await report(id)).status).toBe(200);
      expect(await store.getRequest(id)).toEqual(before);
      await expectBoth(id, owner);
    });
  });

  test('a rejection recorded but not yet applied: the alert is routine, left for the digest', async () => {
    const owner = `owner.${randomUUID().slice(0, 8)}@fabrikam.com`;
    const { id, links } = await seedPendingRequest({ currentEmail: owner });
    expect((await decide(links.a, 'reject')).status).toBe(200);
    expect((await report(id)).status).toBe(200);
    expect(alertsTo(owner)).toEqual([]);
    expect((await store.listEvents(id)).find((e) => e.type === 'AdminAlertListed')?.detail).toMatchObject({ key: 'owner-report', mailedAtOnce: false });
  });
});
