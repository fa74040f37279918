import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import type { EmailChangeRequest, RequestStatus } from '../../src/domain/request.js';
import type { RequestListQuery, RequestStore } from '../../src/store/requestStore.js';
import { toColumns } from '../../src/store/entityCodec.js';
import { indexKeys } from '../../src/store/listIndex.js';
import { StoreError } from '../../src/store/storeError.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';

let store: RequestStore;
/** Everything stored by this file, newest first. */
let all: EmailChangeRequest[];

function newRequest(index: number, submittedAt: string, status: RequestStatus): EmailChangeRequest {
  return {
    id: `${String(index).padStart(2, '0')}-${randomUUID()}`,
    status,
    currentEmail: `guest${index % 3}@partner.example`,
    newEmail: `guest${index}@newco.example`,
    reason: 'ChangedProvider',
    source: { ip: '198.51.100.1' },
    submittedAt,
    updatedAt: submittedAt,
    guestId: `g${index % 2}`,
    approvers: [{ id: 'a1', displayName: 'Approver', mail: 'approver@contoso.example' }],
    ...(status === 'Declined' ? { declineReason: 'NotAGuest' as const } : {}),
    ...(status === 'Completed'
      ? { decision: { outcome: 'approved' as const, by: 'approver@contoso.example', at: submittedAt }, result: { invitationId: `inv-${index}` } }
      : {}),
  };
}

/** Reads every page of `query` with page size `top`. */
async function readAll(query: RequestListQuery, top: number): Promise<{ pages: string[][]; items: EmailChangeRequest[] }> {
  const pages: string[][] = [];
  const items: EmailChangeRequest[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.listRequests({ ...query, top, continuationToken });
    pages.push(page.items.map((item) => item.id));
    items.push(...page.items);
    continuationToken = page.continuationToken;
    if (pages.length > all.length + 1) throw new Error('continuation tokens do not advance');
  } while (continuationToken);
  return { pages, items };
}

const ids = (requests: EmailChangeRequest[]) => requests.map((r) => r.id);

beforeAll(async () => {
  store = createRequestStoreFromTables(createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: 'StoreListT' }));
  const statuses: RequestStatus[] = ['Received', 'AwaitingApproval', 'Completed', 'Declined'];
  // 5 requests in April, 7 in May 2025 (two of them submitted in the same millisecond).
  const times = [
    '2025-04-03T08:00:00.000Z',
    '2025-04-10T08:00:00.000Z',
    '2025-04-20T08:00:00.000Z',
    '2025-04-30T23:59:59.999Z',
    '2025-04-15T08:00:00.000Z',
    '2025-05-01T00:00:00.000Z',
    '2025-05-02T08:00:00.000Z',
    '2025-05-02T08:00:00.000Z',
    '2025-05-09T08:00:00.000Z',
    '2025-05-15T08:00:00.000Z',
    '2025-05-20T08:00:00.000Z',
    '2025-05-31T08:00:00.000Z',
  ];
  const requests = times.map((at, i) => newRequest(i, at, statuses[i % statuses.length]));
  await Promise.all(requests.map((r) => store.createRequest(r, { requestId: r.id, id: 'created', at: r.submittedAt, type: 'Received', actor: 'requester' })));
  // Newest first; the same instant orders by id, as the index does.
  all = [...requests].sort((a, b) => Date.parse(b.submittedAt) - Date.parse(a.submittedAt) || (a.id < b.id ? -1 : 1));
});

describe('listRequests', () => {
  test('lists every request newest first with all summary fields', async () => {
    const page = await store.listRequests({});
    expect(ids(page.items)).toEqual(ids(all));
    expect(page.continuationToken).toBeUndefined();
    const completed = page.items.find((item) => item.status === 'Completed')!;
    expect(completed).toEqual(all.find((r) => r.id === completed.id));
    expect(completed.result).toMatchObject({ invitationId: expect.stringMatching(/^inv-/) });
    expect(page.items.find((item) => item.status === 'Declined')?.declineReason).toBe('NotAGuest');
  });

  test('pages with continuation tokens across the month boundary, each item exactly once', async () => {
    const { pages, items } = await readAll({}, 5);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(ids(items)).toEqual(ids(all));
    // Page 2 holds the end of May and the start of April.
    const secondPageMonths = new Set(items.slice(5, 10).map((r) => r.submittedAt.slice(0, 7)));
    expect(secondPageMonths).toEqual(new Set(['2025-05', '2025-04']));
  });

  test('pages with top 1, splitting two requests of the same millisecond', async () => {
    const { items } = await readAll({}, 1);
    expect(ids(items)).toEqual(ids(all));
  });

  test('gives no token when the page holds exactly the rest', async () => {
    const page = await store.listRequests({ top: all.length });
    expect(page.items).toHaveLength(all.length);
    expect(page.continuationToken).toBeUndefined();
  });

  test('filters by status', async () => {
    const { items } = await readAll({ statuses: ['Completed'] }, 2);
    expect(ids(items)).toEqual(ids(all.filter((r) => r.status === 'Completed')));
    expect(items.length).toBeGreaterThan(2);
  });

  test('filters by several statuses at once', async () => {
    const { items } = await readAll({ statuses: ['Completed', 'Declined'] }, 2);
    expect(ids(items)).toEqual(ids(all.filter((r) => r.status === 'Completed' || r.status === 'Declined')));
    expect(new Set(items.map((r) => r.status))).toEqual(new Set(['Completed', 'Declined']));
  });

  test('filters by email, matching the current or the new email exactly, case-insensitively', async () => {
    const { items } = await readAll({ email: 'GUEST1@partner.example' }, 2);
    expect(ids(items)).toEqual(ids(all.filter((r) => r.currentEmail === 'guest1@partner.example')));
    const byNew = await store.listRequests({ email: 'guest4@newco.example' });
    expect(ids(byNew.items)).toEqual(ids(all.filter((r) => r.newEmail === 'guest4@newco.example' || r.currentEmail === 'guest4@newco.example')));
    expect(byNew.items).toHaveLength(1);
  });

  test('filters by email prefix on either address, newest first, paging through the email index', async () => {
    // "guest1" starts guest1@partner (current) and guest1, guest10, guest11@newco (new): each request once.
    const expected = all.filter((r) => r.currentEmail.startsWith('guest1') || r.newEmail.startsWith('guest1'));
    expect(expected.length).toBeGreaterThan(4);
    for (const top of [1, 2, 50]) {
      const { items } = await readAll({ email: 'GuEsT1' }, top);
      expect(ids(items)).toEqual(ids(expected));
    }
    const { items: byDomain } = await readAll({ email: 'guest4@NEW' }, 1);
    expect(ids(byDomain)).toEqual(ids(all.filter((r) => r.newEmail.startsWith('guest4@new'))));
  });

  test('combines the email prefix with status, guest id and time bounds', async () => {
    const query = { email: 'guest', statuses: ['Completed', 'Received'] as RequestStatus[], guestId: 'g0', from: '2025-04-10T08:00:00.000Z', to: '2025-05-20T08:00:00.000Z' };
    const expected = all.filter((r) => query.statuses.includes(r.status) && r.guestId === 'g0' && r.submittedAt >= query.from && r.submittedAt <= query.to);
    expect(expected.length).toBeGreaterThan(1);
    const { items } = await readAll(query, 1);
    expect(ids(items)).toEqual(ids(expected));
  });

  test('filters by guest id', async () => {
    const { items } = await readAll({ guestId: 'g1' }, 4);
    expect(ids(items)).toEqual(ids(all.filter((r) => r.guestId === 'g1')));
  });

  test('filters by submission time, both bounds inclusive, across months', async () => {
    const from = '2025-04-20T08:00:00.000Z';
    const to = '2025-05-02T08:00:00.000Z';
    const { items, pages } = await readAll({ from, to }, 2);
    const expected = all.filter((r) => r.submittedAt >= from && r.submittedAt <= to);
    expect(ids(items)).toEqual(ids(expected));
    expect(expected).toHaveLength(5);
    expect(pages).toHaveLength(3);
  });

  test('combines filters', async () => {
    const query = { guestId: 'g0', from: '2025-05-01T00:00:00.000Z', statuses: ['AwaitingApproval'] as RequestStatus[] };
    const { items } = await readAll(query, 1);
    expect(ids(items)).toEqual(ids(all.filter((r) => r.guestId === 'g0' && r.submittedAt >= query.from && r.status === 'AwaitingApproval')));
  });

  test('returns an empty page when nothing matches', async () => {
    expect(await store.listRequests({ from: '2030-01-01T00:00:00.000Z' })).toEqual({ items: [], continuationToken: undefined });
    expect((await store.listRequests({ email: 'nobody@nowhere.example' })).items).toEqual([]);
  });

  test('shows status changes made by updateRequest', async () => {
    const target = all[3];
    await store.updateRequest(target.id, { status: 'Cancelled', cancelReason: 'test' }, { requestId: target.id, id: 'cancel', at: '2025-06-01T00:00:00.000Z', type: 'Cancelled', actor: 'admin' });
    const page = await store.listRequests({ statuses: ['Cancelled'] });
    expect(ids(page.items)).toEqual([target.id]);
    expect(page.items[0]).toMatchObject({ cancelReason: 'test', updatedAt: '2025-06-01T00:00:00.000Z' });
  });

  test('finds a request by an address it was changed to, never by the one it had', async () => {
    const target = all[5];
    const before = target.newEmail;
    await store.updateRequest(target.id, { newEmail: 'Renamed.Person@Elsewhere.example' }, { requestId: target.id, id: 'renamed', at: '2025-06-02T00:00:00.000Z', type: 'Test', actor: 'test' });
    expect(ids((await store.listRequests({ email: 'renamed.person@' })).items)).toEqual([target.id]);
    expect(ids((await store.listRequests({ email: before })).items)).not.toContain(target.id);
  });

  test('finds addresses starting with a digit or a sign, each in its own table of the index', async () => {
    const odd = ['7seven@partner.example', '_under@partner.example', '%pct@partner.example'].map((currentEmail, i) => ({
      ...newRequest(40 + i, `2025-07-0${i + 1}T00:00:00.000Z`, 'Received'),
      currentEmail,
    }));
    await Promise.all(odd.map((r) => store.createRequest(r, { requestId: r.id, id: 'created', at: r.submittedAt, type: 'Received', actor: 'requester' })));
    expect(ids((await store.listRequests({ email: '7S' })).items)).toEqual([odd[0]!.id]);
    expect(ids((await store.listRequests({ email: '_UNDER@' })).items)).toEqual([odd[1]!.id]);
    expect(ids((await store.listRequests({ email: '%p' })).items)).toEqual([odd[2]!.id]);
  });

  test('rejects malformed, tampered or foreign continuation tokens with InvalidContinuationToken', async () => {
    const page = await store.listRequests({ top: 2 });
    const token = page.continuationToken!;
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(token, 'base64url').toString()), m: 'May' })).toString('base64url');
    for (const query of [
      { continuationToken: 'not a token' },
      { continuationToken: Buffer.from('{"v":1}').toString('base64url') },
      { continuationToken: tampered },
      { continuationToken: token, statuses: ['Completed'] as RequestStatus[] },
    ]) {
      const error = await store.listRequests({ top: 2, ...query }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: 'InvalidContinuationToken' });
    }
  });

  test('rejects an unparseable time bound with InvalidListQuery', async () => {
    await expect(store.listRequests({ from: 'yesterday' })).rejects.toMatchObject({ code: 'InvalidListQuery' });
  });
});

describe('an account indexed by an earlier release', () => {
  test('the first list indexes the stored requests again, so none goes missing after an upgrade', async () => {
    const tables = createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: `StoreLegacy${randomUUID().slice(0, 8)}` });
    const request = newRequest(7, '2026-10-05T09:00:00.000Z', 'AwaitingApproval');
    // What the single-table release wrote: the request row, and its copy in a month partition of RequestIndex.
    await tables.call('Requests', 'createEntity', (client) => client.createEntity({ partitionKey: request.id, rowKey: 'request', ...toColumns(request) }));
    await tables.call('RequestIndex', 'createEntity', (client) => client.createEntity({ ...indexKeys(request.submittedAt, request.id), ...toColumns(request) }));
    await tables.call('RequestIndex', 'createEntity', (client) => client.createEntity({ partitionKey: 'months', rowKey: '2026-10' }));

    const upgraded = createRequestStoreFromTables(tables);
    expect(ids((await upgraded.listRequests({})).items)).toEqual([request.id]);
    expect(ids((await upgraded.listRequests({ email: request.newEmail.slice(0, 6).toUpperCase() })).items)).toEqual([request.id]);
    // Done once: a new process finds the account marked and reads the new layout straight away.
    expect(ids((await createRequestStoreFromTables(tables).listRequests({ statuses: ['AwaitingApproval'] })).items)).toEqual([request.id]);
  });
});

describe('a filter matching one request a month', () => {
  test('pages through many months, read several at a time, newest first and each once', async () => {
    const months = createRequestStoreFromTables(createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: 'StoreListMonthsT' }));
    const stored: EmailChangeRequest[] = [];
    for (let month = 0; month < 14; month++) {
      const first = new Date(Date.UTC(2023, month, 3, 8)).toISOString();
      const later = new Date(Date.UTC(2023, month, 20, 8)).toISOString();
      stored.push(newRequest(month * 2, first, 'Failed'), newRequest(month * 2 + 1, later, 'Completed'));
    }
    await Promise.all(stored.map((r) => months.createRequest(r, { requestId: r.id, id: 'created', at: r.submittedAt, type: 'Received', actor: 'requester' })));
    const failed = stored.filter((r) => r.status === 'Failed').reverse();
    const pages: string[][] = [];
    let continuationToken: string | undefined;
    do {
      const page = await months.listRequests({ statuses: ['Failed'], top: 4, continuationToken });
      pages.push(page.items.map((item) => item.id));
      continuationToken = page.continuationToken;
    } while (continuationToken && pages.length <= failed.length);
    expect(pages.map((page) => page.length)).toEqual([4, 4, 4, 2]);
    expect(pages.flat()).toEqual(ids(failed));
    expect(ids((await months.listRequests({ statuses: ['Failed'], top: 100 })).items)).toEqual(ids(failed));
  });
});
