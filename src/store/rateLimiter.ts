import { odata, type TransactionAction } from '@azure/data-tables';
import { createHash } from 'node:crypto';
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
  /** Counts one hit against every budget in the window holding `now`, or against none of them when any one is spent. */
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
  /** Rows this process is writing, or has written for a hit that other budgets may still refuse. */
  held: Set<number>;
}

interface Claim {
  slots: KeySlots;
  slot: number;
  rowKey: string;
}

/**
 * Fixed windows in the RateLimits table, one row per counted hit: PK = window length and start,
 * RK = SHA-256 of the key (keys hold emails and IP addresses, which we do not store) and a slot
 * number from 1 to `limit`. A hit is counted by inserting a free slot's row; Table Storage lets
 * exactly one insert of a row succeed, so concurrent hits never share a slot and no more than
 * `limit` get through, without reading first or retrying on ETags. This process remembers the
 * slots it saw taken, so a hit usually costs one insert per budget and a refused hit costs nothing
 * once the budget is known spent; another process's row (a 409) makes it read that key's rows of
 * the window once.
 *
 * The budgets of one hit are claimed in parallel; when one is spent, the slots won on the others
 * are deleted again, so a refused hit counts nowhere. Until then those slots look taken: a racing
 * hit that finds a budget's last slot held that way is refused although the slot comes back (it
 * can only refuse too many, never allow too many, and only at a budget's edge).
 *
 * A window's rows share a partition, so ended windows are deleted in entity-group batches of 100:
 * the first hit of a new window in this process sweeps the windows of that length that ended
 * over a window ago (one to spare, so a host whose clock runs ahead never deletes a window another
 * host still counts in). Table Storage has no TTL; a failed sweep leaves the rows for the next.
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
      slots = { taken: new Set(), held: new Set() };
      if (known.size >= MAX_KNOWN_KEYS) known.delete(known.keys().next().value!);
    }
    known.set(id, slots);
    return slots;
  };

  /** A free slot's row inserted for this hit, or undefined when every slot is taken or held. */
  const claim = async (partitionKey: string, keyHash: string, limit: number): Promise<Claim | undefined> => {
    for (;;) {
      const slots = slotsOf(partitionKey, keyHash);
      const slot = firstFreeSlot(slots, limit);
      if (slot === undefined) return undefined;
      const rowKey = slotRowKey(keyHash, slot);
      slots.held.add(slot);
      try {
        await tables.call('RateLimits', 'createEntity', (client) => client.createEntity({ partitionKey, rowKey }));
        return { slots, slot, rowKey };
      } catch (error) {
        slots.held.delete(slot);
        if (tableStatusOf(error) !== 409) throw error;
        // Another process counts this key too: learn all its rows at once rather than slot by slot.
        slots.taken.add(slot);
        for (const taken of await takenSlots(tables, partitionKey, keyHash)) if (!slots.held.has(taken)) slots.taken.add(taken);
      }
    }
  };

  /** Gives a slot back; a row that cannot be deleted stays taken (it counts, so nothing more is let through). */
  const release = async (partitionKey: string, { slots, slot, rowKey }: Claim): Promise<void> => {
    try {
      await tables.call('RateLimits', 'deleteEntity', (client) => client.deleteEntity(partitionKey, rowKey));
    } catch (error) {
      if (tableStatusOf(error) !== 404) slots.taken.add(slot);
    } finally {
      slots.held.delete(slot);
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
      const keyed = budgets.map(({ key, limit }) => ({ keyHash: createHash('sha256').update(key).digest('hex'), limit }));

      // A budget already known spent refuses at no cost, and before any other budget is touched.
      if (keyed.some(({ keyHash, limit }) => spent(slotsOf(partitionKey, keyHash), limit))) return { allowed: false, retryAfterSeconds };

      const [claims] = await Promise.all([
        Promise.allSettled(keyed.map(({ keyHash, limit }) => claim(partitionKey, keyHash, limit))),
        sweepOnce(windowMs, windowStart),
      ]);
      const won = claims.flatMap((c) => (c.status === 'fulfilled' && c.value ? [c.value] : []));
      if (won.length === claims.length) {
        for (const { slots, slot } of won) {
          slots.held.delete(slot);
          slots.taken.add(slot);
        }
        return { allowed: true, retryAfterSeconds };
      }
      await Promise.all(won.map((c) => release(partitionKey, c)));
      const failed = claims.find((c) => c.status === 'rejected');
      if (failed) throw failed.reason;
      return { allowed: false, retryAfterSeconds };
    },
  };
}

function spent(slots: KeySlots, limit: number): boolean {
  for (let slot = 1; slot <= limit; slot++) if (!slots.taken.has(slot)) return false;
  return true;
}

function firstFreeSlot(slots: KeySlots, limit: number): number | undefined {
  for (let slot = 1; slot <= limit; slot++) if (!slots.taken.has(slot) && !slots.held.has(slot)) return slot;
  return undefined;
}

async function takenSlots(tables: StoreTables, partitionKey: string, keyHash: string): Promise<number[]> {
  // '`' sorts right after '_': the range holds exactly this key's slot rows.
  const filter = odata`PartitionKey eq ${partitionKey} and RowKey gt ${`${keyHash}_`} and RowKey lt ${`${keyHash}\``}`;
  return tables.call('RateLimits', 'listEntities', async (client) => {
    const slots: number[] = [];
    for await (const row of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) slots.push(Number(row.rowKey!.slice(keyHash.length + 1)));
    return slots;
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
