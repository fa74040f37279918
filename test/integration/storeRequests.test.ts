import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import type { AuditEvent, EmailChangeRequest } from '../../src/domain/request.js';
import type { RequestStore } from '../../src/store/requestStore.js';
import { StoreError } from '../../src/store/storeError.js';
import { createRequestStoreFromTables, createTableRequestStore } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';

const PREFIX = 'StoreRequestsT';
let store: RequestStore;
const operations: string[] = [];

beforeAll(() => {
  store = createRequestStoreFromTables(
    createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: PREFIX, onOperation: (op) => operations.push(op) }),
  );
});

function newRequest(overrides: Partial<EmailChangeRequest> = {}): EmailChangeRequest {
  return {
    id: randomUUID(),
    status: 'Received',
    currentEmail: 'ada@partner.example',
    newEmail: 'ada@newco.example',
    reason: 'MovedCompany',
    source: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
    submittedAt: '2025-03-04T10:00:00.000Z',
    updatedAt: '2025-03-04T10:00:00.000Z',
    approvers: [],
    ...overrides,
  };
}

function event(request: EmailChangeRequest, id: string, at: string, detail?: Record<string, unknown>): AuditEvent {
  return { requestId: request.id, id, at, type: id, actor: 'system', ...(detail ? { detail } : {}) };
}

async function countOperations(run: () => Promise<unknown>): Promise<string[]> {
  operations.length = 0;
  await run();
  return operations.filter((op) => !op.endsWith('.createTable'));
}

describe('createRequest / getRequest', () => {
  test('round-trips every field of a request', async () => {
    const request = newRequest({
      reasonDetail: 'New employer; old mailbox closed',
      displayName: 'Ada Lovelace',
      guestId: 'guest-1',
      guestDisplayName: 'Ada L. (Partner)',
      approvers: [{ id: 'u1', displayName: 'Bob Sponsor', mail: 'bob@contoso.example' }],
      deadline: '2025-03-11T10:00:00.000Z',
      declineReason: 'NoApprover',
      decision: { outcome: 'approved', by: 'bob@contoso.example', at: '2025-03-05T09:00:00.000Z', comment: 'ok' },
      result: { code: 'Request_BadRequest', message: 'bad', requestId: 'graph-req-1' },
      previousMail: null,
      cancelReason: 'duplicate',
    });
    await store.createRequest(request, event(request, 'created', request.submittedAt));
    expect(await store.getRequest(request.id)).toEqual(request);
  });

  test('returns undefined for an unknown id', async () => {
    expect(await store.getRequest(randomUUID())).toBeUndefined();
  });

  test('is idempotent and does not undo later changes when re-run', async () => {
    const request = newRequest();
    const created = event(request, 'created', request.submittedAt);
    await store.createRequest(request, created);
    await store.updateRequest(request.id, { status: 'AwaitingApproval' }, event(request, 'awaiting', '2025-03-04T10:01:00.000Z'));
    await store.createRequest(request, created);
    expect((await store.getRequest(request.id))?.status).toBe('AwaitingApproval');
    expect((await store.listEvents(request.id)).map((e) => e.id)).toEqual(['created', 'awaiting']);
    const listed = await store.listRequests({ guestId: undefined, email: request.currentEmail, from: request.submittedAt, to: request.submittedAt });
    expect(listed.items.find((item) => item.id === request.id)?.status).toBe('AwaitingApproval');
  });

  test('keeps text longer than one Table property (64 KiB) intact', async () => {
    const longDetail = 'x'.repeat(40_000) + 'é'.repeat(30_000);
    const request = newRequest({ reasonDetail: longDetail });
    await store.createRequest(request, event(request, 'created', request.submittedAt, { graphBody: longDetail }));
    expect((await store.getRequest(request.id))?.reasonDetail).toBe(longDetail);
    expect((await store.listEvents(request.id))[0].detail).toEqual({ graphBody: longDetail });
  });

  test('refuses an entity over the 1 MiB limit with EntityTooLarge', async () => {
    const request = newRequest({ reasonDetail: 'y'.repeat(600_000) });
    await expect(store.createRequest(request, event(request, 'created', request.submittedAt))).rejects.toMatchObject({ code: 'EntityTooLarge' });
  });
});

describe('updateRequest', () => {
  test('changes the request and appends the event, returning the updated request', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'created', request.submittedAt));
    const approvers = [{ id: 'u2', displayName: 'Carol', mail: 'carol@contoso.example' }];
    const updated = await store.updateRequest(request.id, { status: 'AwaitingApproval', approvers, guestId: 'g-2' }, event(request, 'approvers', '2025-03-04T10:02:00.000Z'));
    expect(updated).toEqual({ ...request, status: 'AwaitingApproval', approvers, guestId: 'g-2', updatedAt: '2025-03-04T10:02:00.000Z' });
    expect(await store.getRequest(request.id)).toEqual(updated);
    expect((await store.listEvents(request.id)).map((e) => e.id)).toEqual(['created', 'approvers']);
  });

  test('is a no-op for an event id already written, returning the stored request', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'created', request.submittedAt));
    const approved = event(request, 'approved', '2025-03-04T11:00:00.000Z');
    const first = await store.updateRequest(request.id, { status: 'Approved' }, approved);
    const again = await store.updateRequest(request.id, { status: 'Failed' }, { ...approved, at: '2025-03-04T12:00:00.000Z' });
    expect(again).toEqual(first);
    expect((await store.getRequest(request.id))?.status).toBe('Approved');
    expect(await store.listEvents(request.id)).toHaveLength(2);
  });

  test('commits the change and the event together: an event conflict leaves the request untouched', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'created', request.submittedAt));
    await store.appendEvent(event(request, 'rejected', '2025-03-04T11:00:00.000Z'));
    await store.updateRequest(request.id, { status: 'Rejected' }, event(request, 'rejected', '2025-03-04T11:00:00.000Z'));
    expect((await store.getRequest(request.id))?.status).toBe('Received');
  });

  test('clears a field set to undefined', async () => {
    const request = newRequest({ declineReason: 'NoApprover' });
    await store.createRequest(request, event(request, 'created', request.submittedAt));
    const updated = await store.updateRequest(request.id, { declineReason: undefined }, event(request, 'cleared', '2025-03-04T10:05:00.000Z'));
    expect(updated.declineReason).toBeUndefined();
    expect((await store.getRequest(request.id))?.declineReason).toBeUndefined();
  });

  test('loses no change when several updates race (etag retries)', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'created', request.submittedAt));
    await Promise.all([
      store.updateRequest(request.id, { guestId: 'g-race' }, event(request, 'guest', '2025-03-04T10:01:00.000Z')),
      store.updateRequest(request.id, { deadline: '2025-03-11T10:00:00.000Z' }, event(request, 'deadline', '2025-03-04T10:02:00.000Z')),
      store.updateRequest(request.id, { guestDisplayName: 'Ada' }, event(request, 'name', '2025-03-04T10:03:00.000Z')),
    ]);
    const stored = await store.getRequest(request.id);
    expect(stored).toMatchObject({ guestId: 'g-race', deadline: '2025-03-11T10:00:00.000Z', guestDisplayName: 'Ada' });
    expect(await store.listEvents(request.id)).toHaveLength(4);
  });

  test('throws RequestNotFound for an unknown id', async () => {
    const request = newRequest();
    const error = await store.updateRequest(request.id, { status: 'Approved' }, event(request, 'x', request.submittedAt)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'RequestNotFound' });
  });
});

describe('audit events', () => {
  test('list in time order whatever the ids, and appendEvent is idempotent by id', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'm-created', '2025-03-04T10:00:00.000Z'));
    await store.appendEvent(event(request, 'a-reminder', '2025-03-06T10:00:00.000Z', { to: ['bob@contoso.example'] }));
    await store.appendEvent(event(request, 'z-mailed', '2025-03-04T10:00:01.000Z'));
    await store.appendEvent({ ...event(request, 'a-reminder', '2025-03-07T10:00:00.000Z'), actor: 'someone else' });
    const events = await store.listEvents(request.id);
    expect(events.map((e) => e.id)).toEqual(['m-created', 'z-mailed', 'a-reminder']);
    expect(events[2]).toEqual({ requestId: request.id, id: 'a-reminder', at: '2025-03-06T10:00:00.000Z', type: 'a-reminder', actor: 'system', detail: { to: ['bob@contoso.example'] } });
  });

  test('appendEvent says whether it wrote: of many concurrent appends under one id exactly one wins', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'created', request.submittedAt));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.appendEvent({ ...event(request, 'claim', '2025-03-05T10:00:00.000Z'), actor: `approver-${i}` })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const claims = (await store.listEvents(request.id)).filter((e) => e.id === 'claim');
    expect(claims).toHaveLength(1);
    expect(claims[0]!.actor).toBe(`approver-${results.indexOf(true)}`);
    expect(await store.appendEvent(event(request, 'claim', '2025-03-05T10:00:00.000Z'))).toBe(false);
  });

  test('accept ids with characters that Table keys forbid', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'step/1#a?b\\c%', request.submittedAt));
    expect((await store.listEvents(request.id)).map((e) => e.id)).toEqual(['step/1#a?b\\c%']);
  });

  test('are stored in the request partition, the request as RowKey "request"', async () => {
    const request = newRequest();
    await store.createRequest(request, event(request, 'created', request.submittedAt));
    const table = TableClient.fromConnectionString(inject('azuriteConnectionString'), `${PREFIX}Requests`, { allowInsecureConnection: true });
    const rows = [];
    for await (const row of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${request.id}'` } })) rows.push(row.rowKey);
    expect(rows.sort()).toEqual(['event_created', 'request']);
  });
});

describe('Table Storage calls per method', () => {
  test('are few and as documented', async () => {
    const request = newRequest({ submittedAt: '2025-01-15T08:00:00.000Z', currentEmail: 'counted@partner.example' });
    const created = event(request, 'created', request.submittedAt);
    // First create in a month also records the month for the list; each address gets its email index row.
    expect((await countOperations(() => store.createRequest(request, created))).sort()).toEqual([
      'RequestEmailIndexa.upsertEntity',
      'RequestEmailIndexc.upsertEntity',
      'RequestIndex.upsertEntity',
      'RequestIndex202501.upsertEntity',
      'Requests.submitTransaction',
    ]);
    const second = newRequest({ submittedAt: '2025-01-16T08:00:00.000Z' });
    expect((await countOperations(() => store.createRequest(second, event(second, 'created', second.submittedAt)))).sort()).toEqual([
      'RequestEmailIndexa.upsertEntity',
      'RequestEmailIndexa.upsertEntity',
      'RequestIndex202501.upsertEntity',
      'Requests.submitTransaction',
    ]);
    expect(await countOperations(() => store.getRequest(request.id))).toEqual(['Requests.getEntity']);
    // Right after a read by this process, an update does not read again (its etag guards it).
    expect(await countOperations(() => store.updateRequest(request.id, { status: 'AwaitingApproval' }, event(request, 'u1', '2025-01-15T08:01:00.000Z')))).toEqual([
      'Requests.submitTransaction',
      'RequestIndex202501.upsertEntity',
    ]);
    expect(await countOperations(() => store.appendEvent(event(request, 'mail', '2025-01-15T08:02:00.000Z')))).toEqual(['Requests.createEntity']);
    expect(await countOperations(() => store.listEvents(request.id))).toEqual(['Requests.listEntities']);
    expect(await countOperations(() => store.listRequests({ from: '2025-01-01T00:00:00Z', to: '2025-01-31T23:59:59Z' }))).toEqual([
      'RequestIndex.listEntities',
      'RequestIndex202501.listEntities',
    ]);
    // An email search: the matching keys from the table of the first character, then the current copy of each match.
    expect(await countOperations(() => store.listRequests({ email: 'Counted@', from: '2025-01-01T00:00:00Z', to: '2025-01-31T23:59:59Z' }))).toEqual([
      'RequestEmailIndexc.listEntities',
      'RequestIndex202501.getEntity',
    ]);
  });
});

describe('createTableRequestStore', () => {
  test('works from the app settings against Azurite', async () => {
    const settings = parseSettings({
      AzureWebJobsStorage: inject('azuriteConnectionString'),
      TABLE_NAME_PREFIX: 'StoreSettingsT',
      TENANT_VERIFIED_DOMAINS: 'contoso.example',
      PUBLIC_BASE_URL: 'https://app.example',
      APPROVAL_FORM_SECRET: 's'.repeat(32),
      ORG_NAME: 'Contoso',
      MAIL_SENDER: 'noreply@contoso.example',
      ADMIN_TENANT_ID: 'tenant',
      ADMIN_API_AUDIENCE: 'api://guest-reset',
    });
    const fromSettings = createTableRequestStore(settings);
    const request = newRequest();
    await fromSettings.createRequest(request, event(request, 'created', request.submittedAt));
    expect(await fromSettings.getRequest(request.id)).toEqual(request);
    const table = TableClient.fromConnectionString(inject('azuriteConnectionString'), 'StoreSettingsTRequests', { allowInsecureConnection: true });
    expect((await table.getEntity(request.id, 'request')).status).toBe('Received');
  });
});
