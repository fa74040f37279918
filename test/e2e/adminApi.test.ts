import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, onTestFinished, test } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { EmailChangeRequest, RequestStatus } from '../../src/domain/request.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { adminCall } from './support/openApi.js';
import { startStorageGate, type StorageGate } from './support/storageGate.js';

/**
 * The admin list, export and cancel as DESIGN §4 states them, on the real host with the Graph
 * emulator. The requests are seeded straight into the app's tables (over a thousand, more than
 * one export page), so the filters meet known data; every response is checked against the
 * OpenAPI document by `adminCall`.
 */

const PREFIX = 'AdminApiE2e';
/** More than one store page (1000), so the export has to page. */
const BULK = 1001;

let app: LocalApp;
/** The app's way to its tables, so a test can hold its store reads back. */
let storage: StorageGate;
const named: Record<string, EmailChangeRequest> = {};
let bulk: EmailChangeRequest[] = [];

function request(id: string, submittedAt: string, status: RequestStatus, fields: Partial<EmailChangeRequest> = {}): EmailChangeRequest {
  return {
    id,
    status,
    currentEmail: `${id}@partner.example`,
    newEmail: `${id}@newco.example`,
    reason: 'ChangedProvider',
    source: { ip: '198.51.100.9' },
    submittedAt,
    updatedAt: submittedAt,
    guestId: randomUUID(),
    approvers: [{ id: 'sponsor', displayName: 'Sponsor', mail: 'sponsor@contoso.example' }],
    ...fields,
  };
}

beforeAll(async () => {
  const connectionString = inject('azuriteConnectionString');
  storage = await startStorageGate(connectionString);
  app = await startLocalApp({ env: { AzureWebJobsStorage: storage.connectionString, TABLE_NAME_PREFIX: PREFIX } });
  const store = createRequestStoreFromTables(createStoreTables({ connectionString, tableNamePrefix: PREFIX }));
  Object.assign(named, {
    ada: request('ada', '2024-03-01T09:00:00.000Z', 'Completed', { currentEmail: 'Ada.Lovelace@Partner.example', newEmail: 'ada@newco.example' }),
    adam: request('adam', '2024-03-05T00:00:00.000Z', 'Failed', { currentEmail: 'adam@partner.example', newEmail: 'Adam.Smith@Other.example', result: { code: 'Request_BadRequest', message: 'No.' } }),
    bob: request('bob', '2024-04-01T00:00:00.000Z', 'AwaitingApproval', { currentEmail: 'bob@partner.example', newEmail: 'ADA.l@elsewhere.example' }),
    carol: request('carol', '2024-04-10T12:00:00.000Z', 'Declined', { declineReason: 'NotAGuest' }),
    mallory: request('mallory', '2024-05-01T08:00:00.000Z', 'Cancelled', {
      displayName: '=HYPERLINK("http://evil.example","Zoë")',
      reasonDetail: 'He said "hi", then\r\nleft',
      reason: 'Other',
      cancelReason: '@SUM(A1)',
      guestDisplayName: '-2+3',
      approvers: [{ id: 'tab', displayName: 'Tab', mail: '\tapprover@contoso.example' }],
    }),
  });
  // The bulk rows are older than the named ones, spread over 2023, one second apart.
  bulk = Array.from({ length: BULK }, (_, i) => request(`bulk${i}`, new Date(Date.parse('2023-01-01T00:00:00Z') + i * 27_000_000).toISOString(), 'Completed'));
  const all = [...Object.values(named), ...bulk];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < all.length) {
        const r = all[next++]!;
        await store.createRequest(r, { requestId: r.id, id: 'created', at: r.submittedAt, type: 'Received', actor: 'requester' });
      }
    }),
  );
});
afterAll(async () => {
  await app?.stop();
  await storage?.close();
});

interface Page {
  items: { id: string; status: string }[];
  continuationToken: string | null;
}
interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, string> };
}

const list = (query: string) => adminCall<Page>(app, 'GET', `/api/admin/requests?${query}`);
const ids = async (query: string) => {
  const res = await list(query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items.map((item) => item.id);
};
/** Every id of every page, following the continuation tokens. */
async function allPages(query: string): Promise<{ ids: string[]; pages: number }> {
  const found: string[] = [];
  let pages = 0;
  let token: string | null = null;
  do {
    const res: { status: number; body: Page } = await list(`${query}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`);
    expect(res.status).toBe(200);
    found.push(...res.body.items.map((item) => item.id));
    token = res.body.continuationToken;
    pages++;
  } while (token);
  return { ids: found, pages };
}
const newestFirst = (requests: EmailChangeRequest[]) => [...requests].sort((a, b) => b.submittedAt.localeCompare(a.submittedAt)).map((r) => r.id);

describe('GET /api/admin/requests', () => {
  test('status takes several statuses, comma-separated, in any case', async () => {
    expect(await ids('status=completed,FAILED&from=2024-01-01')).toEqual(['adam', 'ada']);
    expect(await ids('status=awaitingapproval')).toEqual(['bob']);
  });

  test('email matches the start of the current or the new address, case-insensitively', async () => {
    // "ADA" starts Ada.Lovelace@ and adam@ (current) and ADA.l@ (new).
    expect(await ids('email=ADA')).toEqual(['bob', 'adam', 'ada']);
    expect(await ids('email=adam.S')).toEqual(['adam']);
    expect(await ids('email=Ada.Lovelace@PARTNER.example')).toEqual(['ada']);
    expect(await ids('email=nobody')).toEqual([]);
  });

  test('email combines with the status filter', async () => {
    expect(await ids('email=ada&status=Completed,AwaitingApproval')).toEqual(['bob', 'ada']);
  });

  test('guestId filters by the guest, its object id in any case', async () => {
    expect(await ids(`guestId=${named.bob!.guestId}`)).toEqual(['bob']);
    expect(await ids(`guestId=${named.bob!.guestId!.toUpperCase()}`)).toEqual(['bob']);
  });

  test('from and to are inclusive submission bounds', async () => {
    expect(await ids('from=2024-03-05T00:00:00.000Z&to=2024-04-01T00:00:00Z')).toEqual(['bob', 'adam']);
    expect(await ids('from=2024-04-01')).toEqual(['mallory', 'carol', 'bob']);
  });

  test('is newest first, and top takes 1 to 1000', async () => {
    const first = await list('top=1');
    expect(first.body.items.map((item) => item.id)).toEqual(['mallory']);
    expect(first.body.continuationToken).toEqual(expect.any(String));
    const most = await list('top=1000');
    expect(most.body.items).toHaveLength(1000);
    expect(most.body.items.slice(0, 5).map((item) => item.id)).toEqual(['mallory', 'carol', 'bob', 'adam', 'ada']);
  });

  test('pages through an email prefix with continuation tokens, each match once', async () => {
    // bulk1, bulk10–19, bulk100–199, bulk1000.
    const expected = newestFirst(bulk.filter((r) => r.id.startsWith('bulk1')));
    expect(expected).toHaveLength(112);
    const { ids: found, pages } = await allPages('email=BULK1&top=50');
    expect(found).toEqual(expected);
    expect(pages).toBe(3);
  });

  test.each([
    ['status=Bogus', 'status'],
    ['status=Failed,,Completed', 'status'],
    ['Status=Failed', 'Status'],
    ['colour=blue', 'colour'],
    ['top=0', 'top'],
    ['top=1001', 'top'],
    ['top=ten', 'top'],
    ['top=5&top=6', 'top'],
    ['top=+5', 'top'],
    ['top=%2B5', 'top'],
    ['top=%205', 'top'],
    ['top=5.0', 'top'],
    ['top=0x10', 'top'],
    ['top=1e2', 'top'],
    ['guestId=abc', 'guestId'],
    ['guestId=g-bob', 'guestId'],
    ['guestId=0b5f8a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b0', 'guestId'],
    ['guestId=%200b5f8a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b', 'guestId'],
    ['from=yesterday', 'from'],
    ['to=2024-13-45', 'to'],
    ['from=2024-05-02&to=2024-05-01', 'to'],
    ['email=a%20b', 'email'],
    ['continuationToken=garbage', 'continuationToken'],
  ])('%s is 400 InvalidQuery naming %s', async (query, name) => {
    const res = await adminCall<ErrorBody>(app, 'GET', `/api/admin/requests?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('InvalidQuery');
    expect(Object.keys(res.body.error.details ?? {})).toContain(name);
    expect(res.body.error.message).toContain(name);
  });

  test("a continuation token is refused with other filters than its page's", async () => {
    const token = (await list('top=1')).body.continuationToken!;
    const res = await adminCall<ErrorBody>(app, 'GET', `/api/admin/requests?top=1&status=Completed&continuationToken=${encodeURIComponent(token)}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toHaveProperty('continuationToken');
  });

  test('needs the admin token', async () => {
    expect((await adminCall(app, 'GET', '/api/admin/requests', { token: null })).status).toBe(401);
    expect((await adminCall(app, 'GET', '/api/admin/requests', { token: await app.adminToken([]) })).status).toBe(403);
  });
});

describe('GET /api/admin/requests/{id}', () => {
  test('shows a seeded request, matching the document', async () => {
    const res = await adminCall<{ request: { id: string; status: string } }>(app, 'GET', '/api/admin/requests/adam');
    expect(res.status).toBe(200);
    expect(res.body.request).toMatchObject({ id: 'adam', status: 'Failed' });
  });
});

describe('POST /api/admin/requests/{id}/cancel', () => {
  test.each([
    ['no body', {}],
    ['an empty body', { rawBody: '', headers: { 'content-type': 'application/json' } }],
    ['an empty body without a content type', { rawBody: '' }],
    ['an empty reason', { body: { reason: '  ' } }],
    ['a reason over 500 characters', { body: { reason: 'x'.repeat(501) } }],
  ])('with %s is 400 ValidationFailed, a reason is required', async (_, options) => {
    const res = await adminCall<ErrorBody>(app, 'POST', '/api/admin/requests/bob/cancel', options);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'ValidationFailed', message: 'A reason is required.' });
    expect(res.body.error.details).toHaveProperty('reason');
  });
});

describe('GET /api/admin/requests/export', () => {
  const exportCsv = (query: string, token?: string | null) => adminCall(app, 'GET', `/api/admin/requests/export${query ? `?${query}` : ''}`, { token });
  const rows = (csv: string) => csv.split('\r\n').slice(0, -1);

  test('is a UTF-8 CSV attachment with a header row, not a request called "export"', async () => {
    const res = await exportCsv('status=Declined');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="email-change-requests-\d{8}T\d{6}Z\.csv"$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const lines = rows(res.text);
    expect(lines[0]!.split(',').slice(0, 6)).toEqual(['id', 'status', 'submittedAt', 'updatedAt', 'currentEmail', 'newEmail']);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^carol,Declined,2024-04-10T12:00:00.000Z,/);
    expect(lines[1]).toContain(',NotAGuest,');
  });

  test('quotes as RFC 4180 says and escapes cells a spreadsheet would run as formulas', async () => {
    const res = await exportCsv(`guestId=${named.mallory!.guestId}`);
    const header = rows(res.text)[0]!.split(',');
    const body = res.text.slice(res.text.indexOf('\r\n') + 2);
    // The reason detail holds a quote, a comma and a CRLF: quoted, quotes doubled, line break kept.
    expect(body).toContain(',"He said ""hi"", then\r\nleft",');
    expect(body).toContain(`,"'=HYPERLINK(""http://evil.example"",""Zoë"")",`);
    expect(body).toContain(",'@SUM(A1),");
    expect(body).toContain(",'-2+3,");
    expect(body).toContain(",'\tapprover@contoso.example,");
    expect(body.endsWith('\r\n')).toBe(true);
    expect(header).toContain('reasonDetail');
    // No cell of the row starts with a formula character.
    const cells = [...body.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,\r\n]*)/g)].map((m) => m[1]!.replace(/^"|"$/g, ''));
    expect(cells.filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
  });

  test('applies the list filters and reads past one store page', async () => {
    const res = await exportCsv('email=bulk&status=completed');
    const lines = rows(res.text);
    expect(lines).toHaveLength(BULK + 1);
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(newestFirst(bulk));
  });

  test('is streamed: the header row arrives while the store pages are still being read', async () => {
    const token = await app.adminToken();
    const held = storage.hold(PREFIX);
    // Also when the test fails (a buffered export never answers while the store is held).
    onTestFinished(() => held.release());
    const res = await fetch(`${app.url}/api/admin/requests/export?email=bulk`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    // No store read has answered yet (the gate holds them all), so this came before any page.
    expect(new TextDecoder().decode(first.value)).toMatch(/^id,status,submittedAt,/);
    expect(held.waiting).toBeGreaterThan(0);
    held.release();
    let csv = new TextDecoder().decode(first.value);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) csv += new TextDecoder().decode(chunk.value);
    expect(csv.split('\r\n').slice(1, -1)).toHaveLength(BULK);
  });

  test('takes no paging parameters and refuses unknown ones, naming them', async () => {
    for (const [query, name] of [['top=10', 'top'], ['continuationToken=x', 'continuationToken'], ['state=Failed', 'state'], ['status=nope', 'status'], ['guestId=abc', 'guestId']]) {
      const res = await exportCsv(query!);
      expect(res.status).toBe(400);
      expect((res.body as ErrorBody).error.code).toBe('InvalidQuery');
      expect(Object.keys((res.body as ErrorBody).error.details ?? {})).toContain(name);
    }
  });

  test('needs the admin token', async () => {
    expect((await exportCsv('', null)).status).toBe(401);
    expect((await exportCsv('', await app.adminToken([]))).status).toBe(403);
  });
});

describe('GET /api/openapi.json', () => {
  test('serves a valid OpenAPI 3.1 document to anyone', async () => {
    const res = await fetch(`${app.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const document = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/admin/requests', '/api/admin/requests/export', '/api/requests']));
    expect((await new Validator().validate(document)).valid).toBe(true);
    const head = await fetch(`${app.url}/api/openapi.json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
