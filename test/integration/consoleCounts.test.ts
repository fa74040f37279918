import { randomUUID } from 'node:crypto';
import { beforeAll, expect, inject, test } from 'vitest';
import type { EmailChangeRequest, RequestStatus } from '../../src/domain/request.js';
import { parseRequestListQuery } from '../../src/http/adminQuery.js';
import { consoleCounts } from '../../src/http/consoleCounts.js';
import type { RequestStore } from '../../src/store/requestStore.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';

/** The figures at the top of the admin console, counted from a real store in Azurite. */

const NOW = new Date('2025-06-15T12:00:00.000Z');
/** The start of the day 7 days before NOW: the first instant "last 7 days" counts. */
const SINCE = '2025-06-08T00:00:00.000Z';
const JUST_BEFORE = '2025-06-07T23:59:59.999Z';

let store: RequestStore;

function request(status: RequestStatus, submittedAt: string, extra: Partial<EmailChangeRequest> = {}): EmailChangeRequest {
  return {
    id: randomUUID(),
    status,
    currentEmail: `guest.${randomUUID().slice(0, 8)}@partner.example`,
    newEmail: `new.${randomUUID().slice(0, 8)}@newco.example`,
    reason: 'ChangedProvider',
    source: {},
    submittedAt,
    updatedAt: submittedAt,
    approvers: [],
    ...(status === 'Declined' ? { declineReason: 'GuestNotFound' as const } : {}),
    ...extra,
  };
}

beforeAll(async () => {
  store = createRequestStoreFromTables(createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: 'ConsoleCountsT' }));
  const requests = [
    request('AwaitingConfirmation', '2025-06-15T11:00:00.000Z'),
    request('AwaitingConfirmation', '2025-05-01T11:00:00.000Z'),
    request('AwaitingApproval', '2025-06-01T11:00:00.000Z'),
    request('AwaitingApproval', '2025-06-14T11:00:00.000Z'),
    request('AwaitingApproval', '2025-06-15T10:00:00.000Z'),
    request('Failed', SINCE),
    request('Failed', JUST_BEFORE),
    request('Declined', '2025-06-10T08:00:00.000Z'),
    request('Declined', '2025-06-12T08:00:00.000Z'),
    request('Declined', '2025-05-20T08:00:00.000Z'),
    request('Cancelled', '2025-06-13T08:00:00.000Z', { reportedByOwner: true, cancelledBy: 'owner' }),
    request('Completed', '2025-06-09T08:00:00.000Z', { reportedByOwner: true }),
    request('Cancelled', '2025-06-01T08:00:00.000Z', { reportedByOwner: true, cancelledBy: 'owner' }),
    request('Cancelled', '2025-06-13T09:00:00.000Z', { cancelledBy: 'admin' }),
  ];
  await Promise.all(requests.map((r) => store.createRequest(r, { requestId: r.id, id: 'created', at: r.submittedAt, type: 'Submitted', actor: 'requester' })));
});

test('waiting for confirmation and in review count every such request; failed, declined and owner reports since the day 7 days ago', async () => {
  const figures = await consoleCounts(store, NOW);
  expect(figures.map(({ label, count, atLeast }) => [label, count, atLeast])).toEqual([
    ['Waiting for confirmation', 2, false],
    ['In review', 3, false],
    ['Failed, last 7 days', 1, false],
    ['Declined, last 7 days', 2, false],
    ['Owner reports, last 7 days', 2, false],
  ]);
});

test('each figure links to the list filters that show what it counts', async () => {
  const figures = await consoleCounts(store, NOW);
  expect(figures.map((figure) => figure.filters)).toEqual([
    { status: 'AwaitingConfirmation' },
    { status: 'AwaitingApproval' },
    { status: 'Failed', from: '2025-06-08' },
    { status: 'Declined', from: '2025-06-08' },
    { reportedByOwner: 'true', from: '2025-06-08' },
  ]);
});

test("each figure's link lists exactly the requests it counts", async () => {
  const figures = await consoleCounts(store, NOW);
  for (const figure of figures) {
    const listed = await store.listRequests(parseRequestListQuery(new URLSearchParams(figure.filters)));
    expect([figure.label, listed.items.length]).toEqual([figure.label, figure.count]);
  }
});
