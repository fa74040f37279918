import { odata, type TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import type { Settings } from '../config/settings.js';
import type { AuditEvent, EmailChangeRequest } from '../domain/request.js';
import { fromColumns, keySafe, toColumns } from './entityCodec.js';
import { emailIndexRows, emailIndexTableOf, emailPrefixFilter, matchesEmailPrefix } from './emailIndex.js';
import { decodeCursor, encodeCursor, indexKeys, indexMonth, invertedTime, monthIndexTable, monthOfRowKey, pageSize, parseListBound, type ListCursor } from './listIndex.js';
import type { GuestLock, OpenedToken, RequestListPage, RequestListQuery, RequestStore, StoredApprovalToken, StoredLinkToken, StoredToken } from './requestStore.js';
import { StoreError, tableStatusOf } from './storeError.js';
import { createStoreTables, storeTablesOptionsFrom, type StoreTableName, type StoreTables, type TableOperationListener } from './tables.js';

/*
 * Layout (DESIGN §6):
 *   Requests      PK = request id; RK `request` (the request), `event_<event id>` (audit trail),
 *                 `token_<sha256 hex>` (link-token hashes, with their purpose): one partition, so a status change
 *                 and its audit event commit in one entity-group transaction.
 *   RequestIndexyyyyMM  PK = submission month `yyyy-MM`, RK = inverted submission time + `_` + id
 *                 (a copy of the request, newest first), one table per month (see listIndex.ts).
 *   RequestIndex  PK `months` lists the months that hold requests.
 *   RequestEmailIndex<first character>  PK = lower-cased address, RK = the RequestIndex RowKey;
 *                 keys only, one row per address of a request (see emailIndex.ts).
 *   GuestLocks    PK = guest id, RK `lock`, column requestId.
 */
const REQUEST_ROW = 'request';
const EVENT_PREFIX = 'event_';
/** The character after `_`, so `[event_, event\`)` is exactly the event rows. */
const EVENT_PREFIX_END = 'event`';
const TOKEN_PREFIX = 'token_';
/** The character after `_`, so `[token_, token\`)` is exactly the token rows. */
const TOKEN_PREFIX_END = 'token`';
const LOCK_ROW = 'lock';
const MONTHS_PARTITION = 'months';
/**
 * Marks an account whose requests are all in the current index layout (a table per month and the
 * email index). Requests recorded by an earlier release sit only in `RequestIndex`'s month
 * partitions; the first list after an upgrade indexes every stored request again, then writes this.
 */
const INDEX_LAYOUT_MARKER = { partitionKey: 'layout', rowKey: 'monthTablesAndEmailIndex' };
/** Requests indexed at once while catching up. */
const REINDEX_BATCH = 50;
/** Lower-cased copies of the emails that index rows written before the email index still carry. */
const EMAIL_KEY_COLUMNS = ['currentEmailKey', 'newEmailKey'] as const;
const MAX_ETAG_ATTEMPTS = 5;
/** Month partitions read at once by a filtered list (status, guest) that the newest month did not fill. */
const FILTERED_MONTHS_AT_ONCE = 6;
/** Point reads in flight at once when a page is read through the email index. */
const MAX_PARALLEL_READS = 100;
const MAX_LOCK_ATTEMPTS = 3;
/** Requests (and locks) whose etag this process keeps (`lastSeen`, `heldLocks`): the ones its activities are working on. */
const LAST_SEEN_LIMIT = 1000;

/** A stored entity; the service always returns its keys and etag. */
type Row = TableEntityResult<Record<string, unknown>> & { partitionKey: string; rowKey: string; etag: string };
type NewEntity = { partitionKey: string; rowKey: string } & Record<string, unknown>;
type Page = Row[] & { continuationToken?: string };

/** The composition root's store: tables named from the settings, in Azurite or in Azure. */
export function createTableRequestStore(settings: Settings, options: { onOperation?: TableOperationListener } = {}): RequestStore {
  return createRequestStoreFromTables(createStoreTables(storeTablesOptionsFrom(settings, options)));
}

/** Table Storage refuses a `$top` above 1000 entities per query page. */
const TABLE_QUERY_LIMIT = 1000;

/** The store over given tables, so tests and benchmarks choose the account, prefix and listener. */
export function createRequestStoreFromTables(tables: StoreTables): RequestStore {
  // Months already recorded in the `months` partition by this process: saves a write per create.
  const recordedMonths = new Set<string>();

  const page = (table: StoreTableName, filter: string, maxPageSize: number | undefined, continuationToken: string | undefined) =>
    tables.call(table, 'listEntities', async (client: TableClient) => {
      const pages = client.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize, continuationToken });
      const { value } = await pages.next();
      return (value ?? []) as Page;
    });

  const queryAll = async (table: StoreTableName, filter: string): Promise<Row[]> => {
    const rows: Row[] = [];
    let continuationToken: string | undefined;
    do {
      const result = await page(table, filter, undefined, continuationToken);
      rows.push(...result);
      continuationToken = result.continuationToken;
    } while (continuationToken);
    return rows;
  };

  const getRow = async (table: StoreTableName, partitionKey: string, rowKey: string): Promise<Row | undefined> => {
    try {
      return (await tables.call(table, 'getEntity', (client) => client.getEntity<Record<string, unknown>>(partitionKey, rowKey))) as Row;
    } catch (error) {
      if (tableStatusOf(error) === 404) return undefined;
      throw error;
    }
  };

  /** Inserts; false when the row already exists (the idempotent re-run of an insert). */
  const insert = async (table: StoreTableName, entity: NewEntity): Promise<boolean> => {
    try {
      await tables.call(table, 'createEntity', (client) => client.createEntity(entity));
      return true;
    } catch (error) {
      if (tableStatusOf(error) === 409) return false;
      throw error;
    }
  };

  /** Deletes a row as it was read; false when it changed or went away since (412, 404). */
  const deleteIfUnchanged = async (table: StoreTableName, row: Row): Promise<boolean> => {
    try {
      await tables.call(table, 'deleteEntity', (client) => client.deleteEntity(row.partitionKey, row.rowKey, { etag: row.etag }));
      return true;
    } catch (error) {
      if (tableStatusOf(error) === 412 || tableStatusOf(error) === 404) return false;
      throw error;
    }
  };

  /**
   * The request as this process last read or wrote it, with its etag, so an update right after a
   * read does not read again. Another writer in between only costs a retry: every write carries
   * the etag, so a stale entry is refused (412), never written over a newer request.
   */
  const lastSeen = new Map<string, { request: EmailChangeRequest; etag: string }>();
  const remember = (request: EmailChangeRequest, etag: string | undefined) => {
    if (etag === undefined) lastSeen.delete(request.id);
    else keepNewest(lastSeen, request.id, { request, etag });
  };

  const readRequest = async (id: string): Promise<{ request: EmailChangeRequest; etag: string } | undefined> => {
    const row = await getRow('Requests', keySafe(id), REQUEST_ROW);
    if (!row) return undefined;
    const request = toRequest(row);
    remember(request, row.etag);
    return { request, etag: row.etag };
  };

  const listEvents = async (id: string): Promise<AuditEvent[]> =>
    eventsOf(await queryAll('Requests', odata`PartitionKey eq ${keySafe(id)} and RowKey ge ${EVENT_PREFIX} and RowKey lt ${EVENT_PREFIX_END}`));

  /** Saves token hashes one by one, insert-if-absent: after a transaction that carried them was refused. */
  const saveTokens = (tokens: readonly StoredToken[]) => Promise.all(tokens.map((token) => insert('Requests', tokenEntity(token))));

  const indexRequest = async (request: EmailChangeRequest): Promise<void> => {
    const { partitionKey, rowKey } = indexKeys(request.submittedAt, request.id);
    // The month goes first, so an index entry is never left in a month that lists don't visit.
    if (!recordedMonths.has(partitionKey)) {
      await tables.call('RequestIndex', 'upsertEntity', (client) => client.upsertEntity({ partitionKey: MONTHS_PARTITION, rowKey: partitionKey }, 'Replace'));
      recordedMonths.add(partitionKey);
    }
    await tables.call(monthIndexTable(partitionKey), 'upsertEntity', (client) => client.upsertEntity({ partitionKey, rowKey, ...toColumns(request) }, 'Replace'));
  };

  /** Upserts: re-running it, or indexing an address twice, writes the same rows. */
  const indexEmails = (request: EmailChangeRequest): Promise<unknown> =>
    Promise.all(
      emailIndexRows(request).map(({ table, ...row }) => tables.call(table, 'upsertEntity', (client) => client.upsertEntity(row, 'Replace'))),
    );

  /**
   * The email search: the RowKeys of every address matching the prefix (keys only, few rows),
   * newest first, then the current copy of each from the list index, read in batches until the
   * page is full. The copy is checked against every filter, so a row left behind by a changed
   * address or an index write that never finished is skipped, never shown.
   */
  const listByEmail = async (query: RequestListQuery & { email: string }, top: number, fromMs: number | undefined, toMs: number | undefined, cursor: ListCursor | undefined) => {
    const clauses = [emailPrefixFilter(query.email), ...rowKeyBounds(fromMs, toMs, cursor?.afterRowKey)];
    const rowKeys = [...new Set((await queryAll(emailIndexTableOf(query.email), clauses.join(' and '))).map((row) => row.rowKey))].sort();
    const found: { cursor: ListCursor; request: EmailChangeRequest }[] = [];
    let next = 0;
    while (found.length <= top && next < rowKeys.length) {
      const batch = rowKeys.slice(next, next + Math.min(top + 1 - found.length, MAX_PARALLEL_READS));
      next += batch.length;
      const rows = await Promise.all(
        batch.map((rowKey) => {
          const month = monthOfRowKey(rowKey);
          return getRow(monthIndexTable(month), month, rowKey);
        }),
      );
      for (const row of rows) {
        const request = row && toRequest(row);
        if (request && matchesEmailPrefix(request, query.email) && matchesFilters(request, query)) {
          found.push({ cursor: { month: row.partitionKey, afterRowKey: row.rowKey }, request });
        }
      }
    }
    return found;
  };

  /**
   * Once per process: unless the account is marked as done, and when `RequestIndex` still holds
   * month partitions of the single-table index, indexes every stored request again, so an upgrade
   * loses no request from the admin list. Upserts only, so two processes catching up at once write
   * the same rows; a failure is tried again by the next list.
   */
  let caughtUp: Promise<void> | undefined;
  const catchUpIndex = (): Promise<void> =>
    (caughtUp ??= (async () => {
      if (await getRow('RequestIndex', INDEX_LAYOUT_MARKER.partitionKey, INDEX_LAYOUT_MARKER.rowKey)) return;
      const legacy = await page('RequestIndex', odata`PartitionKey ne ${MONTHS_PARTITION} and PartitionKey ne ${INDEX_LAYOUT_MARKER.partitionKey}`, 1, undefined);
      const stored = legacy.length === 0 ? [] : (await queryAll('Requests', odata`RowKey eq ${REQUEST_ROW}`)).map(toRequest);
      for (let i = 0; i < stored.length; i += REINDEX_BATCH) {
        await Promise.all(stored.slice(i, i + REINDEX_BATCH).map((request) => Promise.all([indexRequest(request), indexEmails(request)])));
      }
      await insert('RequestIndex', INDEX_LAYOUT_MARKER);
    })().catch((error: unknown) => {
      caughtUp = undefined;
      throw error;
    }));

  const listRequests = async (query: RequestListQuery): Promise<RequestListPage> => {
    await catchUpIndex();
    const top = pageSize(query.top);
    const fromMs = query.from === undefined ? undefined : parseListBound(query.from, 'from');
    const toMs = query.to === undefined ? undefined : parseListBound(query.to, 'to');
    const cursor = query.continuationToken === undefined ? undefined : decodeCursor(query.continuationToken, query);
    const found = query.email ? await listByEmail({ ...query, email: query.email }, top, fromMs, toMs, cursor) : await listByMonth(query, top, fromMs, toMs, cursor);
    // One more than a page was looked for, so a full page only carries a token when something follows it.
    const items = found.slice(0, top);
    return {
      items: items.map((item) => item.request),
      continuationToken: found.length > top ? encodeCursor(items[items.length - 1].cursor, query) : undefined,
    };
  };

  /** Every other search: the month partitions newest first, filtered by the service. */
  const listByMonth = async (query: RequestListQuery, top: number, fromMs: number | undefined, toMs: number | undefined, cursor: ListCursor | undefined) => {
    const newestMonth = [cursor?.month, toMs === undefined ? undefined : indexMonth(toMs)].filter((m): m is string => !!m).sort()[0];
    const monthFilters = [odata`PartitionKey eq ${MONTHS_PARTITION}`];
    if (fromMs !== undefined) monthFilters.push(odata`RowKey ge ${indexMonth(fromMs)}`);
    if (newestMonth !== undefined) monthFilters.push(odata`RowKey le ${newestMonth}`);
    const months = (await queryAll('RequestIndex', monthFilters.join(' and '))).map((row) => row.rowKey).sort().reverse();

    /** Up to `wanted` rows of one month, newest first. */
    const readMonth = async (month: string, wanted: number) => {
      const filter = itemFilter(month, query, fromMs, toMs, cursor?.month === month ? cursor.afterRowKey : undefined);
      const rows: { cursor: ListCursor; request: EmailChangeRequest }[] = [];
      let continuationToken: string | undefined;
      do {
        const result = await page(monthIndexTable(month), filter, Math.min(TABLE_QUERY_LIMIT, wanted - rows.length), continuationToken);
        for (const row of result) rows.push({ cursor: { month, afterRowKey: row.rowKey }, request: toRequest(row) });
        continuationToken = result.continuationToken;
      } while (continuationToken && rows.length < wanted);
      return rows;
    };
    // A filter may match few requests a month, so a page can need many months. The newest is read
    // alone (a common status fills the page there); then as many older ones at once as the matches
    // seen so far say the page still needs (up to a limit), their order kept, rather than one round
    // trip after another.
    const filtered = !!query.statuses?.length || query.guestId !== undefined || query.reportedByOwner !== undefined;
    const found: { cursor: ListCursor; request: EmailChangeRequest }[] = [];
    for (let next = 0; next < months.length && found.length <= top; ) {
      const wanted = top + 1 - found.length;
      const monthsNeeded = next === 0 || !filtered ? 1 : Math.ceil(wanted / Math.max(1, found.length / next));
      const wave = months.slice(next, next + Math.min(monthsNeeded, FILTERED_MONTHS_AT_ONCE));
      next += wave.length;
      found.push(...(await Promise.all(wave.map((month) => readMonth(month, wanted)))).flat().slice(0, wanted));
    }
    return found;
  };

  /**
   * The etag of each lock this process took or extended and has not released, so extending and
   * releasing it need no read first. Someone else's write since only makes that try fail (412):
   * then the lock is read and checked as usual.
   */
  const heldLocks = new Map<string, { requestId: string; etag: string }>();

  const readLock = async (guestId: string): Promise<Row | undefined> => {
    heldLocks.delete(guestId);
    return getRow('GuestLocks', keySafe(guestId), LOCK_ROW);
  };

  /** Writes `requestId`'s lock; false on the statuses that mean someone else's lock stands (`refusedOn`). */
  const lockWrite = async (guestId: string, requestId: string, write: (client: TableClient) => Promise<{ etag?: string }>, ...refusedOn: number[]): Promise<boolean> => {
    try {
      const { etag } = await tables.call('GuestLocks', 'writeEntity', write);
      if (etag) keepNewest(heldLocks, guestId, { requestId, etag });
      return true;
    } catch (error) {
      const status = tableStatusOf(error);
      if (status !== undefined && refusedOn.includes(status)) return false;
      throw error;
    }
  };

  return {
    async createRequest(request, events, tokens = []) {
      const actions: TransactionAction[] = [
        ['create', { partitionKey: keySafe(request.id), rowKey: REQUEST_ROW, ...toColumns(request) }],
        ...distinctEvents([events].flat()).map((event): TransactionAction => ['create', eventEntity(request.id, event)]),
        ...tokens.map((token): TransactionAction => ['create', tokenEntity(token)]),
      ];
      let indexed = request;
      try {
        const written = await tables.call('Requests', 'submitTransaction', (client) => client.submitTransaction(actions));
        remember(request, written.subResponses[0]?.etag);
      } catch (error) {
        const current = tableStatusOf(error) === 409 ? await readRequest(request.id) : undefined;
        if (!current) throw error;
        // A re-run: the request may have moved on since, so index what is stored, not the input.
        indexed = current.request;
        await saveTokens(tokens);
      }
      await Promise.all([indexRequest(indexed), indexEmails(indexed)]);
      return { request: indexed, created: indexed === request };
    },

    async getRequest(id) {
      return (await readRequest(id))?.request;
    },

    async readRequestWithEvents(id) {
      const partition = odata`PartitionKey eq ${keySafe(id)}`;
      const rows = await queryAll('Requests', `${partition} and (${odata`RowKey eq ${REQUEST_ROW}`} or (${odata`RowKey ge ${EVENT_PREFIX} and RowKey lt ${EVENT_PREFIX_END}`}))`);
      const row = rows.find((candidate) => candidate.rowKey === REQUEST_ROW);
      if (!row) return undefined;
      const request = toRequest(row);
      remember(request, row.etag);
      return { request, events: eventsOf(rows.filter((candidate) => candidate !== row)) };
    },

    async updateRequest(id, changes, events, tokens = []) {
      let appended = distinctEvents([events].flat());
      for (let attempt = 1; ; attempt++) {
        const remembered = attempt === 1 ? lastSeen.get(id) : undefined;
        const current = remembered ?? (await readRequest(id));
        if (!current) throw new StoreError('RequestNotFound', `Request ${id} does not exist`);
        let change: Partial<EmailChangeRequest>;
        try {
          change = typeof changes === 'function' ? changes(current.request) : changes;
        } catch (refusal) {
          // A refusal must come from the stored request, not from what this process saw earlier.
          if (!remembered) throw refusal;
          lastSeen.delete(id);
          continue;
        }
        const updated: EmailChangeRequest = { ...current.request, ...change, id: current.request.id, updatedAt: change.updatedAt ?? appended[0]!.at };
        const actions: TransactionAction[] = [
          ['update', { partitionKey: keySafe(id), rowKey: REQUEST_ROW, ...toColumns(updated) }, 'Replace', { etag: current.etag }],
          ...appended.map((event): TransactionAction => ['create', eventEntity(id, event)]),
          ...tokens.map((token): TransactionAction => ['create', tokenEntity(token)]),
        ];
        let outcome: 'written' | 'alreadyWritten' | 'conflict';
        try {
          const written = await tables.call('Requests', 'submitTransaction', (client) => client.submitTransaction(actions));
          remember(updated, written.subResponses[0]?.etag);
          outcome = 'written';
        } catch (error) {
          const status = tableStatusOf(error);
          if (status === 409) outcome = 'alreadyWritten';
          else if (status === 412 || (status === 404 && remembered)) outcome = 'conflict';
          else throw error;
        }
        if (outcome === 'conflict') {
          // Changed since we read it (or since this process last saw it): read it again.
          lastSeen.delete(id);
          if (attempt >= MAX_ETAG_ATTEMPTS) throw new StoreError('Contention', `Request ${id} kept changing while being updated`);
          continue;
        }
        if (outcome === 'alreadyWritten' && appended.length > 1) {
          // Some of the events may have been written by another step before: the change is this
          // call's to make unless every one of them is there (then an earlier run made it).
          const written = new Set((await listEvents(id)).map((event) => event.id));
          const missing = appended.filter((event) => !written.has(event.id));
          // None of ours is there: the conflict is another row's (a token's), not a re-run.
          if (missing.length === appended.length) throw new StoreError('Contention', `Request ${id}: a row written with the update already exists`);
          if (missing.length > 0) {
            appended = missing;
            lastSeen.delete(id);
            continue;
          }
        }
        if (outcome === 'alreadyWritten') await saveTokens(tokens);
        // Also on a re-run: the index write of the first run may not have happened.
        const result = outcome === 'written' ? updated : current.request;
        const addressesChanged = change.currentEmail !== undefined || change.newEmail !== undefined;
        await Promise.all([indexRequest(result), addressesChanged ? indexEmails(result) : undefined]);
        return result;
      }
    },

    appendEvent(event) {
      return insert('Requests', eventEntity(event.requestId, event));
    },

    async appendEvents(events) {
      if (events.length === 0) return;
      const requestId = events[0]!.requestId;
      try {
        const actions = distinctEvents(events).map((event): TransactionAction => ['create', eventEntity(requestId, event)]);
        await tables.call('Requests', 'submitTransaction', (client) => client.submitTransaction(actions));
      } catch (error) {
        // One of them is there already (a re-run): the transaction wrote none, so insert each.
        if (tableStatusOf(error) !== 409) throw error;
        await Promise.all(distinctEvents(events).map((event) => insert('Requests', eventEntity(requestId, event))));
      }
    },

    listEvents,

    listRequests,

    async saveApprovalToken(token) {
      // Insert-if-absent: saving again must never clear a `usedAt` and make the token reusable.
      await insert('Requests', tokenEntity(token));
    },

    async revokeApprovalTokens(requestId, { at, because, approverId, keep = [] }) {
      const rows = await queryAll('Requests', odata`PartitionKey eq ${keySafe(requestId)} and RowKey ge ${TOKEN_PREFIX} and RowKey lt ${TOKEN_PREFIX_END}`);
      const revocable = (row: Row) =>
        row.purpose === undefined &&
        !row.usedAt &&
        !row.revokedAt &&
        !keep.includes(String(row.tokenHash)) &&
        (approverId === undefined || String(row.approverId).toLowerCase() === approverId.toLowerCase());
      /** As the token was read: a link used (or revoked) in between keeps what happened to it. */
      const revoke = async (read: Row): Promise<boolean> => {
        let row: Row | undefined = read;
        for (let attempt = 1; row && revocable(row) && attempt <= MAX_ETAG_ATTEMPTS; attempt++) {
          const { partitionKey, rowKey, etag } = row;
          try {
            const entity = { partitionKey, rowKey, revokedAt: at, revokedBecause: because };
            await tables.call('Requests', 'updateEntity', (client) => client.updateEntity(entity, 'Merge', { etag }));
            return true;
          } catch (error) {
            if (tableStatusOf(error) !== 412) throw error;
            row = await getRow('Requests', partitionKey, rowKey);
          }
        }
        return false;
      };
      let revoked = 0;
      for (const row of rows.filter(revocable)) if (await revoke(row)) revoked++;
      return revoked;
    },

    async saveLinkToken(token) {
      await insert('Requests', tokenEntity(token));
    },

    ...tokenAccess(tables),

    async acquireGuestLock(guestId, requestId, expiresAt, now) {
      const partitionKey = keySafe(guestId);
      const entity = { partitionKey, rowKey: LOCK_ROW, requestId, expiresAt };
      for (let attempt = 1; attempt <= MAX_LOCK_ATTEMPTS; attempt++) {
        const inserted = await lockWrite(guestId, requestId, (client) => client.createEntity(entity), 409);
        if (inserted) return { guestId, requestId, expiresAt };
        const holder = await readLock(guestId);
        // Released between our insert and our read: try the insert again.
        if (!holder) continue;
        const held = lockOf(guestId, holder);
        if (held.requestId === requestId || !held.expiresAt || Date.parse(held.expiresAt) > now.getTime()) return held;
        // Expired: take it over, unless someone else did first (then look again).
        if (await lockWrite(guestId, requestId, (client) => client.updateEntity(entity, 'Replace', { etag: holder.etag }), 412, 404)) return { guestId, requestId, expiresAt };
      }
      throw new StoreError('Contention', `The lock of guest ${guestId} kept changing hands`);
    },

    async extendGuestLock(guestId, requestId, expiresAt) {
      const entity = { partitionKey: keySafe(guestId), rowKey: LOCK_ROW, requestId, expiresAt };
      const replace = (etag: string) => lockWrite(guestId, requestId, (client) => client.updateEntity(entity, 'Replace', { etag }), 412, 404);
      const known = heldLocks.get(guestId);
      if (known?.requestId === requestId && (await replace(known.etag))) return true;
      const holder = await readLock(guestId);
      if (!holder || holder.requestId !== requestId) return false;
      // Lost to a release or a takeover after our read: then there is nothing of ours to extend.
      return replace(holder.etag);
    },

    async releaseGuestLock(guestId, requestId) {
      const known = heldLocks.get(guestId);
      heldLocks.delete(guestId);
      if (known?.requestId === requestId && (await deleteIfUnchanged('GuestLocks', { partitionKey: keySafe(guestId), rowKey: LOCK_ROW, etag: known.etag } as Row))) return;
      const holder = await readLock(guestId);
      if (!holder || holder.requestId !== requestId) return;
      await deleteIfUnchanged('GuestLocks', holder);
    },

    async releaseGuestLocksHeldBy(requestId) {
      // A small table (a row per guest with an active request), so a query by a column is cheap.
      const held = await queryAll('GuestLocks', odata`requestId eq ${requestId}`);
      for (const [guestId, known] of heldLocks) if (known.requestId === requestId) heldLocks.delete(guestId);
      await Promise.all(held.map((row) => deleteIfUnchanged('GuestLocks', row)));
    },

    async getGuestLock(guestId) {
      const row = await getRow('GuestLocks', keySafe(guestId), LOCK_ROW);
      return row && lockOf(guestId, row);
    },

    async forceReleaseGuestLock(guestId) {
      for (let attempt = 1; attempt <= MAX_LOCK_ATTEMPTS; attempt++) {
        const holder = await readLock(guestId);
        if (!holder) return undefined;
        if (await deleteIfUnchanged('GuestLocks', holder)) return lockOf(guestId, holder);
      }
      throw new StoreError('Contention', `The lock of guest ${guestId} kept changing hands`);
    },
  };
}

/**
 * Opening a link and using it, each one Table operation on the request's partition: the token
 * row and the request row are read by one query, and a use commits the token's `usedAt` with what
 * it records in one entity-group transaction, conditional on the etag of that read.
 */
function tokenAccess(tables: StoreTables): Pick<RequestStore, 'openApprovalToken' | 'openLinkToken' | 'useToken'> {
  /** The token and its request; undefined when either is missing or `isWanted` refuses the token. */
  const open = async <T extends StoredApprovalToken | StoredLinkToken>(requestId: string, tokenHash: string, isWanted: (row: Row) => boolean, withEvents: readonly string[] = []) => {
    const tokenKey = tokenRowKey(tokenHash);
    const eventKeys = withEvents.map((id) => `${EVENT_PREFIX}${keySafe(id)}`);
    const rowKeys = [REQUEST_ROW, tokenKey, ...eventKeys].map((rowKey) => odata`RowKey eq ${rowKey}`).join(' or ');
    const filter = `${odata`PartitionKey eq ${keySafe(requestId)}`} and (${rowKeys})`;
    const rows = await tables.call('Requests', 'listEntities', async (client) => {
      const found: Row[] = [];
      // A few rows at most; iterating follows a continuation token the service may return even so.
      for await (const row of client.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) found.push(row as Row);
      return found;
    });
    const token = rows.find((row) => row.rowKey === tokenKey);
    const request = rows.find((row) => row.rowKey === REQUEST_ROW);
    if (!token || !request || !isWanted(token)) return undefined;
    const events = eventsOf(rows.filter((row) => eventKeys.includes(row.rowKey)));
    const opened: OpenedToken<T> = { token: fromColumns(token) as unknown as T, request: toRequest(request), etag: token.etag, events };
    return opened;
  };

  return {
    // Approval tokens were stored before links had purposes: theirs is the absent one.
    openApprovalToken: (requestId, tokenHash, withEvents) => open<StoredApprovalToken>(requestId, tokenHash, (row) => row.purpose === undefined, withEvents),

    openLinkToken: (requestId, purpose, tokenHash) => open<StoredLinkToken>(requestId, tokenHash, (row) => row.purpose === purpose),

    async useToken({ token, etag }, usedAt, { event, newLink }) {
      if (token.usedAt || ('revokedAt' in token && token.revokedAt)) return 'tokenSpent';
      const partitionKey = keySafe(token.requestId);
      const actions: TransactionAction[] = [
        ['update', { partitionKey, rowKey: tokenRowKey(token.tokenHash), usedAt }, 'Merge', { etag }],
        ['create', eventEntity(token.requestId, event)],
      ];
      if (newLink) actions.push(['create', tokenEntity(newLink)]);
      try {
        await tables.call('Requests', 'submitTransaction', (client) => client.submitTransaction(actions));
        return 'used';
      } catch (error) {
        const failed = failedActionOf(error);
        // 412: used, revoked or otherwise changed since it was read; 404: gone.
        if (failed === 0 && (tableStatusOf(error) === 412 || tableStatusOf(error) === 404)) return 'tokenSpent';
        if (failed === 1 && tableStatusOf(error) === 409) return 'eventExists';
        throw error;
      }
    },
  };
}

/**
 * Which action of a failed entity-group transaction failed: the service starts the error's
 * message with its index (`1:The specified entity already exists.`).
 */
function failedActionOf(error: unknown): number | undefined {
  const index = /^(\d+):/.exec(error instanceof Error ? error.message : '')?.[1];
  return index === undefined ? undefined : Number(index);
}

function lockOf(guestId: string, row: Row): GuestLock {
  return { guestId, requestId: String(row.requestId), ...(typeof row.expiresAt === 'string' ? { expiresAt: row.expiresAt } : {}) };
}

function eventEntity(requestId: string, event: AuditEvent) {
  return { partitionKey: keySafe(requestId), rowKey: `${EVENT_PREFIX}${keySafe(event.id)}`, ...toColumns(event) };
}

function tokenEntity(token: StoredToken) {
  return { partitionKey: keySafe(token.requestId), rowKey: tokenRowKey(token.tokenHash), ...toColumns(token) };
}

/** Keeps `value` as the newest of at most `LAST_SEEN_LIMIT` entries; the oldest makes room. */
function keepNewest<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > LAST_SEEN_LIMIT) map.delete(map.keys().next().value!);
}

/** A transaction may touch a row once: the first of several events with one id is the one written. */
function distinctEvents(events: readonly AuditEvent[]): AuditEvent[] {
  return events.filter((event, index) => events.findIndex((other) => other.id === event.id) === index);
}

/** Oldest first; events of the same instant by id, so the trail reads the same every time. */
function eventsOf(rows: readonly Row[]): AuditEvent[] {
  return rows
    .map((row) => fromColumns(row) as unknown as AuditEvent)
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function tokenRowKey(tokenHash: string): string {
  return `${TOKEN_PREFIX}${keySafe(tokenHash)}`;
}

function toRequest(row: Row): EmailChangeRequest {
  const request = fromColumns(row, EMAIL_KEY_COLUMNS) as unknown as EmailChangeRequest;
  return { ...request, source: request.source ?? {}, approvers: request.approvers ?? [] };
}

/** RowKey clauses shared by both indexes: after the cursor, and within the submission time bounds. */
function rowKeyBounds(fromMs: number | undefined, toMs: number | undefined, afterRowKey: string | undefined): string[] {
  const clauses: string[] = [];
  if (afterRowKey !== undefined) clauses.push(odata`RowKey gt ${afterRowKey}`);
  // Inverted times: submitted at or before `to` sorts at or after invertedTime(to).
  if (toMs !== undefined) clauses.push(odata`RowKey ge ${invertedTime(toMs)}`);
  if (fromMs !== undefined) clauses.push(odata`RowKey lt ${invertedTime(fromMs - 1)}`);
  return clauses;
}

/** Server-side filter for one month partition of the index, resuming after `afterRowKey`. */
function itemFilter(month: string, query: RequestListQuery, fromMs: number | undefined, toMs: number | undefined, afterRowKey: string | undefined): string {
  const clauses = [odata`PartitionKey eq ${month}`, ...rowKeyBounds(fromMs, toMs, afterRowKey)];
  if (query.statuses?.length) clauses.push(`(${query.statuses.map((status) => odata`status eq ${status}`).join(' or ')})`);
  if (query.guestId !== undefined) clauses.push(odata`guestId eq ${query.guestId}`);
  if (query.reportedByOwner) clauses.push(REPORTED_BY_OWNER_CLAUSE);
  return clauses.join(' and ');
}

/** The index copy's column for `reportedByOwner: true`, as the codec writes it (JSON text). */
const REPORTED_BY_OWNER_CLAUSE = Object.entries(toColumns({ reportedByOwner: true }))
  .map(([column, value]) => `${column} ${odata`eq ${value}`}`)
  .join(' and ');

/** The filters other than email and time, checked on a copy read through the email index. */
function matchesFilters(request: EmailChangeRequest, query: RequestListQuery): boolean {
  if (query.statuses?.length && !query.statuses.includes(request.status)) return false;
  if (query.reportedByOwner && request.reportedByOwner !== true) return false;
  return query.guestId === undefined || request.guestId === query.guestId;
}
