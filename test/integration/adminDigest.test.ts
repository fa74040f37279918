import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createGraphEmulator, type GraphEmulator } from '@guest-email-change/graph-emulator';
import type { ActivityDependencies } from '../../src/activities/activityDependencies.js';
import { adminAlertsFor } from '../../src/activities/adminAlerts.js';
import { sendAdminDigest } from '../../src/activities/adminDigest.js';
import { parseSettings } from '../../src/config/settings.js';
import type { EmailChangeRequest } from '../../src/domain/request.js';
import { createMsGraphGateway } from '../../src/graph/msGraphGateway.js';
import { createMailer } from '../../src/mail/mailer.js';
import { createAdminDigestFromTables, type AdminDigestEntry } from '../../src/store/adminDigest.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';
import { noApproverAdminEmail, resetFailedAdminEmail } from '../../src/templates/emails.js';

/**
 * The admins' digest against real back ends: the AdminDigest and request tables in Azurite, mail
 * through the mailer to the Graph emulator's outbox. Each test has tables of its own, and a clock
 * it moves by hand.
 */

const ADMINS = 'it-admins@contoso.com';
let emulator: GraphEmulator;
let server: Server;
let graphBaseUrl: string;

beforeAll(async () => {
  emulator = createGraphEmulator();
  server = createServer((req, res) => {
    emulator.handle(req, res, new URL(req.url ?? '/', 'http://127.0.0.1')).then(
      (handled) => {
        if (!handled) res.writeHead(404).end();
      },
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  graphBaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

/** Fresh tables, settings for `mode`, and a clock set to `now` (change `clock.now` to move it). */
function backEnds(mode: 'each' | 'digest' | 'both') {
  const settings = parseSettings({
    AzureWebJobsStorage: inject('azuriteConnectionString'),
    TABLE_NAME_PREFIX: `DigestIt${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    GRAPH_BASE_URL: graphBaseUrl,
    GRAPH_STATIC_TOKEN: 'local-dev',
    TENANT_VERIFIED_DOMAINS: 'contoso.com',
    PUBLIC_BASE_URL: 'https://guest-reset.example',
    APPROVAL_FORM_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
    ORG_NAME: 'Contoso',
    MAIL_SENDER: 'guest-reset@contoso.com',
    ADMIN_NOTIFICATION_EMAILS: ADMINS,
    ADMIN_NOTIFICATIONS: mode,
    ADMIN_TENANT_ID: 'c0a70500-0000-4000-8000-000000000000',
    ADMIN_API_AUDIENCE: 'api://guest-reset',
  });
  const tables = createStoreTables({ connectionString: settings.AzureWebJobsStorage, tableNamePrefix: settings.TABLE_NAME_PREFIX });
  const graph = createMsGraphGateway(settings, { maxRetries: 1, retryDelaySeconds: 0 });
  const clock = { now: new Date('2026-11-30T10:00:00.000Z') };
  const deps: ActivityDependencies = {
    settings,
    graph,
    store: createRequestStoreFromTables(tables),
    mailer: createMailer(graph, settings),
    adminDigest: createAdminDigestFromTables(tables),
    clock: () => clock.now,
  };
  return { deps, clock };
}

async function storedRequest(deps: ActivityDependencies, overrides: Partial<EmailChangeRequest> = {}): Promise<EmailChangeRequest> {
  const id = randomUUID();
  const request: EmailChangeRequest = {
    id,
    status: 'Failed',
    currentEmail: `ada.${id.slice(0, 8)}@fabrikam.com`,
    newEmail: `ada.${id.slice(0, 8)}@northwind.example`,
    reason: 'MovedCompany',
    guestId: 'guest-1',
    guestDisplayName: 'Ada Lovelace',
    source: {},
    submittedAt: '2026-11-30T09:00:00.000Z',
    updatedAt: '2026-11-30T09:00:00.000Z',
    approvers: [],
    result: { code: 'Forbidden', message: 'No.' },
    ...overrides,
  };
  await deps.store.createRequest(request, { requestId: id, id: `${id}:submitted`, at: request.submittedAt, type: 'Submitted', actor: 'requester' });
  return request;
}

const adminMails = (about?: string) => emulator.outbox().filter((m) => m.to.includes(ADMINS) && (!about || m.html.includes(about)));
const everything = (deps: ActivityDependencies) => deps.adminDigest.entriesBetween(undefined, '2100-01-01T00:00:00.000Z');

const entry = (at: string, requestId = randomUUID()): AdminDigestEntry => ({
  requestId,
  alert: 'admin-failure',
  at,
  subject: 'Guest sign-in email change failed: Forbidden',
  guest: 'Ada Lovelace',
  currentEmail: 'ada@fabrikam.com',
  newEmail: 'ada@northwind.example',
  mailedAtOnce: false,
});

test('recording is insert-if-absent per request and alert; a day is read from its first to its last millisecond, and no further', async () => {
  const { deps } = backEnds('digest');
  const before = entry('2026-11-29T23:59:59.999Z');
  const first = entry('2026-11-30T00:00:00.000Z');
  const last = entry('2026-11-30T23:59:59.999Z');
  const after = entry('2026-12-01T00:00:00.000Z');
  for (const e of [before, first, last, after]) await deps.adminDigest.record(e);
  await deps.adminDigest.record({ ...first, subject: 'recorded again' });

  const day = await deps.adminDigest.entriesBetween('2026-11-30T00:00:00.000Z', '2026-12-01T00:00:00.000Z');
  expect(day.map((e) => e.requestId)).toEqual([first.requestId, last.requestId]);
  expect(day[0]).toEqual(first);
  expect((await everything(deps)).map((e) => e.requestId)).toEqual([before, first, last, after].map((e) => e.requestId));
  expect((await deps.adminDigest.entriesBetween(undefined, '2026-11-30T00:00:00.000Z')).map((e) => e.requestId)).toEqual([before.requestId]);
});

test('digest mode: a routine alert is listed, not mailed, once, even when its step runs again on the next day; an urgent one is mailed at once and listed', async () => {
  const { deps, clock } = backEnds('digest');
  const failed = await storedRequest(deps);
  await (await adminAlertsFor(deps, failed))('admin-failure', resetFailedAdminEmail({ request: failed }), 'routine');
  clock.now = new Date('2026-12-01T10:00:00.000Z');
  await (await adminAlertsFor(deps, failed))('admin-failure', resetFailedAdminEmail({ request: failed }), 'routine');

  expect(adminMails(failed.id)).toEqual([]);
  expect(await everything(deps)).toEqual([
    { requestId: failed.id, alert: 'admin-failure', at: '2026-11-30T10:00:00.000Z', subject: 'Guest sign-in email change failed: Forbidden', guest: 'Ada Lovelace', currentEmail: failed.currentEmail, newEmail: failed.newEmail, mailedAtOnce: false },
  ]);
  expect((await deps.store.listEvents(failed.id)).filter((e) => e.type === 'AdminAlertListed')).toHaveLength(1);

  const urgent = await storedRequest(deps);
  await (await adminAlertsFor(deps, urgent))('mail-restore-alert', resetFailedAdminEmail({ request: urgent }), 'urgent');
  expect(adminMails(urgent.id)).toHaveLength(1);
  expect((await everything(deps)).find((e) => e.requestId === urgent.id)).toMatchObject({ alert: 'mail-restore-alert', mailedAtOnce: true });
});

test('each mode mails every alert at once and lists nothing; both mode mails and lists', async () => {
  const each = backEnds('each');
  const one = await storedRequest(each.deps);
  await (await adminAlertsFor(each.deps, one))('admin-failure', resetFailedAdminEmail({ request: one }), 'routine');
  expect(adminMails(one.id)).toHaveLength(1);
  expect(await everything(each.deps)).toEqual([]);

  const both = backEnds('both');
  const two = await storedRequest(both.deps);
  await (await adminAlertsFor(both.deps, two))('admin-failure', resetFailedAdminEmail({ request: two }), 'routine');
  expect(adminMails(two.id)).toHaveLength(1);
  expect(await everything(both.deps)).toMatchObject([{ requestId: two.id, mailedAtOnce: true }]);
});

test('the digest mails every alert recorded before its time in one mail, once; nothing when there is nothing new; the next lists only what came since', async () => {
  const { deps, clock } = backEnds('digest');
  const failed = await storedRequest(deps);
  const declined = await storedRequest(deps, { status: 'Declined', declineReason: 'NoApprover', result: undefined });
  await (await adminAlertsFor(deps, failed))('admin-failure', resetFailedAdminEmail({ request: failed }), 'routine');
  clock.now = new Date('2026-11-30T11:00:00.000Z');
  await (await adminAlertsFor(deps, declined))('admin-no-approver', noApproverAdminEmail({ request: declined, skipped: [] }), 'routine');
  const digests = () => adminMails().filter((m) => m.subject.startsWith('Guest sign-in email change digest') && (m.html.includes(failed.id) || m.html.includes(declined.id)));

  clock.now = new Date('2026-12-01T08:00:00.000Z');
  await sendAdminDigest(deps, '2026-12-01T08:00:00.000Z');
  expect(digests()).toHaveLength(1);
  const [digest] = digests();
  expect(digest.subject).toBe('Guest sign-in email change digest: 2 alerts');
  expect(digest.html).toContain(failed.id);
  expect(digest.html).toContain(declined.id);
  expect(digest.html.indexOf(failed.id)).toBeLessThan(digest.html.indexOf(declined.id));
  expect(await deps.adminDigest.coveredUntil()).toBe('2026-12-01T08:00:00.000Z');

  // The step run again, and the next period with nothing new: no mail.
  await sendAdminDigest(deps, '2026-12-01T08:00:00.000Z');
  await sendAdminDigest(deps, '2026-12-02T08:00:00.000Z');
  expect(digests()).toHaveLength(1);
  // A late re-run of an earlier digest step does not move the mark back (and so list alerts twice).
  await sendAdminDigest(deps, '2026-12-01T08:00:00.000Z');
  expect(await deps.adminDigest.coveredUntil()).toBe('2026-12-02T08:00:00.000Z');

  const later = await storedRequest(deps);
  clock.now = new Date('2026-12-02T09:00:00.000Z');
  await (await adminAlertsFor(deps, later))('admin-failure', resetFailedAdminEmail({ request: later }), 'routine');
  await sendAdminDigest(deps, '2026-12-03T08:00:00.000Z');
  const next = adminMails(later.id);
  expect(next).toHaveLength(1);
  expect(next[0].subject).toBe('Guest sign-in email change digest: 1 alert');
  expect(next[0].html).not.toContain(failed.id);
  expect(next[0].text).toContain('Since: Wednesday 2 December 2026 08:00 UTC');
});
