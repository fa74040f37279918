import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createActivities, type Activities } from '../../src/activities/createActivities.js';
import { parseSettings, type Settings } from '../../src/config/settings.js';
import { createGraphEmulator, type GraphEmulator } from '@guest-email-change/graph-emulator';
import { hashLinkSecret } from '../../src/domain/linkToken.js';
import type { DeclineReason, EmailChangeRequest } from '../../src/domain/request.js';
import { whyNotRetryable } from '../../src/domain/resetRetry.js';
import { GraphRequestError, type GraphGateway } from '../../src/graph/graphGateway.js';
import { createMsGraphGateway } from '../../src/graph/msGraphGateway.js';
import { createTableAdminDigest } from '../../src/store/adminDigest.js';
import { createMailer } from '../../src/mail/mailer.js';
import { CANCEL_REQUESTED, claimCancel, claimConfirmation, claimOutcome, DEADLINE_PASSED, DECISION_RECEIVED, NEW_EMAIL_CONFIRMED } from '../../src/store/outcomeClaim.js';
import type { RequestStore } from '../../src/store/requestStore.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';
import type { ApprovalDecisionEvent } from '../../src/workflow/contract.js';

/**
 * The activities against real back ends: E's table store in Azurite, C's Graph gateway and mailer
 * over loopback HTTP to the Graph emulator (its outbox shows what was mailed).
 */

const SEEDED = {
  adele: 'adele.vance@fabrikam.com', // sponsors: Megan, Nestor
  ben: 'ben.walters@tailspintoys.com', // sponsor: group Partner Managers (Patti, Alex)
  carol: 'carol.chen@litware.com', // manager: Lynne
  dan: 'dan.jump@wingtiptoys.com', // nobody
  erin: 'erin.hall@adatum.com', // disabled
  frank: 'frank.miller@proseware.com', // Helpdesk Administrator
  megan: 'megan.bowen@contoso.com', // a member
};
const MEGAN_ID = '10000000-0000-4000-8000-000000000001';
const ADMIN_MAIL = 'nestor.wilke@contoso.com';
const PUBLIC_BASE_URL = 'https://guest-reset.example';

let emulator: GraphEmulator;
let server: Server;
let store: RequestStore;
let graph: GraphGateway;
let settings: Settings;
let activities: Activities;

function settingsFor(graphBaseUrl: string, extra: Record<string, string> = {}): Settings {
  return parseSettings({
    AzureWebJobsStorage: inject('azuriteConnectionString'),
    TABLE_NAME_PREFIX: 'ActivitiesIt',
    GRAPH_BASE_URL: graphBaseUrl,
    GRAPH_STATIC_TOKEN: 'local-dev',
    TENANT_VERIFIED_DOMAINS: 'contoso.com,contoso.onmicrosoft.com',
    NEW_EMAIL_DENIED_DOMAINS: 'blocked.example',
    PUBLIC_BASE_URL,
    APPROVAL_FORM_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
    ORG_NAME: 'Contoso',
    MAIL_SENDER: 'guest-reset@contoso.com',
    ADMIN_NOTIFICATION_EMAILS: ADMIN_MAIL,
    ADMIN_TENANT_ID: 'c0a70500-0000-4000-8000-000000000000',
    ADMIN_API_AUDIENCE: 'api://guest-reset',
    INVITE_REDIRECT_URL: 'https://myapps.microsoft.com/?tenantid=contoso',
    ...extra,
  });
}

function activitiesWith(extra: Record<string, string>): Activities {
  const custom = settingsFor(settings.GRAPH_BASE_URL, extra);
  return createActivities({ graph, store, mailer: createMailer(graph, custom), adminDigest: createTableAdminDigest(custom), clock: () => new Date(), settings: custom });
}

/** The activities over another view of the store (one that races, or dies). */
function activitiesOver(using: RequestStore): Activities {
  return createActivities({ graph, store: using, mailer: createMailer(graph, settings), adminDigest: createTableAdminDigest(settings), clock: () => new Date(), settings });
}

/**
 * The store of a process that dies in its first call of `method`: `before` the call is made, or
 * `after` it committed (its answer lost, as a dropped connection does). Nothing after it runs but
 * what the caller does with the error; the next call goes through.
 */
function dyingIn(method: keyof RequestStore, when: 'before' | 'after'): RequestStore {
  const real = store[method] as (...args: unknown[]) => Promise<unknown>;
  let died = false;
  const dying = async (...args: unknown[]) => {
    if (died) return real(...args);
    died = true;
    if (when === 'after') await real(...args);
    throw new Error(`the process died in ${method}`);
  };
  return { ...store, [method]: dying };
}

beforeAll(async () => {
  emulator = createGraphEmulator();
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    emulator.handle(req, res, url).then(
      (handled) => {
        if (!handled) res.writeHead(404).end();
      },
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  settings = settingsFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  store = createRequestStoreFromTables(createStoreTables({ connectionString: settings.AzureWebJobsStorage, tableNamePrefix: settings.TABLE_NAME_PREFIX }));
  // Short client-side retries: the transient test exhausts them on purpose.
  graph = createMsGraphGateway(settings, { maxRetries: 1, retryDelaySeconds: 0 });
  activities = createActivities({ graph, store, mailer: createMailer(graph, settings), adminDigest: createTableAdminDigest(settings), clock: () => new Date(), settings });
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

const stamp = () => randomUUID().slice(0, 8);

async function submit(currentEmail: string, newEmail = `new.${stamp()}@northwind.example`, using: Activities = activities): Promise<string> {
  const requestId = randomUUID();
  await using.recordRequest({
    requestId,
    submission: { currentEmail, newEmail, reason: 'MovedCompany' },
    source: { ip: '203.0.113.7', userAgent: 'vitest' },
    submittedAt: new Date().toISOString(),
  });
  return requestId;
}

async function request(id: string): Promise<EmailChangeRequest> {
  const found = await store.getRequest(id);
  if (!found) throw new Error(`request ${id} missing`);
  return found;
}

const eventTypes = async (id: string) => (await store.listEvents(id)).map((e) => e.type);
const mailTo = (address: string) => emulator.outbox().filter((m) => m.to.includes(address));
const userById = (id: string) => emulator.snapshot().users.find((u) => u.id === id) as { id: string; mail: string | null } | undefined;
const invitationsFor = (id: string) => emulator.snapshot().invitations.filter((i) => (i.invitedUser as { id?: string } | undefined)?.id === id);

/** A fresh sponsored guest, so tests that change a guest do not meet each other. */
function sponsoredGuest(label: string) {
  const sponsor = emulator.addUser({ displayName: `Sponsor ${label}`, mail: `sponsor.${label}.${stamp()}@contoso.com`, userType: 'Member' }) as { id: string; mail: string };
  const guest = emulator.addUser({ displayName: `Guest ${label}`, mail: `${label}.${stamp()}@fabrikam.example`, userType: 'Guest', sponsors: [sponsor.id] }) as { id: string; mail: string };
  return { guest, sponsor };
}

function decision(outcome: 'approved' | 'rejected', approverMail: string, comment?: string): ApprovalDecisionEvent {
  return { outcome, approverId: 'approver-id', approverMail, at: new Date().toISOString(), ...(comment ? { comment } : {}) };
}

/** Walks a request to `Approved` the way the orchestrator does. */
async function approvedRequest(label: string, newEmail = `${label}.${stamp()}@northwind.example`) {
  const { guest, sponsor } = sponsoredGuest(label);
  const id = await submit(guest.mail, newEmail);
  expect((await activities.screenRequest(id)).outcome).toBe('eligible');
  await activities.requestApproval({ requestId: id, deadline: new Date(Date.now() + 3_600_000).toISOString(), reminder: false });
  await activities.markApproved({ requestId: id, decision: decision('approved', sponsor.mail, 'Confirmed') });
  return { id, guest, sponsor, newEmail };
}

describe('recordRequest', () => {
  test('stores the request as Received with one Submitted event, however often it runs', async () => {
    const id = await submit(SEEDED.adele, 'adele@northwind.example');
    await activities.recordRequest({
      requestId: id,
      submission: { currentEmail: SEEDED.adele, newEmail: 'adele@northwind.example', reason: 'MovedCompany' },
      source: { ip: '203.0.113.7', userAgent: 'vitest' },
      submittedAt: new Date().toISOString(),
    });
    const stored = await request(id);
    expect(stored).toMatchObject({ id, status: 'Received', currentEmail: SEEDED.adele, source: { ip: '203.0.113.7' } });
    expect(await eventTypes(id)).toEqual(['Submitted']);
  });
});

describe('screenRequest declines', () => {
  const cases: [string, DeclineReason, string, string | undefined][] = [
    ['a new email on a verified domain', 'DomainNotAllowed', SEEDED.adele, 'adele.v@contoso.com'],
    ['a new email on a denied domain', 'DomainNotAllowed', SEEDED.adele, 'adele.v@blocked.example'],
    ['an unknown current email', 'GuestNotFound', 'nobody@nowhere.example', undefined],
    ['a member', 'NotAGuest', SEEDED.megan, undefined],
    ['a disabled guest', 'AccountDisabled', SEEDED.erin, undefined],
    ['a guest with a directory role', 'HasDirectoryRole', SEEDED.frank, undefined],
    ['a guest nobody may approve', 'NoApprover', SEEDED.dan, undefined],
  ];
  test.each(cases)('%s → %s', async (_what, reason, currentEmail, newEmail) => {
    const id = await submit(currentEmail, newEmail);
    expect(await activities.screenRequest(id)).toEqual({ outcome: 'declined', reason });
    const stored = await request(id);
    expect(stored).toMatchObject({ status: 'Declined', declineReason: reason });
    expect(await eventTypes(id)).toContain('Declined');
    // Running the step again answers the same and changes nothing.
    expect(await activities.screenRequest(id)).toEqual({ outcome: 'declined', reason });
    expect((await eventTypes(id)).filter((t) => t === 'Declined')).toHaveLength(1);
  });

  test('a second active request for the same guest → DuplicateActiveRequest; the lock frees when the first ends', async () => {
    const { guest } = sponsoredGuest('dup');
    const first = await submit(guest.mail);
    expect((await activities.screenRequest(first)).outcome).toBe('eligible');
    const second = await submit(guest.mail);
    expect(await activities.screenRequest(second)).toEqual({ outcome: 'declined', reason: 'DuplicateActiveRequest' });
    expect((await request(second)).guestId).toBe(guest.id);

    await activities.recordOutcome({ requestId: first, outcome: 'Expired' });
    const third = await submit(guest.mail);
    expect((await activities.screenRequest(third)).outcome).toBe('eligible');
  });

  test('nobody whose address is the new email approves (the only sponsor is excluded)', async () => {
    const other = emulator.addUser({ displayName: 'Other', mail: `other.${stamp()}@fabrikam.example`, userType: 'Guest' }) as { id: string; mail: string };
    const guest = emulator.addUser({ displayName: 'Sponsored by other', mail: `sbo.${stamp()}@fabrikam.example`, userType: 'Guest', sponsors: [other.id] }) as { mail: string };
    const id = await submit(guest.mail, other.mail);
    expect(await activities.screenRequest(id)).toEqual({ outcome: 'declined', reason: 'NoApprover' });
  });
});

describe('screenRequest approvers', () => {
  test('user sponsors approve, and the guest, its id and the approvers are stored', async () => {
    const id = await submit(SEEDED.adele);
    const result = await activities.screenRequest(id);
    expect(result).toMatchObject({ outcome: 'eligible', guest: { id: '20000000-0000-4000-8000-000000000001', displayName: 'Adele Vance' } });
    const mails = result.outcome === 'eligible' ? result.approvers.map((a) => a.mail).sort() : [];
    expect(mails).toEqual(['megan.bowen@contoso.com', 'nestor.wilke@contoso.com']);
    const stored = await request(id);
    expect(stored).toMatchObject({ status: 'Received', guestId: '20000000-0000-4000-8000-000000000001', guestDisplayName: 'Adele Vance' });
    expect(stored.approvers.map((a) => a.mail).sort()).toEqual(mails);
    await activities.recordOutcome({ requestId: id, outcome: 'Expired' });
  });

  test('a group sponsor is expanded to its user members', async () => {
    const id = await submit(SEEDED.ben);
    const result = await activities.screenRequest(id);
    expect(result.outcome === 'eligible' && result.approvers.map((a) => a.mail).sort()).toEqual(['alex.wilber@contoso.com', 'patti.fernandez@contoso.com']);
    await activities.recordOutcome({ requestId: id, outcome: 'Expired' });
  });

  test('without GroupMember.Read.All (403 on the members list) a group sponsor adds nobody, and the request is declined rather than failed', async () => {
    emulator.addFault({ method: 'GET', path: '/v1.0/groups/', status: 403, count: 1, code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
    const id = await submit(SEEDED.ben);
    const result = await activities.screenRequest(id);
    expect(result).toEqual({ outcome: 'declined', reason: 'NoApprover' });
    emulator.clearFaults();
  });

  test('without sponsors the manager approves', async () => {
    const id = await submit(SEEDED.carol);
    const result = await activities.screenRequest(id);
    expect(result.outcome === 'eligible' && result.approvers.map((a) => a.mail)).toEqual(['lynne.robbins@contoso.com']);
    await activities.recordOutcome({ requestId: id, outcome: 'Expired' });
  });

  test('without sponsor or manager the configured fallback approvers (by mail or id) approve', async () => {
    const withFallback = activitiesWith({ FALLBACK_APPROVERS: `diego.siciliani@contoso.com, ${MEGAN_ID}` });
    const id = await submit(SEEDED.dan, undefined, withFallback);
    const result = await withFallback.screenRequest(id);
    expect(result.outcome === 'eligible' && result.approvers.map((a) => [a.id, a.mail])).toEqual([
      ['10000000-0000-4000-8000-000000000007', 'diego.siciliani@contoso.com'],
      [MEGAN_ID, 'megan.bowen@contoso.com'],
    ]);
    await withFallback.recordOutcome({ requestId: id, outcome: 'Expired' });
  });
});

describe('requestApproval', () => {
  test('mails each approver a personal link whose hash is stored, warns the current address, and runs once', async () => {
    const { guest, sponsor } = sponsoredGuest('ask');
    const id = await submit(guest.mail);
    await activities.screenRequest(id);
    const deadline = new Date(Date.now() + 3_600_000).toISOString();
    await activities.requestApproval({ requestId: id, deadline, reminder: false });
    await activities.requestApproval({ requestId: id, deadline, reminder: false });

    expect(await request(id)).toMatchObject({ status: 'AwaitingApproval', deadline });
    const approvals = mailTo(sponsor.mail);
    expect(approvals).toHaveLength(1);
    expect(approvals[0].html).toContain(guest.mail);
    const link = approvals[0].links.find((l) => l.startsWith(`${PUBLIC_BASE_URL}/api/approvals/${id}.`));
    expect(link).toBeDefined();
    const secret = link!.split('.').at(-1)!;
    expect((await store.openApprovalToken(id, hashLinkSecret(secret)))!.token).toMatchObject({ approverMail: sponsor.mail, expiresAt: deadline });
    expect(mailTo(guest.mail).map((m) => m.subject)).toEqual(['A change to your sign-in email was requested']);

    await activities.requestApproval({ requestId: id, deadline, reminder: true });
    const afterReminder = mailTo(sponsor.mail);
    expect(afterReminder).toHaveLength(2);
    expect(afterReminder[1].subject).toMatch(/^Reminder: /);
    expect(afterReminder[1].links.find((l) => l.includes('/api/approvals/'))).not.toBe(link);
    expect(mailTo(guest.mail)).toHaveLength(1);
    expect(await eventTypes(id)).toContain('ReminderSent');
    await activities.recordOutcome({ requestId: id, outcome: 'Expired' });
  });

  test('a reminder Graph refuses is audited and the round goes on: the other approvers are reminded, the request waits, a later run sends only the missing one', async () => {
    const sponsors = ['one', 'two'].map((n) => emulator.addUser({ displayName: `Sponsor ${n}`, mail: `sponsor.${n}.${stamp()}@contoso.com`, userType: 'Member' }) as { id: string; mail: string });
    const guest = emulator.addUser({ displayName: 'Guest remind', mail: `remind.${stamp()}@fabrikam.example`, userType: 'Guest', sponsors: sponsors.map((s) => s.id) }) as { mail: string };
    const id = await submit(guest.mail);
    await activities.screenRequest(id);
    const deadline = new Date(Date.now() + 3_600_000).toISOString();
    await activities.requestApproval({ requestId: id, deadline, reminder: false });
    const [refused, reminded] = (await request(id)).approvers;
    expect([refused?.mail, reminded?.mail].sort()).toEqual(sponsors.map((s) => s.mail).sort());
    const reminders = (address: string) => mailTo(address).filter((m) => m.subject.startsWith('Reminder: '));

    // The first reminder is refused for good (403 is not retried); the round still returns.
    emulator.addFault({ method: 'POST', path: `/v1.0/users/${encodeURIComponent(settings.MAIL_SENDER)}/sendMail`, status: 403, count: 1, code: 'ErrorAccessDenied', message: 'Access is denied.' });
    await activities.requestApproval({ requestId: id, deadline, reminder: true });
    expect((await request(id)).status).toBe('AwaitingApproval');
    const events = await store.listEvents(id);
    expect(events.filter((e) => e.type === 'MailFailed').map((e) => e.detail)).toEqual([
      expect.objectContaining({ key: `reminder:${refused!.id}`, attempt: 1, status: 403, code: 'ErrorAccessDenied', message: 'Access is denied.' }),
    ]);
    expect(events.find((e) => e.type === 'ReminderSent')?.detail).toEqual({ approvers: [reminded!.mail] });
    expect(reminders(refused!.mail)).toHaveLength(0);
    expect(reminders(reminded!.mail)).toHaveLength(1);

    // Run again (a re-run of the step): the missing reminder goes out, the sent one not twice.
    await activities.requestApproval({ requestId: id, deadline, reminder: true });
    expect(reminders(refused!.mail)).toHaveLength(1);
    expect(reminders(reminded!.mail)).toHaveLength(1);
    await activities.recordOutcome({ requestId: id, outcome: 'Expired' });
  });

  test('a reminder round run once the deadline passed reminds nobody', async () => {
    const sponsors = ['first', 'second'].map((n) => emulator.addUser({ displayName: `Sponsor ${n}`, mail: `sponsor.${n}.${stamp()}@contoso.com`, userType: 'Member' }) as { id: string; mail: string });
    const guest = emulator.addUser({ displayName: 'Guest late', mail: `late.${stamp()}@fabrikam.example`, userType: 'Guest', sponsors: sponsors.map((s) => s.id) }) as { mail: string };
    const id = await submit(guest.mail);
    await activities.screenRequest(id);
    await activities.requestApproval({ requestId: id, deadline: new Date(Date.now() + 3_600_000).toISOString(), reminder: false });
    const [first, second] = (await request(id)).approvers;
    // The deadline is behind the round (a re-run of the step after a long throttle, say).
    await activities.requestApproval({ requestId: id, deadline: new Date(Date.now() - 1).toISOString(), reminder: true });
    const reminders = (address: string) => mailTo(address).filter((m) => m.subject.startsWith('Reminder: '));
    expect(reminders(first!.mail)).toHaveLength(0);
    expect(reminders(second!.mail)).toHaveLength(0);
    expect(await eventTypes(id)).not.toContain('ReminderSent');
    await activities.recordOutcome({ requestId: id, outcome: 'Expired' });
  });

  test('asks nobody once an admin cancelled the request, and leaves it for the waiting instance to close', async () => {
    const { guest, sponsor } = sponsoredGuest('early');
    const id = await submit(guest.mail);
    await activities.screenRequest(id);
    await claimOutcome(store, { requestId: id, at: new Date().toISOString(), type: CANCEL_REQUESTED, actor: 'admin@contoso.com', detail: { reason: 'Mistake' } });
    await activities.requestApproval({ requestId: id, deadline: new Date(Date.now() + 3_600_000).toISOString(), reminder: false });
    expect(mailTo(sponsor.mail)).toEqual([]);
    expect(mailTo(guest.mail)).toEqual([]);
    expect((await request(id)).status).toBe('Received');
    expect(await activities.recordOutcome({ requestId: id, outcome: 'Cancelled', cancel: { reason: 'Mistake', by: 'admin@contoso.com', at: new Date().toISOString() } })).toBe('Cancelled');
  });
});

describe('recordOutcome', () => {
  test('Rejected keeps the decision, releases the lock and tells the current address once', async () => {
    const { guest, sponsor } = sponsoredGuest('rej');
    const id = await submit(guest.mail);
    await activities.screenRequest(id);
    await activities.requestApproval({ requestId: id, deadline: new Date(Date.now() + 60_000).toISOString(), reminder: false });
    const input = { requestId: id, outcome: 'Rejected' as const, decision: decision('rejected', sponsor.mail, 'Not known') };
    expect(await activities.recordOutcome(input)).toBe('Rejected');
    expect(await activities.recordOutcome(input)).toBe('Rejected');
    expect(await request(id)).toMatchObject({ status: 'Rejected', decision: { outcome: 'rejected', by: sponsor.mail, comment: 'Not known' } });
    expect(mailTo(guest.mail).map((m) => m.subject)).toEqual(['A change to your sign-in email was requested', 'Your sign-in email change request was closed']);
    const next = await submit(guest.mail);
    expect((await activities.screenRequest(next)).outcome).toBe('eligible');
    await activities.recordOutcome({ requestId: next, outcome: 'Cancelled', cancel: { reason: 'Phoned', by: 'admin@contoso.com', at: new Date().toISOString() } });
    expect(await request(next)).toMatchObject({ status: 'Cancelled', cancelReason: 'Phoned' });
    // A final request keeps its status whatever ends it later.
    expect(await activities.recordOutcome({ requestId: next, outcome: 'Expired' })).toBe('Cancelled');
  });
});

describe('settleDeadline', () => {
  test('with nothing claimed the deadline wins, also when run again', async () => {
    const id = await submit(sponsoredGuest('late').guest.mail);
    expect(await activities.settleDeadline(id)).toEqual({ kind: 'deadline' });
    expect(await activities.settleDeadline(id)).toEqual({ kind: 'deadline' });
    expect((await eventTypes(id)).filter((type) => type === DEADLINE_PASSED)).toHaveLength(1);
    // An approver arriving now loses to the deadline.
    expect(await claimOutcome(store, { requestId: id, at: new Date().toISOString(), type: DECISION_RECEIVED, actor: 'sponsor@contoso.com' })).toMatchObject({ type: DEADLINE_PASSED });
  });

  test('a decision or a cancel claimed just before the deadline stands', async () => {
    const decided = await submit(sponsoredGuest('just').guest.mail);
    const at = new Date().toISOString();
    const detail = { outcome: 'approved', approverId: 'approver-id', comment: 'In time' };
    expect(await claimOutcome(store, { requestId: decided, at, type: DECISION_RECEIVED, actor: 'sponsor@contoso.com', detail })).toBeUndefined();
    expect(await activities.settleDeadline(decided)).toEqual({
      kind: 'decision',
      decision: { outcome: 'approved', approverId: 'approver-id', approverMail: 'sponsor@contoso.com', at, comment: 'In time' },
    });

    const cancelled = await submit(sponsoredGuest('stop').guest.mail);
    await claimOutcome(store, { requestId: cancelled, at, type: CANCEL_REQUESTED, actor: 'admin@contoso.com', detail: { reason: 'Phoned' } });
    // A claim written before cancels had origins was an admin's.
    expect(await activities.settleDeadline(cancelled)).toEqual({ kind: 'cancel', cancel: { reason: 'Phoned', by: 'admin@contoso.com', at, origin: 'admin' } });
    expect(await eventTypes(cancelled)).not.toContain(DEADLINE_PASSED);
  });
});

describe('executeReset, completeRequest and sendOutcomeMails', () => {
  test('PATCHes mail, resets redemption once however often it runs, and completes with notifications', async () => {
    const { id, guest, sponsor, newEmail } = await approvedRequest('ok');
    const first = await activities.executeReset(id);
    expect(first).toMatchObject({ ok: true });
    const again = await activities.executeReset(id);
    expect(again).toEqual(first);

    expect(userById(guest.id)?.mail).toBe(newEmail);
    const invitations = invitationsFor(guest.id);
    expect(invitations).toHaveLength(1);
    expect(invitations[0]).toMatchObject({ invitedUserEmailAddress: newEmail, resetRedemption: true, sendInvitationMessage: false, inviteRedirectUrl: settings.INVITE_REDIRECT_URL });
    const stored = await request(id);
    expect(stored.previousMail).toBe(guest.mail);
    expect(stored.result).toMatchObject({ invitationId: invitations[0].id });

    expect(await activities.completeRequest({ requestId: id, outcome: first })).toBe('Completed');
    expect(await activities.completeRequest({ requestId: id, outcome: first })).toBe('Completed');
    expect(await request(id)).toMatchObject({ status: 'Completed' });
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    const redeem = mailTo(newEmail);
    expect(redeem).toHaveLength(1);
    expect(first.ok && redeem[0].links).toContain(first.ok ? first.inviteRedeemUrl : '');
    expect(mailTo(sponsor.mail).map((m) => m.subject)).toContainEqual(expect.stringMatching(/^Done: /));
    expect(await eventTypes(id)).toEqual(expect.arrayContaining(['PreviousMailSaved', 'MailUpdated', 'RedemptionReset', 'Completed']));

    // The lock is free again.
    const next = await submit(newEmail);
    expect((await activities.screenRequest(next)).outcome).toBe('eligible');
  });

  test('a permanent Graph refusal of the invitation is stored as the outcome; restoreMail puts mail back; Failed with Graph’s code, admins told', async () => {
    const { id, guest, newEmail } = await approvedRequest('perm');
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 403, count: 1, code: 'Authorization_RequestDenied', message: 'Insufficient privileges' });
    const outcome = await activities.executeReset(id);
    expect(outcome).toMatchObject({ ok: false, code: 'Authorization_RequestDenied' });
    expect(outcome.ok === false && outcome.requestId).toBeTruthy();
    expect(invitationsFor(guest.id)).toHaveLength(0);
    expect(await activities.executeReset(id)).toEqual(outcome);

    expect(await activities.restoreMail(id)).toBe('done');
    expect(userById(guest.id)?.mail).toBe(guest.mail);
    expect(await eventTypes(id)).toEqual(expect.arrayContaining(['MailUpdated', 'MailRestored', 'ResetFailed']));
    expect(await request(id)).toMatchObject({ mailRestore: 'done' });

    expect(await activities.completeRequest({ requestId: id, outcome })).toBe('Failed');
    expect(await request(id)).toMatchObject({ status: 'Failed', result: { code: 'Authorization_RequestDenied' } });
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    const failure = mailTo(ADMIN_MAIL).find((m) => m.subject.includes('Authorization_RequestDenied'));
    expect(failure?.html).toContain(`it was put back to ${guest.mail}`);
    expect(mailTo(guest.mail).at(-1)?.subject).toBe('Your sign-in email change request was closed');
    expect(mailTo(newEmail)).toHaveLength(0);
  });

  test('a transient Graph fault is thrown for the orchestrator to retry; restoreMail then undoes the PATCH, once', async () => {
    const { id, guest, newEmail } = await approvedRequest('transient');
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 503, count: 100, retryAfter: 0 });
    const error = await activities.executeReset(id).catch((e: unknown) => e);
    emulator.clearFaults();
    expect(error).toBeInstanceOf(GraphRequestError);
    expect((error as GraphRequestError).transient).toBe(true);
    expect(userById(guest.id)?.mail).toBe(newEmail);
    expect((await request(id)).result).toBeUndefined();
    expect((await request(id)).transientFaults).toMatchObject({ tries: 1, last: { code: 'ServiceUnavailable', requestId: (error as GraphRequestError).requestId } });

    expect(await activities.restoreMail(id)).toBe('done');
    expect(userById(guest.id)?.mail).toBe(guest.mail);
    expect(await activities.restoreMail(id)).toBe('notNeeded');
    expect((await eventTypes(id)).filter((t) => t === 'MailRestored')).toHaveLength(1);
  });

  test('an admin’s retry that fails again has a trail of its own: mail written and put back again, Failed again, everyone told again', async () => {
    const { id, guest, newEmail } = await approvedRequest('retried');
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 503, count: 100, retryAfter: 0 });
    await activities.executeReset(id).catch(() => undefined);
    emulator.clearFaults();
    expect(await activities.restoreMail(id)).toBe('done');
    const internal = { ok: false as const, code: 'InternalError', message: 'Internal error (reference r).' };
    expect(await activities.completeRequest({ requestId: id, outcome: internal })).toBe('Failed');
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    const toldBefore = mailTo(ADMIN_MAIL).length;

    // What the admin API's retry stores before it starts the retry's instance.
    await store.updateRequest(
      id,
      { status: 'Approved', result: undefined, mailRestore: undefined, resetAttempt: 2 },
      { requestId: id, id: 'retry-requested', at: new Date().toISOString(), type: 'RetryRequested', actor: 'admin' },
    );
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });
    const outcome = await activities.executeReset(id);
    expect(outcome).toMatchObject({ ok: false, code: 'BadRequest' });
    expect(userById(guest.id)?.mail).toBe(newEmail);
    expect(await activities.restoreMail(id)).toBe('done');
    expect(userById(guest.id)?.mail).toBe(guest.mail);
    expect(await activities.completeRequest({ requestId: id, outcome })).toBe('Failed');
    expect(await request(id)).toMatchObject({ status: 'Failed', result: { code: 'BadRequest' }, mailRestore: 'done', resetAttempt: 2 });
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    expect(mailTo(ADMIN_MAIL).length).toBeGreaterThan(toldBefore);
    const types = await eventTypes(id);
    for (const type of ['MailUpdated', 'MailRestored', 'Failed']) expect(types.filter((t) => t === type), type).toHaveLength(2);
    expect(await store.getGuestLock(guest.id)).toBeUndefined();
  });

  test.each([500, 502, 504])('an invitation answered %i is transient too: thrown for the orchestrator to retry', async (status) => {
    const { id } = await approvedRequest(`status${status}`);
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status, count: 100, retryAfter: 0 });
    const error = await activities.executeReset(id).catch((e: unknown) => e);
    emulator.clearFaults();
    expect(error).toMatchObject({ status, transient: true });
    expect(await activities.restoreMail(id)).toBe('done');
  });

  test('a restore Graph refuses is audited per try with Graph’s code and request-id, shows pending, alerts the admins once, and tells them when done', async () => {
    const { id, guest, newEmail } = await approvedRequest('restorefails');
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });
    const outcome = await activities.executeReset(id);
    expect(outcome).toMatchObject({ ok: false, code: 'BadRequest' });
    const alerts = () => mailTo(ADMIN_MAIL).filter((m) => m.subject.startsWith('Action may be needed') && m.html.includes(id));

    emulator.addFault({ method: 'PATCH', path: `/v1.0/users/${guest.id}`, status: 503, count: 100, retryAfter: 0 });
    expect(await activities.restoreMail(id)).toBe('pending');
    expect(await request(id)).toMatchObject({ mailRestore: 'pending' });
    expect(userById(guest.id)?.mail).toBe(newEmail);

    // The request ends while the restore is pending: the admins are alerted, the mails say so, and the guest stays locked.
    expect(await activities.completeRequest({ requestId: id, outcome })).toBe('Failed');
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    expect(alerts()).toHaveLength(1);
    expect(alerts()[0].html).toContain('ServiceUnavailable');
    const failure = mailTo(ADMIN_MAIL).find((m) => m.subject.includes('failed: BadRequest') && m.html.includes(id));
    expect(failure?.html).toContain(`could not be put back yet: it still reads ${newEmail}`);
    expect(failure?.html).not.toContain('was put back');
    const again = await submit(newEmail);
    expect(await activities.screenRequest(again)).toEqual({ outcome: 'declined', reason: 'DuplicateActiveRequest' });

    expect(await activities.restoreMail(id)).toBe('pending');
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    expect(alerts()).toHaveLength(1);
    const failedTries = (await store.listEvents(id)).filter((e) => e.type === 'MailRestoreFailed');
    expect(failedTries).toHaveLength(2);
    expect(failedTries.map((e) => e.detail)).toEqual([
      expect.objectContaining({ attempt: 1, status: 503, code: 'ServiceUnavailable', requestId: expect.any(String) }),
      expect.objectContaining({ attempt: 2, status: 503, code: 'ServiceUnavailable', requestId: expect.any(String) }),
    ]);

    emulator.clearFaults();
    expect(await activities.restoreMail(id)).toBe('done');
    expect(userById(guest.id)?.mail).toBe(guest.mail);
    expect(await request(id)).toMatchObject({ status: 'Failed', mailRestore: 'done' });
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    const resolved = mailTo(ADMIN_MAIL).filter((m) => m.subject.startsWith('Resolved:') && m.html.includes(id));
    expect(resolved).toHaveLength(1);
    expect(await activities.restoreMail(id)).toBe('notNeeded');
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    expect(mailTo(ADMIN_MAIL).filter((m) => m.subject.startsWith('Resolved:') && m.html.includes(id))).toHaveLength(1);
    // The lock went with the restore.
    const later = await submit(guest.mail);
    expect((await activities.screenRequest(later)).outcome).toBe('eligible');
  });

  test('mails Graph refuses cannot undo the stored outcome: each is audited MailFailed, answered pending, and only the missing ones go out later', async () => {
    const { id, guest, sponsor } = await approvedRequest('mailfails');
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });
    const outcome = await activities.executeReset(id);
    expect(await activities.restoreMail(id)).toBe('done');
    const sentBefore = emulator.outbox().length;
    expect(await activities.completeRequest({ requestId: id, outcome })).toBe('Failed');
    expect(await request(id)).toMatchObject({ status: 'Failed', result: { code: 'BadRequest' }, mailRestore: 'done' });
    expect(emulator.outbox().length).toBe(sentBefore);

    // The first two mails owed are refused (503, also on the client's own retry); the third goes out.
    emulator.addFault({ method: 'POST', path: `/v1.0/users/${encodeURIComponent(settings.MAIL_SENDER)}/sendMail`, status: 503, count: 4, retryAfter: 0 });
    expect(await activities.sendOutcomeMails(id)).toBe('pending');
    const failedMails = (await store.listEvents(id)).filter((e) => e.type === 'MailFailed');
    expect(failedMails.map((e) => e.detail)).toEqual([
      expect.objectContaining({ key: 'admin-failure', attempt: 1, status: 503, code: 'ServiceUnavailable', requestId: expect.any(String) }),
      expect.objectContaining({ key: 'approver-failure', attempt: 1, status: 503, code: 'ServiceUnavailable' }),
    ]);
    expect(mailTo(guest.mail).at(-1)?.subject).toBe('Your sign-in email change request was closed');
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    expect(mailTo(ADMIN_MAIL).filter((m) => m.html.includes(id) && m.subject.includes('failed: BadRequest'))).toHaveLength(1);
    expect(mailTo(sponsor.mail).filter((m) => m.subject.includes('failed: BadRequest'))).toHaveLength(1);
    expect(mailTo(guest.mail).filter((m) => m.subject === 'Your sign-in email change request was closed')).toHaveLength(1);
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    expect(emulator.outbox().length).toBe(sentBefore + 3);
  });

  test('a restore try that failed outside Graph leaves the stored facts: the request ends with mailRestore pending, the lock kept, and the mails say so', async () => {
    const { id, guest, newEmail } = await approvedRequest('storefails');
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });
    const outcome = await activities.executeReset(id);
    expect(await eventTypes(id)).toEqual(expect.arrayContaining(['PreviousMailSaved', 'MailUpdated']));
    // The orchestrator's restore try failed for good on the store: nothing about it was recorded.
    expect((await request(id)).mailRestore).toBeUndefined();

    // An internal error reported after Graph's refusal keeps Graph's code, message and request-id.
    const internal = { ok: false as const, code: 'InternalError', message: 'Internal error (reference r-1).' };
    expect(await activities.completeRequest({ requestId: id, outcome: internal })).toBe('Failed');
    expect(await request(id)).toMatchObject({ status: 'Failed', mailRestore: 'pending', result: outcome.ok ? {} : { code: 'BadRequest', requestId: outcome.requestId } });
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    const failure = mailTo(ADMIN_MAIL).find((m) => m.subject.includes('failed: BadRequest') && m.html.includes(id));
    expect(failure?.html).toContain(`could not be put back yet: it still reads ${newEmail}`);
    const alert = mailTo(ADMIN_MAIL).filter((m) => m.subject.startsWith('Action may be needed') && m.html.includes(id));
    expect(alert).toHaveLength(1);
    const again = await submit(newEmail);
    expect(await activities.screenRequest(again)).toEqual({ outcome: 'declined', reason: 'DuplicateActiveRequest' });

    expect(await activities.restoreMail(id)).toBe('done');
    expect(userById(guest.id)?.mail).toBe(guest.mail);
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    expect(mailTo(ADMIN_MAIL).filter((m) => m.subject.startsWith('Resolved:') && m.html.includes(id))).toHaveLength(1);
    const later = await submit(guest.mail);
    expect((await activities.screenRequest(later)).outcome).toBe('eligible');
  });

  test.each([
    ['a directory role', 'HasDirectoryRole', (user: { directoryRoles: string[] }) => void (user.directoryRoles = ['Guest Inviter'])],
    ['member status', 'NotAGuest', (user: { userType: string }) => void (user.userType = 'Member')],
  ])('a guest given %s since approval is refused before the PATCH, from one read of the guest with its roles', async (_change, code, change) => {
    const { id, guest } = await approvedRequest(`changed-${code}`);
    const state = emulator.exportState();
    change(state.users.find((u) => u.id === guest.id)!);
    emulator.importState(state);
    const before = emulator.calls().length;
    expect(await activities.executeReset(id)).toMatchObject({ ok: false, code });
    expect(emulator.calls().slice(before).map((c) => `${c.method} ${c.path}`)).toEqual([`GET /v1.0/users/${guest.id}`]);
    expect(userById(guest.id)?.mail).toBe(guest.mail);
    expect(invitationsFor(guest.id)).toHaveLength(0);
  });

  test('a request that is not approved is never reset', async () => {
    const { guest } = sponsoredGuest('notapproved');
    const id = await submit(guest.mail);
    await activities.screenRequest(id);
    expect(await activities.executeReset(id)).toMatchObject({ ok: false, code: 'NotApproved' });
    expect(invitationsFor(guest.id)).toHaveLength(0);
    await activities.recordOutcome({ requestId: id, outcome: 'Expired' });
  });
});

describe('version 4 steps', () => {
  const deadlineInAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
  /** The requester's cancel, claimed as its link does. */
  const cancelBy = (id: string) => ({ requestId: id, at: new Date().toISOString(), actor: 'requester', detail: { reason: 'Mistake', origin: 'requester' } });

  /** `beginRequest`, then the new address's confirmation claimed as its page does. */
  async function confirmedRequest(currentEmail: string, using: Activities = activities, newEmail = `v4.${stamp()}@northwind.example`) {
    const requestId = randomUUID();
    const mailedBefore = mailTo(newEmail).length;
    const input = { requestId, submission: { currentEmail, newEmail, reason: 'MovedCompany' as const }, source: { ip: '203.0.113.7' }, submittedAt: new Date().toISOString(), workflowVersion: 4 };
    const begun = await using.beginRequest(input);
    // Run again (a retry): nothing more is mailed and the mailed expiry stands.
    expect(await using.beginRequest(input)).toEqual(begun);
    expect(mailTo(newEmail)).toHaveLength(mailedBefore + 1);
    await claimConfirmation(store, { requestId, at: new Date().toISOString(), type: NEW_EMAIL_CONFIRMED, actor: newEmail });
    return requestId;
  }

  /** A fresh sponsored guest's request, confirmed, screened and its approver asked. */
  async function askedRequest(label: string) {
    const { guest, sponsor } = sponsoredGuest(label);
    const id = await confirmedRequest(guest.mail);
    await activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() });
    return { guest, sponsor, id };
  }

  test('begin, screen and ask, approve and reset: the request ends Completed with its whole trail, and the lock is free', async () => {
    const { guest, sponsor } = sponsoredGuest('lean');
    const id = await confirmedRequest(guest.mail);
    expect(await request(id)).toMatchObject({ status: 'AwaitingConfirmation' });
    expect(await activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).toEqual({ outcome: 'asked' });
    expect(await activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).toEqual({ outcome: 'asked' });
    expect(mailTo(sponsor.mail)).toHaveLength(1);
    expect(mailTo(guest.mail)).toHaveLength(1);
    expect(await request(id)).toMatchObject({ status: 'AwaitingApproval', guestId: guest.id, approvers: [{ mail: sponsor.mail }] });
    expect((await store.getGuestLock(guest.id))?.requestId).toBe(id);

    const done = await activities.approveAndReset({ requestId: id, decision: decision('approved', sponsor.mail) });
    expect(done).toMatchObject({ completed: true, outcome: { ok: true } });
    expect(await request(id)).toMatchObject({ status: 'Completed', decision: { outcome: 'approved', by: sponsor.mail }, previousMail: guest.mail });
    expect(await eventTypes(id)).toEqual(
      expect.arrayContaining(['Submitted', 'ConfirmationRequested', 'Confirmed', 'Screened', 'ApprovalRequested', 'Approved', 'PreviousMailSaved', 'MailUpdated', 'RedemptionReset', 'Completed']),
    );
    expect(await store.getGuestLock(guest.id)).toBeUndefined();
    expect(invitationsFor(guest.id)).toHaveLength(1);
  });

  test('a cancel claimed while the directory is read: nobody is asked and the guest is not left locked', async () => {
    const { guest, sponsor } = sponsoredGuest('leancancel');
    const id = await confirmedRequest(guest.mail);
    // The cancel lands after the lock is taken, before the approvers are asked.
    const racing: RequestStore = {
      ...store,
      acquireGuestLock: async (...args) => {
        const lock = await store.acquireGuestLock(...args);
        await claimCancel(store, await request(id), cancelBy(id));
        return lock;
      },
    };
    expect(await activitiesOver(racing).screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).toEqual({ outcome: 'asked' });
    expect(mailTo(sponsor.mail)).toEqual([]);
    expect(await store.getGuestLock(guest.id)).toBeUndefined();
    expect((await request(id)).confirmedAt).toBeDefined();
  });

  test('an ineligible member of two sponsor groups is skipped (and audited) once, and screening goes on', async () => {
    const { guest } = sponsoredGuest('twogroups');
    const member = (label: string, extra: Record<string, unknown> = {}) =>
      emulator.addUser({ displayName: label, mail: `${label}.${stamp()}@contoso.com`, userType: 'Member', ...extra }) as { id: string };
    const ok = (await graph.getUser(member('ok').id))!;
    const off = (await graph.getUser(member('off', { accountEnabled: false }).id))!;
    const twoGroups: GraphGateway = {
      ...graph,
      getSponsors: async () => [
        { kind: 'group', id: 'g1', displayName: 'G1', mail: null },
        { kind: 'group', id: 'g2', displayName: 'G2', mail: null },
      ],
      getGroupMembers: async () => [ok, off],
    };
    const using = createActivities({ graph: twoGroups, store, mailer: createMailer(graph, settings), adminDigest: createTableAdminDigest(settings), clock: () => new Date(), settings });
    const id = await confirmedRequest(guest.mail, using);
    expect(await using.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).toEqual({ outcome: 'asked' });
    expect((await store.listEvents(id)).filter((e) => e.type === 'ApproverSkipped').map((e) => e.detail?.id)).toEqual([off.id]);
  });

  test('Graph refusing the guest read for good: the approval is on record with the refusal, so the request can be told apart and retried', async () => {
    const { guest, sponsor, id } = await askedRequest('leanrefused');
    emulator.addFault({ method: 'GET', path: `/v1.0/users/${guest.id}`, status: 403, count: 1, code: 'Authorization_RequestDenied', message: 'Insufficient privileges' });
    const done = await activities.approveAndReset({ requestId: id, decision: decision('approved', sponsor.mail, 'Fine') });
    expect(done).toMatchObject({ completed: false, outcome: { ok: false, code: 'Authorization_RequestDenied' } });
    expect(await request(id)).toMatchObject({ status: 'Approved', decision: { outcome: 'approved', by: sponsor.mail, comment: 'Fine' }, result: { code: 'Authorization_RequestDenied' } });
    expect(await eventTypes(id)).toEqual(expect.arrayContaining(['Approved', 'ResetFailed']));
  });

  test('a step failing for good before any decision: Failed, the admins told nothing was changed, the asked approver told it closed, nobody told of an approval', async () => {
    const { guest, sponsor, id } = await askedRequest('failedundecided');
    const [adminsBefore, ownerBefore] = [mailTo(ADMIN_MAIL).length, mailTo(guest.mail).length];
    // What the orchestrator stores when a step's retries ran out (mail refused for minutes on end).
    expect(await activities.completeRequest({ requestId: id, outcome: { ok: false, code: 'InternalError', message: 'Internal error (reference r).' } })).toBe('Failed');
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    const toAdmins = mailTo(ADMIN_MAIL).slice(adminsBefore);
    expect(toAdmins.map((m) => m.subject)).toEqual(['Guest sign-in email change failed: InternalError']);
    expect(toAdmins[0].html).toContain('failed before anyone decided on it');
    expect(toAdmins[0].html).not.toContain('approved sign-in email change failed');
    const toSponsor = mailTo(sponsor.mail).slice(1);
    expect(toSponsor.map((m) => m.subject)).toEqual([`Closed: sign-in email change for Guest failedundecided`]);
    expect(toSponsor[0].html).not.toContain('you approved');
    // The owner was told of the request, so hears how it ended.
    expect(mailTo(guest.mail).slice(ownerBefore).map((m) => m.subject)).toEqual(['Your sign-in email change request was closed']);
  });

  test('a mail the step cannot go on without, refused by Graph: the step fails and the trail says why, each try once', async () => {
    const { guest, sponsor } = sponsoredGuest('mailrefused');
    const id = await confirmedRequest(guest.mail);
    const refuse = () =>
      emulator.addFault({ method: 'POST', path: `/v1.0/users/${encodeURIComponent(settings.MAIL_SENDER)}/sendMail`, status: 403, count: 1, code: 'ErrorAccessDenied', message: 'Access is denied.' });
    refuse();
    await expect(activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).rejects.toThrow();
    refuse();
    await expect(activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).rejects.toThrow();
    const failed = (await store.listEvents(id)).filter((e) => e.type === 'MailFailed').map((e) => e.detail);
    expect(failed).toEqual([1, 2].map((attempt) => expect.objectContaining({ key: expect.stringMatching(/^approval:/), attempt, status: 403, code: 'ErrorAccessDenied', requestId: expect.any(String) })));
    // Graph takes mail again: the step goes on and asks the approver once.
    expect(await activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).toEqual({ outcome: 'asked' });
    expect(mailTo(sponsor.mail)).toHaveLength(1);

    // The new address's confirmation likewise, from the request's first step.
    const requestId = randomUUID();
    refuse();
    const input = { requestId, submission: { currentEmail: guest.mail, newEmail: `refused.${stamp()}@northwind.example`, reason: 'MovedCompany' as const }, source: {}, submittedAt: new Date().toISOString(), workflowVersion: 4 };
    await expect(activities.beginRequest(input)).rejects.toThrow();
    expect((await store.listEvents(requestId)).filter((e) => e.type === 'MailFailed').map((e) => e.detail)).toEqual([expect.objectContaining({ key: 'confirmation', attempt: 1, code: 'ErrorAccessDenied' })]);
  });

  test('a step failing for good before the approvers were asked: only the admins hear of it', async () => {
    const { guest, sponsor } = sponsoredGuest('failedearly');
    const id = await confirmedRequest(guest.mail);
    const adminsBefore = mailTo(ADMIN_MAIL).length;
    expect(await activities.completeRequest({ requestId: id, outcome: { ok: false, code: 'InternalError', message: 'Internal error (reference r).' } })).toBe('Failed');
    expect(await activities.sendOutcomeMails(id)).toBe('sent');
    expect(mailTo(ADMIN_MAIL).slice(adminsBefore)).toHaveLength(1);
    expect(mailTo(sponsor.mail)).toEqual([]);
    expect(mailTo(guest.mail)).toEqual([]);
  });

  test('a reset that recovers after a passing fault: Completed, with the failed try on the trail and no fault left on the request', async () => {
    const { sponsor, id } = await askedRequest('recovers');
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 500, count: 1, retryAfter: 0 });
    const approval = decision('approved', sponsor.mail);
    await expect(activities.approveAndReset({ requestId: id, decision: approval })).rejects.toThrow();
    expect((await request(id)).transientFaults).toMatchObject({ tries: 1 });
    expect(await activities.approveAndReset({ requestId: id, decision: approval })).toMatchObject({ completed: true });
    const done = await request(id);
    expect(done.status).toBe('Completed');
    expect(done.transientFaults).toBeUndefined();
    expect(await eventTypes(id)).toContain('ResetTryFailed');
  });

  test('the invitation failing after the PATCH until the retries run out: the approval and the changed mail are on record, and mail goes back', async () => {
    const { guest, sponsor, id } = await askedRequest('leantransient');
    emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 503, count: 100, retryAfter: 0 });
    const approval = decision('approved', sponsor.mail);
    // The orchestrator's retry policy runs the step several times; each time the invitation fails.
    for (let attempt = 0; attempt < 3; attempt++) await expect(activities.approveAndReset({ requestId: id, decision: approval })).rejects.toThrow();
    emulator.clearFaults();
    const afterTries = await request(id);
    expect(afterTries).toMatchObject({ status: 'Approved', decision: { by: sponsor.mail }, previousMail: guest.mail });
    expect(afterTries.transientFaults).toEqual({ tries: 3, last: { code: 'ServiceUnavailable', message: expect.any(String), requestId: expect.any(String) } });
    const events = await store.listEvents(id);
    expect(events.filter((e) => e.type === 'MailUpdated' || e.type === 'Approved').map((e) => e.type)).toEqual(['Approved', 'MailUpdated']);
    expect(events.filter((e) => e.type === 'ResetTryFailed').map((e) => e.detail)).toEqual(
      [1, 2, 3].map((n) => expect.objectContaining({ try: n, status: 503, code: 'ServiceUnavailable', requestId: expect.any(String) })),
    );
    // Then, as the orchestrator does after an internal error: put mail back, store Failed, with
    // Graph's words for the last fault (DESIGN §2 step 7), marked transient so it may be retried.
    expect(await activities.restoreMail(id)).toBe('done');
    expect(userById(guest.id)?.mail).toBe(guest.mail);
    expect(await activities.completeRequest({ requestId: id, outcome: { ok: false, code: 'InternalError', message: 'x' } })).toBe('Failed');
    const failed = await request(id);
    expect(failed.result).toEqual({ ...afterTries.transientFaults!.last, transient: true });
    expect(failed.transientFaults).toBeUndefined();
    expect(whyNotRetryable(failed, new Date(), 3_600_000)).toBeUndefined();
    expect(await store.getGuestLock(guest.id)).toBeUndefined();
  });

  describe('run again after the process died (the local host runs a step again when its result was not committed)', () => {
    /** Made an ineligible guest by an admin, between two runs. */
    const disable = (guestId: string) => {
      const state = emulator.exportState();
      state.users.find((u) => u.id === guestId)!.accountEnabled = false;
      emulator.importState(state);
    };

    test('approveAndReset stored Completed but died before releasing the lock: the re-run releases it', async () => {
      const { guest, sponsor, id } = await askedRequest('diedcompleted');
      const approval = decision('approved', sponsor.mail);
      await expect(activitiesOver(dyingIn('releaseGuestLock', 'before')).approveAndReset({ requestId: id, decision: approval })).rejects.toThrow('died');
      expect(await request(id)).toMatchObject({ status: 'Completed' });
      expect((await store.getGuestLock(guest.id))?.requestId).toBe(id);

      expect(await activities.approveAndReset({ requestId: id, decision: approval })).toMatchObject({ completed: true, outcome: { ok: true } });
      expect(await store.getGuestLock(guest.id)).toBeUndefined();
      expect(invitationsFor(guest.id)).toHaveLength(1);
    });

    test('restoreMail stored done after the request ended but died before releasing the lock: the re-run releases it', async () => {
      const { guest, sponsor, id } = await askedRequest('diedrestored');
      emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });
      const { outcome } = await activities.approveAndReset({ requestId: id, decision: decision('approved', sponsor.mail) });
      emulator.addFault({ method: 'PATCH', path: `/v1.0/users/${guest.id}`, status: 503, count: 100, retryAfter: 0 });
      expect(await activities.restoreMail(id)).toBe('pending');
      emulator.clearFaults();
      expect(await activities.completeRequest({ requestId: id, outcome })).toBe('Failed');
      expect((await store.getGuestLock(guest.id))?.requestId).toBe(id);

      await expect(activitiesOver(dyingIn('releaseGuestLock', 'before')).restoreMail(id)).rejects.toThrow('died');
      expect(await request(id)).toMatchObject({ status: 'Failed', mailRestore: 'done' });
      expect(userById(guest.id)?.mail).toBe(guest.mail);
      expect((await store.getGuestLock(guest.id))?.requestId).toBe(id);

      expect(await activities.restoreMail(id)).toBe('notNeeded');
      expect(await store.getGuestLock(guest.id)).toBeUndefined();
    });

    test('restoreMail tried again after its done was stored (the answer lost) leaves alone the same address written since by a later request', async () => {
      const { guest, sponsor } = sponsoredGuest('restoredlater');
      const newEmail = `restoredlater.${stamp()}@northwind.example`;
      const id = await confirmedRequest(guest.mail, activities, newEmail);
      await activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() });
      emulator.addFault({ method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });
      const { outcome } = await activities.approveAndReset({ requestId: id, decision: decision('approved', sponsor.mail) });
      // The orchestrator counts the lost answer as pending and ends the request: `done` is stored, so the lock goes.
      await expect(activitiesOver(dyingIn('updateRequest', 'after')).restoreMail(id)).rejects.toThrow('died');
      expect(await activities.completeRequest({ requestId: id, outcome })).toBe('Failed');
      expect(await store.getGuestLock(guest.id)).toBeUndefined();

      // Before the orchestrator's next try, the guest asks again for the same address, and gets it.
      const later = await confirmedRequest(guest.mail, activities, newEmail);
      expect(await activities.screenAndAsk({ requestId: later, deadline: deadlineInAnHour() })).toEqual({ outcome: 'asked' });
      expect(await activities.approveAndReset({ requestId: later, decision: decision('approved', sponsor.mail) })).toMatchObject({ completed: true });
      expect(userById(guest.id)?.mail).toBe(newEmail);

      const tried = await activities.restoreMail(id);
      expect(userById(guest.id)?.mail).toBe(newEmail);
      expect(tried).toBe('notNeeded');
      expect((await eventTypes(id)).filter((type) => type === 'MailRestored')).toHaveLength(1);
    });

    test('screenAndAsk died after taking the lock, then a cancel landed: the re-run lets the lock go', async () => {
      const { guest, sponsor } = sponsoredGuest('diedcancelled');
      const id = await confirmedRequest(guest.mail);
      await expect(activitiesOver(dyingIn('acquireGuestLock', 'after')).screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).rejects.toThrow('died');
      expect((await store.getGuestLock(guest.id))?.requestId).toBe(id);
      await claimCancel(store, await request(id), cancelBy(id));

      expect(await activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).toEqual({ outcome: 'asked' });
      expect(await store.getGuestLock(guest.id)).toBeUndefined();
      expect(await activities.recordOutcome({ requestId: id, outcome: 'Cancelled', cancel: { reason: 'Mistake', by: 'requester', at: new Date().toISOString(), origin: 'requester' }, mailsFollow: true })).toBe('Cancelled');
      expect(mailTo(sponsor.mail)).toEqual([]);
    });

    test('screenAndAsk died after taking the lock, and the re-run declines: the lock goes before the decline is stored', async () => {
      const { guest } = sponsoredGuest('dieddeclined');
      const id = await confirmedRequest(guest.mail);
      await expect(activitiesOver(dyingIn('acquireGuestLock', 'after')).screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).rejects.toThrow('died');
      disable(guest.id);

      expect(await activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).toEqual({ outcome: 'declined', reason: 'AccountDisabled' });
      expect(await request(id)).toMatchObject({ status: 'Declined', guestId: guest.id });
      expect(await store.getGuestLock(guest.id)).toBeUndefined();
    });

    test('screenAndAsk stored the guest but lost the answer, so it let the lock go: the re-run takes it back, and a second request is declined', async () => {
      const { guest, sponsor } = sponsoredGuest('diedasked');
      const id = await confirmedRequest(guest.mail);
      await expect(activitiesOver(dyingIn('updateRequest', 'after')).screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).rejects.toThrow('died');
      expect(await request(id)).toMatchObject({ status: 'AwaitingApproval', guestId: guest.id });
      expect(await store.getGuestLock(guest.id)).toBeUndefined();

      expect(await activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).toEqual({ outcome: 'asked' });
      expect((await store.getGuestLock(guest.id))?.requestId).toBe(id);
      expect(mailTo(sponsor.mail)).toHaveLength(1);
      const second = await confirmedRequest(guest.mail);
      expect(await activities.screenAndAsk({ requestId: second, deadline: deadlineInAnHour() })).toEqual({ outcome: 'declined', reason: 'DuplicateActiveRequest' });
    });

    test('a second request took the lock let go that way before the re-run: it stays the active one, and the first one’s reset is refused', async () => {
      const { guest, sponsor } = sponsoredGuest('diedovertaken');
      const id = await confirmedRequest(guest.mail);
      await expect(activitiesOver(dyingIn('updateRequest', 'after')).screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).rejects.toThrow('died');
      const second = await confirmedRequest(guest.mail);
      expect(await activities.screenAndAsk({ requestId: second, deadline: deadlineInAnHour() })).toEqual({ outcome: 'asked' });

      expect(await activities.screenAndAsk({ requestId: id, deadline: deadlineInAnHour() })).toEqual({ outcome: 'asked' });
      expect((await store.getGuestLock(guest.id))?.requestId).toBe(second);
      expect(await activities.approveAndReset({ requestId: id, decision: decision('approved', sponsor.mail) })).toMatchObject({ completed: false, outcome: { ok: false, code: 'DuplicateActiveRequest' } });
      expect(userById(guest.id)?.mail).toBe(guest.mail);
    });
  });
});
