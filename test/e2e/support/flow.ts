import { eventually, type LocalApp, type OutboxMessage } from './localApp.js';

/** Helpers that walk the product the way its users do: the form, the outbox, the approval page, the admin API. */

export interface Submission {
  currentEmail: string;
  newEmail: string;
  reason?: string;
  reasonDetail?: string;
  displayName?: string;
}

export async function submit(app: LocalApp, submission: Submission): Promise<string> {
  const res = await app.json<{ requestId: string; status: string }>('POST', '/api/requests', { reason: 'MovedCompany', ...submission });
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.requestId;
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
}

export interface AdminView {
  request: RequestView;
  events: { type: string; at: string }[];
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
  const token = await app.adminToken();
  const res = await app.json<AdminView>('GET', `/api/admin/requests/${id}`, undefined, { authorization: `Bearer ${token}` });
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

/** Opens the confirmation page and posts the decision from its form, as a browser would. */
export async function decide(link: string, decision: 'approve' | 'reject', comment = ''): Promise<{ status: number; html: string; csrf?: string }> {
  const page = await fetch(link);
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, html };
  const csrf = /name="csrf"\s+value="([^"]+)"/.exec(html)?.[1] ?? /value="([^"]+)"\s+name="csrf"/.exec(html)?.[1];
  if (!csrf) throw new Error('no csrf field on the approval page');
  const res = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
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
