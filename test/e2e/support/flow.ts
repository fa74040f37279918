import { eventually, type LocalApp, type OutboxMessage } from './localApp.js';
import { adminCall } from './openApi.js';

/** Helpers that walk the product the way its users do: the form, the outbox, the approval page, the admin API. */

export interface Submission {
  currentEmail: string;
  newEmail: string;
  reason?: string;
  reasonDetail?: string;
  displayName?: string;
}

/**
 * Submits the form as JSON and, unless told not to, confirms the request from the mail sent to the
 * new address, as its owner would (DESIGN §2 step 3), so the request goes on to its approvers.
 */
export async function submit(app: LocalApp, submission: Submission, options: { confirm?: boolean } = {}): Promise<string> {
  const res = await app.json<{ requestId: string; status: string }>('POST', '/api/requests', { reason: 'MovedCompany', ...submission });
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
  const { requestId } = res.body;
  if (options.confirm !== false) await confirmByMail(app, requestId);
  return requestId;
}

/** Confirms the request from the link mailed to its new address (DESIGN §2 step 3); the confirmed page. */
export async function confirmByMail(app: LocalApp, requestId: string): Promise<string> {
  const confirmed = await postLinkForm(await linkFor(app, 'confirmations', requestId));
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${confirmed.html}`);
  return confirmed.html;
}

/** The newest link of that kind (`confirmations`, `track`, `reports`) mailed for the request. */
export async function linkFor(app: LocalApp, kind: 'confirmations' | 'track' | 'reports', requestId: string, timeoutMs?: number): Promise<string> {
  const prefix = `/api/${kind}/${requestId}.`;
  const mail = await eventually(
    async () => (await app.outbox()).filter((m) => m.links.some((l) => l.includes(prefix))).at(-1),
    timeoutMs ?? 30_000,
    `a mail with a ${kind} link for ${requestId}`,
  );
  return mail.links.find((l) => l.includes(prefix)) as string;
}

/** The anti-forgery value of a page's form. */
export const csrfOf = (html: string): string | undefined => /name="csrf"\s+value="([^"]+)"/.exec(html)?.[1] ?? /value="([^"]+)"\s+name="csrf"/.exec(html)?.[1];

/**
 * An admin console action's confirmation step (`GET /api/admin/console/requests/{id}/{action}`) as
 * the signed-in admin with `cookie` sees it, and the POST of its form from the console's own page
 * (fields added to the step's anti-forgery value; redirects not followed, so the 303 shows).
 */
export async function consoleActionStep(app: LocalApp, cookie: string, requestId: string, action: string) {
  const url = `${app.url}/api/admin/console/requests/${requestId}/${action}`;
  const page = await fetch(url, { headers: { cookie } });
  const html = await page.text();
  const post = (fields: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: app.url, 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ csrf: csrfOf(html) ?? '', ...fields }).toString(),
    });
  return { url, status: page.status, html, post };
}

/** Opens a link's page and posts its form, as a browser would (fields added to the anti-forgery value). */
export async function postLinkForm(link: string, fields: Record<string, string> = {}): Promise<{ status: number; html: string }> {
  const page = await fetch(link);
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, html };
  const csrf = csrfOf(html);
  if (!csrf) throw new Error(`no csrf field on ${link}`);
  const res = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, csrf }).toString(),
  });
  return { status: res.status, html: await res.text() };
}

/** The request as the admin API shows it (DESIGN §4). */
export interface RequestView {
  id: string;
  status: string;
  currentEmail: string;
  newEmail: string;
  guestId?: string;
  approvers: { id: string; mail: string; displayName: string }[];
  submittedAt: string;
  declineReason?: string;
  decision?: { outcome: string; by: string; at: string; comment?: string };
  result?: { invitationId?: string; code?: string; message?: string; requestId?: string };
  cancelReason?: string;
  cancelledBy?: string;
  reportedByOwner?: boolean;
}

export interface AdminView {
  request: RequestView;
  events: { type: string; at: string; actor: string; detail?: Record<string, unknown> }[];
  orchestration: { runtimeStatus: string; customStatus: unknown; createdTime: string; lastUpdatedTime: string };
}

export interface TenantSnapshot {
  users: { id: string; mail: string | null; userType: string }[];
  invitations: { invitedUser?: { id: string }; invitedUserEmailAddress: string; resetRedemption?: boolean }[];
}

export async function tenant(app: LocalApp): Promise<TenantSnapshot> {
  return (await app.json<TenantSnapshot>('GET', '/_dev/tenant.json')).body;
}

export async function adminGet(app: LocalApp, id: string): Promise<AdminView> {
  const res = await adminCall<AdminView>(app, 'GET', `/api/admin/requests/${id}`);
  if (res.status !== 200) throw new Error(`admin get: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function waitForStatus(app: LocalApp, id: string, status: string, timeoutMs = 45_000): Promise<AdminView> {
  return eventually(async () => {
    const view = await adminGet(app, id);
    return view.request.status === status ? view : undefined;
  }, timeoutMs, `request ${id} to be ${status}`);
}

export async function waitForMail(app: LocalApp, match: (m: OutboxMessage) => boolean, what: string, timeoutMs = 30_000): Promise<OutboxMessage> {
  return eventually(async () => (await app.outbox()).find(match), timeoutMs, what);
}

export function approvalLink(message: OutboxMessage): string {
  const link = message.links.find((l) => l.includes('/api/approvals/'));
  if (!link) throw new Error(`no approval link in ${message.subject}`);
  return link;
}

/**
 * The `AppServiceAuthSession` cookie of a session signed in as that user, holding these app roles
 * (none unless given), from the local host's sign-in emulation (`POST /_dev/session`, the same
 * cookie its sign-in page sets).
 */
export async function signInAs(baseUrl: string, user: { mail: string } | { userId: string }, roles?: string[]): Promise<string> {
  const body = JSON.stringify(roles ? { ...user, roles } : user);
  const res = await fetch(`${new URL(baseUrl).origin}/_dev/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (res.status !== 200 || !cookie) throw new Error(`sign-in as ${JSON.stringify(user)}: ${res.status} ${await res.text()}`);
  return cookie;
}

/** Whom the mail carrying this approval link was sent to. */
async function recipientOf(link: string): Promise<string> {
  const outbox = (await (await fetch(`${new URL(link).origin}/_dev/outbox.json`)).json()) as OutboxMessage[];
  const to = outbox.find((m) => m.links.includes(link))?.to[0];
  if (!to) throw new Error(`no mail in the outbox carries ${link}`);
  return to;
}

/**
 * Opens the confirmation page and posts the decision from its form, as a browser would: signed in
 * as the approver the link was mailed to, unless another session cookie (or '' for none) is given.
 */
export async function decide(link: string, decision: 'approve' | 'reject', comment = '', cookie?: string): Promise<{ status: number; html: string; csrf?: string }> {
  const session = cookie ?? (await signInAs(link, { mail: await recipientOf(link) }));
  const headers: Record<string, string> = session ? { cookie: session } : {};
  const page = await fetch(link, { headers });
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, html };
  const csrf = csrfOf(html);
  if (!csrf) throw new Error('no csrf field on the approval page');
  const res = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ decision, comment, csrf }).toString(),
  });
  return { status: res.status, html: await res.text(), csrf };
}

let counter = 0;
/** A unique guest with a sponsor, added to the emulated tenant. */
export async function guestWithSponsor(app: LocalApp, label = 'guest'): Promise<{ guest: { id: string; mail: string }; sponsor: { id: string; mail: string } }> {
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  const sponsor = await app.addUser({ displayName: `Sponsor ${n}`, mail: `sponsor.${n}@contoso.com`, userType: 'Member' });
  const guest = await app.addUser({ displayName: `${label} ${n}`, mail: `${label}.${n}@fabrikam.example`, userType: 'Guest', sponsors: [sponsor.id] });
  return { guest, sponsor };
}

/** Injects a Graph fault (`POST /_dev/graph/faults`, DESIGN §7). */
export async function injectFault(app: LocalApp, fault: Record<string, unknown>): Promise<void> {
  const res = await app.json('POST', '/_dev/graph/faults', fault);
  if (res.status >= 300) throw new Error(`fault: ${res.status} ${JSON.stringify(res.body)}`);
}

/** The Graph calls the emulator received since the log was last emptied (`GET /_dev/graph/calls`). */
export async function graphCalls(app: LocalApp): Promise<{ method: string; path: string; query: string }[]> {
  return (await app.json<{ method: string; path: string; query: string }[]>('GET', '/_dev/graph/calls')).body;
}

/**
 * A sponsored guest's request, approved while `/invitations` answers 503 a few times, so that the
 * guest's `mail` already holds the new address while the reset is still being tried: the moment
 * to make the reset fail for good and watch `mail` being put back.
 */
export async function approvedWithMailChanged(app: LocalApp, label: string) {
  const { guest, sponsor } = await guestWithSponsor(app, label);
  const newEmail = `${label}.${Date.now().toString(36)}${(counter++).toString(36)}@northwind.example`;
  const id = await submit(app, { currentEmail: guest.mail, newEmail });
  const link = approvalLink(await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail'));
  await waitForStatus(app, id, 'AwaitingApproval');
  await injectFault(app, { method: 'POST', path: '/v1.0/invitations', status: 503, count: 5, retryAfter: 2 });
  const decided = await decide(link, 'approve');
  if (decided.status !== 200) throw new Error(`approve: ${decided.status}`);
  const mailOf = async () => (await tenant(app)).users.find((u) => u.id === guest.id)?.mail;
  await eventually(async () => ((await mailOf()) === newEmail ? true : undefined), 30_000, 'mail to be changed');
  return { guest, sponsor, id, newEmail };
}
