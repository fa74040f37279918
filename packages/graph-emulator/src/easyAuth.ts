import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml } from './escapeHtml.js';
import type { RouteHandler } from './nodeHttp.js';
import { readBody } from './nodeHttp.js';

/**
 * The local host playing App Service Authentication ("Easy Auth") with Entra ID, so the app's
 * real sign-in check runs locally (DESIGN §7): `/.auth/login/aad` is a page where one picks a
 * user of the emulated tenant instead of typing a password, the session is the platform's
 * `AppServiceAuthSession` cookie, and on every request the client's own `X-MS-CLIENT-PRINCIPAL*`
 * headers are stripped and, for a signed-in session, set the way the platform sets them.
 * Sessions live in memory: after a restart everyone signs in again.
 *
 * App roles: in Entra a user's app-role assignments put `roles` claims in the sign-in's ID token,
 * which the platform passes on in the principal. Here the role is chosen when signing in (a
 * checkbox on the page, `roles` on `POST /_dev/session`) and kept with the session.
 */

/** A user of the tenant, as far as signing in needs one. */
export interface SignInUser {
  id: string;
  displayName: string;
  mail: string | null;
  userPrincipalName: string;
  accountEnabled: boolean;
}

export interface EasyAuthOptions {
  /** The tenant's users, read at each request so users added or changed later count. */
  users: () => SignInUser[];
  /** The tenant id the principal's `tenantid` claim carries (the app checks it). */
  tenantId: string;
  /** App roles the sign-in page offers to sign in with (the app's admin role, say). */
  appRoles?: readonly string[];
}

export interface EasyAuthEmulation {
  /** `/.auth/*`, and the principal headers of every other request (then resolves false). */
  handle: RouteHandler;
  /**
   * A new session for a user found by object id or mail (case-insensitive), holding the app
   * roles given (none by default): the `Set-Cookie` value the sign-in page would send. Undefined
   * for an unknown user. Disabled users are signed in too, so tests can reach the app's own check
   * of a user disabled after signing in.
   */
  signIn(by: { userId?: string; mail?: string }, roles?: readonly string[]): { user: SignInUser; setCookie: string } | undefined;
}

export const SESSION_COOKIE = 'AppServiceAuthSession';
const PRINCIPAL_HEADER = /^x-ms-(client-principal|token-)/i;
const MAX_FORM_BYTES = 16 * 1024;
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CLAIM = {
  objectId: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  tenantId: 'http://schemas.microsoft.com/identity/claims/tenantid',
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
};

export function createEasyAuthEmulation(options: EasyAuthOptions): EasyAuthEmulation {
  const sessions = new Map<string, { userId: string; roles: readonly string[] }>();

  const findUser = (by: { userId?: string; mail?: string }): SignInUser | undefined => {
    const id = by.userId?.trim().toLowerCase();
    const mail = by.mail?.trim().toLowerCase();
    return options.users().find((u) => (id !== undefined && u.id.toLowerCase() === id) || (mail !== undefined && (u.mail?.toLowerCase() === mail || u.userPrincipalName.toLowerCase() === mail)));
  };

  const signIn: EasyAuthEmulation['signIn'] = (by, roles = []) => {
    const user = findUser(by);
    if (!user) return undefined;
    const session = randomBytes(32).toString('base64url');
    sessions.set(session, { userId: user.id, roles: [...new Set(roles)] });
    return { user, setCookie: `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Lax` };
  };

  const sessionOf = (req: IncomingMessage): string | undefined => cookieValue(req.headers.cookie, SESSION_COOKIE);
  const signedInOf = (req: IncomingMessage): { user: SignInUser; roles: readonly string[] } | undefined => {
    const session = sessionOf(req);
    const held = session === undefined ? undefined : sessions.get(session);
    const user = held && findUser({ userId: held.userId });
    return user && { user, roles: held.roles };
  };

  // As the platform passes them: app roles as `roles` claims, whatever `role_typ` says.
  const claimsOf = ({ user, roles }: { user: SignInUser; roles: readonly string[] }) => [
    { typ: CLAIM.objectId, val: user.id },
    { typ: CLAIM.tenantId, val: options.tenantId },
    { typ: CLAIM.name, val: user.userPrincipalName },
    { typ: CLAIM.upn, val: user.userPrincipalName },
    ...(user.mail ? [{ typ: CLAIM.email, val: user.mail }] : []),
    { typ: 'name', val: user.displayName },
    { typ: 'preferred_username', val: user.userPrincipalName },
    { typ: 'ver', val: '2.0' },
    ...roles.map((role) => ({ typ: 'roles', val: role })),
  ];

  const handle: RouteHandler = async (req, res, url) => {
    if (url.pathname === '/.auth/login/aad' || url.pathname === '/.auth/login/aad/') {
      if (req.method === 'POST') await completeSignIn(req, res, url);
      else if (req.method === 'GET' || req.method === 'HEAD') sendPage(res, 200, pickerPage(options.users(), options.appRoles ?? [], redirectTarget(url.searchParams.get('post_login_redirect_uri'), url) ?? '/'));
      else sendPage(res, 405, messagePage('Method not allowed', 'Use GET or POST.'), { Allow: 'GET, HEAD, POST' });
      return true;
    }
    if (url.pathname === '/.auth/me') {
      const signedIn = signedInOf(req);
      // Like the platform: a JSON array describing the session, 401 without one.
      if (!signedIn) sendJson(res, 401, []);
      else sendJson(res, 200, [{ provider_name: 'aad', user_id: signedIn.user.userPrincipalName, user_claims: claimsOf(signedIn) }]);
      return true;
    }
    if (url.pathname === '/.auth/logout') {
      const session = sessionOf(req);
      if (session !== undefined) sessions.delete(session);
      res.writeHead(302, {
        Location: redirectTarget(url.searchParams.get('post_logout_redirect_uri'), url) ?? '/.auth/login/aad',
        'Set-Cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`,
        'Cache-Control': 'no-store',
      });
      res.end();
      return true;
    }
    if (url.pathname.startsWith('/.auth/')) {
      sendJson(res, 404, { error: { code: 'NotFound', message: `The local host emulates only the aad provider: nothing at ${url.pathname}.` } });
      return true;
    }

    // Never trust the client's own principal: only the platform sets these.
    for (const name of Object.keys(req.headers)) if (PRINCIPAL_HEADER.test(name)) delete req.headers[name];
    const signedIn = signedInOf(req);
    if (signedIn) {
      const { user } = signedIn;
      const principal = { auth_typ: 'aad', claims: claimsOf(signedIn), name_typ: CLAIM.name, role_typ: CLAIM.role };
      req.headers['x-ms-client-principal'] = Buffer.from(JSON.stringify(principal)).toString('base64');
      req.headers['x-ms-client-principal-id'] = user.id;
      req.headers['x-ms-client-principal-name'] = user.userPrincipalName;
      req.headers['x-ms-client-principal-idp'] = 'aad';
    }
    return false;
  };

  async function completeSignIn(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const body = await readBody(req, MAX_FORM_BYTES);
    if (type !== 'application/x-www-form-urlencoded' || body === 'TooLarge') {
      sendPage(res, 400, messagePage('Sign-in not understood', 'Choose a user on the sign-in page and press Sign in.'));
      return;
    }
    const form = new URLSearchParams(body.toString('utf8'));
    const target = redirectTarget(form.get('post_login_redirect_uri'), url);
    const user = findUser({ userId: form.get('userId') ?? '' });
    if (!target || !user || !user.accountEnabled) {
      sendPage(res, 400, messagePage('Sign-in not completed', 'Choose an enabled user of the tenant and sign in again.'));
      return;
    }
    const session = signIn({ userId: user.id }, form.getAll('role'))!;
    res.writeHead(302, { Location: target, 'Set-Cookie': session.setCookie, 'Cache-Control': 'no-store' });
    res.end();
  }

  return { handle, signIn };
}

/**
 * Where to go after signing in or out: only a path on this host (or an absolute URL of this very
 * origin, reduced to its path), so the page cannot be used to send people elsewhere.
 */
export function redirectTarget(value: string | null, here: URL): string | undefined {
  if (value === null || value === '') return undefined;
  let target: URL;
  try {
    target = new URL(value, here.origin);
  } catch {
    return undefined;
  }
  const relative = value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\');
  if (target.origin !== here.origin || !(relative || /^https?:\/\//i.test(value))) return undefined;
  // `/..//elsewhere` normalises to `//elsewhere`, which a browser reads as another host.
  if (/^\/[/\\]/.test(target.pathname)) return undefined;
  return `${target.pathname}${target.search}${target.hash}`;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.split('=');
    if (key?.trim() === name) return rest.join('=').trim();
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sendPage(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-store', ...headers });
  res.end(html);
}

function document(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.5}fieldset{border:1px solid #8a9099;border-radius:6px}label{display:block;padding:.35rem 0}button{font:inherit;font-weight:600;margin-top:1rem;padding:.6rem 1.5rem;border:0;border-radius:6px;background:#0b5cad;color:#fff}.hint{color:#5a5f66}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function messagePage(title: string, message: string): string {
  return document(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

/** The emulated Microsoft sign-in: pick who you are (no password, this is a local emulation). */
function pickerPage(users: SignInUser[], appRoles: readonly string[], target: string): string {
  const enabled = users.filter((u) => u.accountEnabled);
  const options = enabled.map(
    (u, i) =>
      `<label><input type="radio" name="userId" value="${escapeHtml(u.id)}"${i === 0 ? ' required' : ''}> ${escapeHtml(u.displayName)} &lt;${escapeHtml(u.mail ?? u.userPrincipalName)}&gt;</label>`,
  );
  const roles = appRoles.map((role) => `<label><input type="checkbox" name="role" value="${escapeHtml(role)}"> ${escapeHtml(role)}</label>`);
  return document(
    'Sign in (local emulation)',
    `<h1>Sign in</h1>
<p class="hint">Local emulation of the Microsoft Entra sign-in: choose a user of the emulated tenant. No password is asked.</p>
<form method="post" action="/.auth/login/aad">
<input type="hidden" name="post_login_redirect_uri" value="${escapeHtml(target)}">
<fieldset>
<legend>Sign in as</legend>
${options.join('\n') || '<p>The tenant has no enabled user.</p>'}
</fieldset>
${
  roles.length > 0
    ? `<fieldset>
<legend>App roles assigned (as Entra would put them in the sign-in)</legend>
${roles.join('\n')}
</fieldset>
`
    : ''
}<button type="submit">Sign in</button>
</form>`,
  );
}
