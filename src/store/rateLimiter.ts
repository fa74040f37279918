import { odata, type TransactionAction } from '@azure/data-tables';
import { createHash, randomUUID } from 'node:crypto';
import type { Settings } from '../config/settings.js';
import { tableStatusOf } from './storeError.js';
import { createStoreTables, storeTablesOptionsFrom, type StoreTables, type TableOperationListener } from './tables.js';

/** One key's budget, e.g. submissions per source IP or per target email. */
export interface RateLimitBudget {
  key: string;
  limit: number;
}

export interface RateLimitVerdict {
  allowed: boolean;
  /** Seconds until the window ends and the spent budgets are whole again. */
  retryAfterSeconds: number;
}

/** Counts hits per key in fixed windows. */
export interface RateLimiter {
  /** Counts one hit against every budget (keys distinct) in the window holding `now`, or against none of them when any one is spent. */
  hit(budgets: readonly RateLimitBudget[], windowMs: number, now: Date): Promise<RateLimitVerdict>;
}

/** Slot states this process remembers; forgetting one only costs a Table query later. */
const MAX_KNOWN_KEYS = 10_000;
/** Rows of ended windows read per query when sweeping, and how many delete batches run at once. */
const SWEEP_PAGE = 1000;
const SWEEP_PARALLELISM = 5;
/** Operations in one entity-group transaction (Table Storage's limit). */
const BATCH_SIZE = 100;

export function createTableRateLimiter(settings: Settings, options: { onOperation?: TableOperationListener } = {}): RateLimiter {
  return createRateLimiterFromTables(createStoreTables(storeTablesOptionsFrom(settings, options)));
}

/** What this process knows of one key's slots in one window. */
interface KeySlots {
  /** Rows that exist: they stay until the window is swept, so a slot known taken stays taken. */
  taken: Set<number>;
  /** Slots this process is inserting now, each with when its transaction settles. */
  held: Map<number, Promise<void>>;
}

/**
 * Fixed windows in the RateLimits table, one row per counted hit: PK = window length and start,
 * RK = SHA-256 of the key (keys hold emails and IP addresses, which we do not store) and a slot
 * number from 1 to `limit`. A hit inserts one free slot's row per budget in one entity-group
 * transaction (a window's rows share a partition): all are counted or none, so a hit refused by
 * one budget counts against none, and as Table Storage lets only one insert of a row succeed,
 * concurrent hits never share a slot and no more than `limit` get through, without reading
 * first or retrying on ETags. This process remembers the slots it saw taken and the ones it is
 * inserting, so a hit costs one transaction (hits arriving together share one, see
 * `groupCommitter`) and a hit on a budget known spent costs nothing;
 * another process's row (a 409) makes it read the window's rows of those keys once and try again.
 * Each row carries the id of the try that wrote it, so a try whose answer was lost and that meets
 * its own rows when sent again is counted once, not twice.
 * A hit whose budget has only slots another hit of this process is inserting waits for that
 * transaction: the slot may come back, and refusing before would refuse too many.
 *
 * Ended windows are deleted a partition's rows 100 to a transaction: the first hit of a new window
 * in this process sweeps the windows of that length that ended over a window ago (one to spare,
 * so a host whose clock runs ahead never deletes a window another host still counts in). Table
 * Storage has no TTL; a failed sweep leaves the rows for the next.
 */
export function createRateLimiterFromTables(tables: StoreTables): RateLimiter {
  const known = new Map<string, KeySlots>();
  const sweptUpTo = new Map<number, number>();

  const slotsOf = (partitionKey: string, keyHash: string): KeySlots => {
    const id = `${partitionKey}/${keyHash}`;
    let slots = known.get(id);
    if (slots) {
      known.delete(id); // Re-inserted below: the Map's order is then least recently used first.
    } else {
      slots = { taken: new Set(), held: new Map() };
      if (known.size >= MAX_KNOWN_KEYS) known.delete(known.keys().next().value!);
    }
    known.set(id, slots);
    return slots;
  };

  const commit = groupCommitter((rows) => tables.call('RateLimits', 'submitTransaction', (client) => client.submitTransaction(rows)));

  /** Inserts a free slot of every budget at once: true when counted, false when one budget is spent. */
  const claim = async (partitionKey: string, budgets: { keyHash: string; limit: number; slots: KeySlots }[]): Promise<boolean> => {
    for (;;) {
      if (budgets.some(({ slots, limit }) => spent(slots, limit))) return false;
      const picks = budgets.map((budget) => ({ ...budget, slot: firstFreeSlot(budget.slots, budget.limit) }));
      const waitFor = picks.filter(({ slot }) => slot === undefined).flatMap(({ slots }) => [...slots.held.values()]);
      if (waitFor.length > 0) {
        await Promise.all(waitFor);
        continue;
      }
      let settle!: () => void;
      const settled = new Promise<void>((resolve) => (settle = resolve));
      for (const { slots, slot } of picks) slots.held.set(slot!, settled);
      // Marks this try's rows, so a try whose answer was lost (retried, it meets its own rows) is told from another's.
      const tryId = randomUUID();
      try {
        await commit(partitionKey, picks.map(({ keyHash, slot }) => ['create', { partitionKey, rowKey: slotRowKey(keyHash, slot!), hit: tryId }]));
        for (const { slots, slot } of picks) slots.taken.add(slot!);
        return true;
      } catch (error) {
        if (tableStatusOf(error) !== 409) throw error;
        // Another process counts one of these keys too: learn their rows at once rather than slot by slot.
        // A transaction is all or nothing and rows are never deleted within their window, so every row read is taken.
        const rows = await takenSlots(tables, partitionKey, picks.map((p) => p.keyHash));
        for (const { keyHash, slot } of rows) picks.find((p) => p.keyHash === keyHash)!.slots.taken.add(slot);
        // This try's own rows: it was counted, though its answer was lost (the SDK's retry met them, or a shared transaction's).
        if (picks.every((pick) => rows.some((row) => row.keyHash === pick.keyHash && row.slot === pick.slot && row.hit === tryId))) return true;
        // None of the rows tried exists: the 409 was something else, and trying again would loop.
        if (!picks.some(({ slots, slot }) => slots.taken.has(slot!))) throw error;
      } finally {
        for (const { slots, slot } of picks) slots.held.delete(slot!);
        settle();
      }
    }
  };

  const sweepOnce = (windowMs: number, windowStart: number): Promise<void> => {
    if ((sweptUpTo.get(windowMs) ?? -Infinity) >= windowStart) return Promise.resolve();
    sweptUpTo.set(windowMs, windowStart);
    return sweepEndedWindows(tables, windowMs, windowStart);
  };

  return {
    async hit(budgets, windowMs, now) {
      const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
      const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + windowMs - now.getTime()) / 1000));
      const partitionKey = windowPartitionKey(windowMs, windowStart);
      const keyed = budgets.map(({ key, limit }) => {
        const keyHash = createHash('sha256').update(key).digest('hex');
        return { keyHash, limit, slots: slotsOf(partitionKey, keyHash) };
      });
      const [allowed] = await Promise.all([claim(partitionKey, keyed), sweepOnce(windowMs, windowStart)]);
      return { allowed, retryAfterSeconds };
    },
  };
}

interface QueuedHit {
  rows: TransactionAction[];
  settle: (error?: unknown) => void;
}

/**
 * Commits each hit's rows in one transaction, and the hits that arrive while a window's
 * transaction is in flight together in the next one (up to Table Storage's 100 operations): a
 * burst costs a few transactions instead of one per hit, and a hit alone is not delayed. A shared
 * transaction is all or nothing, so when it is refused each of its hits is tried on its own and
 * gets the answer its own rows earn (a 409 for the one whose slot another process took).
 */
function groupCommitter(submit: (rows: TransactionAction[]) => Promise<unknown>): (partitionKey: string, rows: TransactionAction[]) => Promise<void> {
  const waiting = new Map<string, QueuedHit[]>();
  const submitAlone = (hit: QueuedHit) => submit(hit.rows).then(() => hit.settle(), hit.settle);

  const drain = async (partitionKey: string): Promise<void> => {
    for (let queue = waiting.get(partitionKey)!; queue.length > 0; ) {
      const group: QueuedHit[] = [];
      let size = 0;
      while (queue.length > 0 && size + queue[0]!.rows.length <= BATCH_SIZE) {
        const hit = queue.shift()!;
        group.push(hit);
        size += hit.rows.length;
      }
      if (group.length === 0) group.push(queue.shift()!); // Over the limit alone: the service says why.
      try {
        await submit(group.flatMap((hit) => hit.rows));
        for (const hit of group) hit.settle();
      } catch (error) {
        if (group.length === 1) group[0]!.settle(error);
        else await Promise.all(group.map(submitAlone));
      }
    }
    waiting.delete(partitionKey);
  };

  return (partitionKey, rows) =>
    new Promise<void>((resolve, reject) => {
      const hit: QueuedHit = { rows, settle: (error) => (error === undefined ? resolve() : reject(error)) };
      const queue = waiting.get(partitionKey);
      if (queue) {
        queue.push(hit);
        return;
      }
      waiting.set(partitionKey, [hit]);
      void drain(partitionKey);
    });
}

function spent(slots: KeySlots, limit: number): boolean {
  for (let slot = 1; slot <= limit; slot++) if (!slots.taken.has(slot)) return false;
  return true;
}

function firstFreeSlot(slots: KeySlots, limit: number): number | undefined {
  for (let slot = 1; slot <= limit; slot++) if (!slots.taken.has(slot) && !slots.held.has(slot)) return slot;
  return undefined;
}

/** The slot rows of these keys in one window, each with the try that wrote it, in one query. */
async function takenSlots(tables: StoreTables, partitionKey: string, keyHashes: string[]): Promise<{ keyHash: string; slot: number; hit: unknown }[]> {
  // '`' sorts right after '_': each range holds exactly one key's slot rows.
  const ranges = keyHashes.map((keyHash) => odata`(RowKey gt ${`${keyHash}_`} and RowKey lt ${`${keyHash}\``})`);
  const filter = `${odata`PartitionKey eq ${partitionKey}`} and (${ranges.join(' or ')})`;
  return tables.call('RateLimits', 'listEntities', async (client) => {
    const rows: { keyHash: string; slot: number; hit: unknown }[] = [];
    for await (const row of client.listEntities({ queryOptions: { filter, select: ['RowKey', 'hit'] } })) {
      const [keyHash, slot] = row.rowKey!.split('_');
      rows.push({ keyHash: keyHash!, slot: Number(slot), hit: row.hit });
    }
    return rows;
  });
}

/**
 * Deletes the rows of windows of this length that ended more than a window ago, a partition's
 * rows 100 to a transaction. Best effort: a row left now goes with the next sweep, and a failed
 * sweep must not refuse a submission.
 */
async function sweepEndedWindows(tables: StoreTables, windowMs: number, windowStart: number): Promise<void> {
  try {
    const filter = odata`PartitionKey ge ${`${windowMs}_`} and PartitionKey lt ${windowPartitionKey(windowMs, windowStart - windowMs)}`;
    const ended = await tables.call('RateLimits', 'listEntities', async (client) => {
      const rows: { partitionKey: string; rowKey: string }[] = [];
      for await (const page of client.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } }).byPage({ maxPageSize: SWEEP_PAGE })) {
        for (const row of page) rows.push({ partitionKey: row.partitionKey!, rowKey: row.rowKey! });
      }
      return rows;
    });
    const batches: TransactionAction[][] = [];
    for (const row of ended) {
      const batch = batches.at(-1);
      const sameBatch = batch && batch.length < BATCH_SIZE && batch[0]![1].partitionKey === row.partitionKey;
      if (sameBatch) batch.push(['delete', row]);
      else batches.push([['delete', row]]);
    }
    for (let i = 0; i < batches.length; i += SWEEP_PARALLELISM) {
      await Promise.allSettled(
        batches.slice(i, i + SWEEP_PARALLELISM).map((batch) => tables.call('RateLimits', 'submitTransaction', (client) => client.submitTransaction(batch))),
      );
    }
  } catch {
    // Nothing lost: the rows stay until the next window's sweep.
  }
}

function windowPartitionKey(windowMs: number, windowStart: number): string {
  return `${windowMs}_${String(windowStart).padStart(16, '0')}`;
}

function slotRowKey(keyHash: string, slot: number): string {
  return `${keyHash}_${String(slot).padStart(10, '0')}`;
}
