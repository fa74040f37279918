import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createActivities, type Activities } from '../../src/activities/createActivities.js';
import { parseSettings } from '../../src/config/settings.js';
import { createGraphEmulator, type GraphEmulator } from '@guest-email-change/graph-emulator';
import { createMsGraphGateway } from '../../src/graph/msGraphGateway.js';
import { createTableAdminDigest } from '../../src/store/adminDigest.js';
import { createMailer } from '../../src/mail/mailer.js';
import type { RequestStore } from '../../src/store/requestStore.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';

/**
 * Only enabled internal members approve, at every tier (DESIGN §2 step 4): screenRequest against
 * the Graph emulator and Azurite, with a tenant where outsiders sponsor, sit in sponsor groups and
 * manage guests.
 */

const ADMIN_MAIL = 'identity-team@contoso.com';
const id = (n: number) => `50000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const member = (n: number, name: string, extra: object = {}) => ({ id: id(n), displayName: name, mail: `${name.toLowerCase()}@contoso.com`, userType: 'Member', ...extra });
const guest = (n: number, name: string, extra: object = {}) => ({ id: id(n), displayName: name, mail: `${name.toLowerCase()}@partner.example`, userType: 'Guest', ...extra });

const tenantSeed = () => {
  const seed = JSON.parse(readFileSync(path.resolve(__dirname, '../../packages/graph-emulator/src/tenant.seed.json'), 'utf8')) as { users: object[]; groups: object[] };
  seed.users.push(
    member(1, 'Insider'),
    member(2, 'Retired', { accountEnabled: false }),
    guest(3, 'Outsider'),
    member(4, 'Eve', { otherMails: ['approvals@contoso.com'] }),
    guest(10, 'SponsoredByOutsider', { sponsors: [id(3)] }),
    guest(11, 'SponsoredByMixedGroup', { sponsors: [id(90)] }),
    guest(12, 'OutsiderSponsorInsiderManager', { sponsors: [id(3), id(2)], manager: id(1) }),
    guest(13, 'ManagedByOutsider', { manager: id(3) }),
    guest(14, 'InsiderSponsorOutsiderManager', { sponsors: [id(1)], manager: id(3) }),
  );
  seed.groups.push({ id: id(90), displayName: 'Mixed sponsors', members: [id(3), id(1), id(2)] });
  return seed;
};

let emulator: GraphEmulator;
let server: Server;
let store: RequestStore;

function activitiesWith(extra: Record<string, string> = {}): Activities {
  const settings = parseSettings({
    AzureWebJobsStorage: inject('azuriteConnectionString'),
    TABLE_NAME_PREFIX: 'ApproverEligibilityIt',
    GRAPH_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    GRAPH_STATIC_TOKEN: 'local-dev',
    TENANT_VERIFIED_DOMAINS: 'contoso.com',
    PUBLIC_BASE_URL: 'https://guest-reset.example',
    APPROVAL_FORM_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
    ORG_NAME: 'Contoso',
    MAIL_SENDER: 'guest-reset@contoso.com',
    ADMIN_NOTIFICATION_EMAILS: ADMIN_MAIL,
    ADMIN_TENANT_ID: 'c0a70500-0000-4000-8000-000000000000',
    ADMIN_API_AUDIENCE: 'api://guest-reset',
    ...extra,
  });
  const graph = createMsGraphGateway(settings, { maxRetries: 1, retryDelaySeconds: 0 });
  return createActivities({ graph, store, mailer: createMailer(graph, settings), adminDigest: createTableAdminDigest(settings), clock: () => new Date(), settings });
}

beforeAll(async () => {
  emulator = createGraphEmulator({ seed: tenantSeed() });
  server = createServer((req, res) => {
    emulator.handle(req, res, new URL(req.url ?? '/', 'http://127.0.0.1')).then(
      (handled) => void (handled || res.writeHead(404).end()),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const tables = createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: 'ApproverEligibilityIt' });
  store = createRequestStoreFromTables(tables);
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

async function screen(currentEmail: string, activities = activitiesWith()) {
  const requestId = randomUUID();
  const newEmail = `new.${requestId.slice(0, 8)}@northwind.example`;
  await activities.recordRequest({ requestId, submission: { currentEmail, newEmail, reason: 'MovedCompany' }, source: { ip: '203.0.113.9', userAgent: 'vitest' }, submittedAt: new Date().toISOString() });
  const result = await activities.screenRequest(requestId);
  const events = await store.listEvents(requestId);
  const skips = events.filter((e) => e.type === 'ApproverSkipped').map((e) => `${String(e.detail?.mail)}:${String(e.detail?.tier)}:${String(e.detail?.reason)}`);
  return { requestId, result, skips: skips.sort(), request: await store.getRequest(requestId) };
}

const adminMails = (requestId: string) => emulator.outbox().filter((m) => m.to.includes(ADMIN_MAIL) && m.html.includes(requestId));

describe('screenRequest: approvers are enabled internal members at every tier', () => {
  test('a guest sponsor gets no link: skipped (audited) and, with no other tier, NoApprover with the admins told once', async () => {
    const { requestId, result, skips, request } = await screen('sponsoredbyoutsider@partner.example');
    expect(result).toEqual({ outcome: 'declined', reason: 'NoApprover' });
    expect(request?.declineReason).toBe('NoApprover');
    expect(skips).toEqual(['outsider@partner.example:sponsor:NotAMember']);
    expect(adminMails(requestId)).toHaveLength(1);
    expect(adminMails(requestId)[0].html).toContain('not an internal member');
    expect(emulator.outbox().some((m) => m.to.includes('outsider@partner.example'))).toBe(false);

    // Run again (a retried activity): no second mail, no second skip row.
    await activitiesWith().screenRequest(requestId);
    expect(adminMails(requestId)).toHaveLength(1);
    expect((await store.listEvents(requestId)).filter((e) => e.type === 'ApproverSkipped')).toHaveLength(1);
  });

  test('a sponsor group: its guest and disabled members are skipped, the enabled member approves', async () => {
    const { result, skips } = await screen('sponsoredbymixedgroup@partner.example');
    expect(result.outcome).toBe('eligible');
    expect(result.outcome === 'eligible' && result.approvers.map((a) => a.mail)).toEqual(['insider@contoso.com']);
    expect(skips).toEqual(['outsider@partner.example:sponsorGroupMember:NotAMember', 'retired@contoso.com:sponsorGroupMember:AccountDisabled']);
  });

  test('a sponsor who may approve: the manager is never read, so it is not listed as skipped', async () => {
    const before = emulator.calls().length;
    const { result, skips } = await screen('insidersponsoroutsidermanager@partner.example');
    expect(result.outcome === 'eligible' && result.approvers.map((a) => a.mail)).toEqual(['insider@contoso.com']);
    expect(skips).toEqual([]);
    expect(emulator.calls().slice(before).filter((c) => c.path.endsWith('/manager'))).toEqual([]);
  });

  test('sponsors who may not approve fall through to the manager', async () => {
    const { result, skips } = await screen('outsidersponsorinsidermanager@partner.example');
    expect(result.outcome === 'eligible' && result.approvers.map((a) => a.mail)).toEqual(['insider@contoso.com']);
    expect(skips).toEqual(['outsider@partner.example:sponsor:NotAMember', 'retired@contoso.com:sponsor:AccountDisabled']);
  });

  test('a guest manager falls through to the fallback; fallback guests and unknown addresses are skipped too', async () => {
    const fallback = 'outsider@partner.example,nobody@elsewhere.example,insider@contoso.com';
    const { result, skips } = await screen('managedbyoutsider@partner.example', activitiesWith({ FALLBACK_APPROVERS: fallback }));
    expect(result.outcome === 'eligible' && result.approvers.map((a) => a.mail)).toEqual(['insider@contoso.com']);
    expect(skips).toEqual([
      'nobody@elsewhere.example:fallback:NotInDirectory',
      'outsider@partner.example:fallback:NotAMember',
      'outsider@partner.example:manager:NotAMember',
    ]);
  });

  test('a fallback address names the user whose mail it is, never a member who lists it as an alternate address', async () => {
    const { result, skips } = await screen('managedbyoutsider@partner.example', activitiesWith({ FALLBACK_APPROVERS: 'approvals@contoso.com' }));
    expect(result).toEqual({ outcome: 'declined', reason: 'NoApprover' });
    expect(skips).toEqual(['approvals@contoso.com:fallback:NotInDirectory', 'outsider@partner.example:manager:NotAMember']);
    expect(emulator.outbox().some((m) => m.to.includes('eve@contoso.com'))).toBe(false);
  });

  test('a fallback list of nobody eligible declines NoApprover', async () => {
    const { result } = await screen('managedbyoutsider@partner.example', activitiesWith({ FALLBACK_APPROVERS: 'retired@contoso.com' }));
    expect(result).toEqual({ outcome: 'declined', reason: 'NoApprover' });
  });
});
