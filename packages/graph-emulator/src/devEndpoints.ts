import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml } from './escapeHtml.js';
import type { RouteHandler } from './nodeHttp.js';
import type { EasyAuthEmulation } from './easyAuth.js';
import type { DevTokenIssuer } from './devTokenIssuer.js';
import type { GraphEmulator } from './graphEmulator.js';
import type { OutboxMessage } from './outbox.js';
import { TenantInputError } from './tenantDirectory.js';
import type { NewTenantUser } from './tenantSeed.js';
import type { GraphFault } from './faults.js';
import { readBody, sendJson } from './nodeHttp.js';

/**
 * The local host's dev-only endpoints (DESIGN §7, never deployed): read the outbox, inspect and
 * extend the emulated tenant, inject Graph faults, list the Graph calls received, mint admin
 * tokens the app's real JWT check accepts, and open sign-in sessions the app's real approver check
 * accepts. Served beside the Graph emulator: on the app's port under `npm start`, on the
 * emulator's own under `npm run emulators`.
 */

export interface DevEndpointsOptions {
  emulator: GraphEmulator;
  tokenIssuer: DevTokenIssuer;
  /** The sign-in emulation `POST /_dev/session` opens sessions of. */
  easyAuth: EasyAuthEmulation;
}

type DevErrorCode = 'BadRequest' | 'NotFound' | 'MethodNotAllowed' | 'PayloadTooLarge' | 'UnsupportedMediaType';

const STATUS_BY_CODE: Record<DevErrorCode, number> = {
  BadRequest: 400,
  NotFound: 404,
  MethodNotAllowed: 405,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
};

class DevEndpointError extends Error {
  constructor(readonly code: DevErrorCode, message: string, readonly allow?: string) {
    super(message);
    this.name = 'DevEndpointError';
  }
}

const MAX_BODY_BYTES = 64 * 1024;
const NO_STORE = { 'cache-control': 'no-store' };

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new DevEndpointError('UnsupportedMediaType', 'Send the body as application/json.');
  const bytes = await readBody(req, MAX_BODY_BYTES);
  if (bytes === 'TooLarge') throw new DevEndpointError('PayloadTooLarge', `The body is over ${MAX_BODY_BYTES} bytes.`);
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new DevEndpointError('BadRequest', 'The body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DevEndpointError('BadRequest', 'The body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** Only web links become anchors, so a `javascript:` href in a message cannot run here. */
function linkHtml(link: string): string {
  return /^https?:\/\//i.test(link) ? `<a href="${escapeHtml(link)}">${escapeHtml(link)}</a>` : escapeHtml(link);
}

function outboxPage(messages: OutboxMessage[]): string {
  const items = [...messages].reverse().map((m) => `
<article>
  <h2>${escapeHtml(m.subject || '(no subject)')}</h2>
  <dl>
    <dt>From</dt><dd>${escapeHtml(m.from)}</dd>
    <dt>To</dt><dd>${escapeHtml(m.to.join(', '))}</dd>
    <dt>Sent</dt><dd><time datetime="${escapeHtml(m.sentAt)}">${escapeHtml(m.sentAt)}</time></dd>
  </dl>
  ${m.links.length ? `<ul class="links">${m.links.map((l) => `<li>${linkHtml(l)}</li>`).join('')}</ul>` : '<p>No links.</p>'}
  <details><summary>Message</summary><iframe sandbox title="${escapeHtml(m.subject)}" srcdoc="${escapeHtml(m.html)}"></iframe></details>
  ${m.text === undefined ? '' : `<details><summary>Plain-text part</summary><pre>${escapeHtml(m.text)}</pre></details>`}
</article>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Outbox (${messages.length})</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}article{border-bottom:1px solid #ccc;padding:.5rem 0}dl{display:grid;grid-template-columns:5rem 1fr;margin:0}dt{font-weight:600}dd{margin:0}iframe{width:100%;height:20rem;border:1px solid #ddd}pre{white-space:pre-wrap}</style>
</head>
<body>
<h1>Outbox</h1>
<p>${messages.length} message(s) sent through the Graph emulator, newest first. <a href="/_dev/outbox.json">JSON</a></p>
${items.join('\n') || '<p>Nothing has been sent yet.</p>'}
</body>
</html>`;
}

function parseTokenRequest(body: Record<string, unknown>): { roles: string[]; oid?: string; name?: string; preferred_username?: string } {
  const { roles, oid, name, preferred_username: username } = body;
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) throw new DevEndpointError('BadRequest', 'roles must be an array of strings.');
  for (const [field, value] of Object.entries({ oid, name, preferred_username: username })) {
    if (value !== undefined && typeof value !== 'string') throw new DevEndpointError('BadRequest', `${field} must be a string.`);
  }
  return { roles, oid: oid as string | undefined, name: name as string | undefined, preferred_username: username as string | undefined };
}

/** `{mail}` or `{userId}`, with optional app `roles`: whom `POST /_dev/session` signs in, holding what. */
function parseSessionRequest(body: Record<string, unknown>): { by: { mail?: string; userId?: string }; roles: string[] } {
  const { mail, userId, roles = [] } = body;
  const given = [mail, userId].filter((v) => v !== undefined);
  if (given.length !== 1 || typeof given[0] !== 'string' || given[0].trim() === '') {
    throw new DevEndpointError('BadRequest', 'Give either mail or userId, as a non-empty string.');
  }
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) throw new DevEndpointError('BadRequest', 'roles must be an array of strings.');
  return { by: mail !== undefined ? { mail: mail as string } : { userId: userId as string }, roles };
}

export function createDevEndpoints({ emulator, tokenIssuer, easyAuth }: DevEndpointsOptions): RouteHandler {
  type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  const clearOutbox: Handler = async (_req, res) => {
    emulator.clearOutbox();
    res.writeHead(204).end();
  };
  const routes: Record<string, Partial<Record<string, Handler>>> = {
    '/_dev/outbox': {
      GET: async (_req, res) => {
        const html = outboxPage(emulator.outbox());
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; base-uri 'none'; form-action 'none'",
          'Cache-Control': 'no-store',
        });
        res.end(html);
      },
      DELETE: clearOutbox,
    },
    // The same outbox as data: emptied from either address.
    '/_dev/outbox.json': { GET: async (_req, res) => sendJson(res, 200, emulator.outbox(), NO_STORE), DELETE: clearOutbox },
    '/_dev/tenant.json': { GET: async (_req, res) => sendJson(res, 200, emulator.snapshot(), NO_STORE) },
    '/_dev/tenant/users': {
      POST: async (req, res) => {
        const body = await readJsonObject(req);
        try {
          sendJson(res, 201, emulator.addUser(body as unknown as NewTenantUser));
        } catch (error) {
          if (error instanceof TenantInputError) throw new DevEndpointError('BadRequest', error.message);
          throw error;
        }
      },
    },
    '/_dev/graph/faults': {
      POST: async (req, res) => {
        const body = await readJsonObject(req);
        try {
          emulator.addFault(body as unknown as GraphFault);
        } catch (error) {
          if (error instanceof RangeError) throw new DevEndpointError('BadRequest', error.message);
          throw error;
        }
        sendJson(res, 201, body);
      },
      DELETE: async (_req, res) => {
        emulator.clearFaults();
        res.writeHead(204).end();
      },
    },
    '/_dev/graph/calls': {
      GET: async (_req, res) => sendJson(res, 200, emulator.calls(), NO_STORE),
      DELETE: async (_req, res) => {
        emulator.clearCalls();
        res.writeHead(204).end();
      },
    },
    '/_dev/token': {
      POST: async (req, res) => {
        const claims = parseTokenRequest(await readJsonObject(req));
        sendJson(res, 200, { token: await tokenIssuer.issue(claims) });
      },
    },
    '/_dev/jwks.json': { GET: async (_req, res) => sendJson(res, 200, await tokenIssuer.jwks()) },
    '/_dev/session': {
      POST: async (req, res) => {
        const { by, roles } = parseSessionRequest(await readJsonObject(req));
        const session = easyAuth.signIn(by, roles);
        if (!session) throw new DevEndpointError('NotFound', `No user ${by.mail ?? by.userId} in the emulated tenant.`);
        const { id, displayName, mail, userPrincipalName } = session.user;
        sendJson(res, 200, { id, displayName, mail, userPrincipalName }, { ...NO_STORE, 'set-cookie': session.setCookie });
      },
    },
  };

  return async (req, res, url) => {
    if (url.pathname !== '/_dev' && !url.pathname.startsWith('/_dev/')) return false;
    try {
      const route = routes[url.pathname];
      if (!route) throw new DevEndpointError('NotFound', `No dev endpoint at ${url.pathname}.`);
      const method = (req.method ?? 'GET').toUpperCase();
      const handler = route[method] ?? (method === 'HEAD' ? route.GET : undefined);
      if (!handler) throw new DevEndpointError('MethodNotAllowed', `${method} is not supported here.`, allowedMethods(route));
      await handler(req, res);
    } catch (error) {
      if (!(error instanceof DevEndpointError)) throw error;
      if (error.allow) res.setHeader('Allow', error.allow);
      if (!req.readableEnded) req.resume();
      sendJson(res, STATUS_BY_CODE[error.code], { error: { code: error.code, message: error.message } });
    }
    return true;
  };
}

/** The methods a dev route answers, for `Allow`: HEAD wherever GET, as the dispatcher serves it. */
function allowedMethods(route: Partial<Record<string, unknown>>): string {
  return Object.keys(route)
    .flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method]))
    .join(', ');
}
