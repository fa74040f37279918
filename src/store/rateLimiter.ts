import { odata } from '@azure/data-tables';
import { createHash } from 'node:crypto';
import type { Settings } from '../config/settings.js';
import { StoreError, tableStatusOf } from './storeError.js';
import { createStoreTables, storeTablesOptionsFrom, type StoreTables, type TableOperationListener } from './tables.js';

/** Counts hits per key in fixed windows, e.g. submissions per source IP or per target email. */
export interface RateLimiter {
  hit(key: string, limit: number, windowMs: number, now: Date): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}

/** Enough for every one of a burst of concurrent hits on one key to get its turn. */
const MAX_ATTEMPTS = 50;
/** Rows of ended windows deleted per sweep, and how many deletes run at once. */
const SWEEP_LIMIT = 1000;
const SWEEP_PARALLELISM = 10;

export function createTableRateLimiter(settings: Settings, options: { onOperation?: TableOperationListener } = {}): RateLimiter {
  return createRateLimiterFromTables(createStoreTables(storeTablesOptionsFrom(settings, options)));
}

/**
 * Fixed windows in the RateLimits table: PK = SHA-256 of the key (keys hold emails and IP
 * addresses, which we do not store), RK = window length and start. The count is raised with
 * optimistic concurrency, so concurrent hits let exactly `limit` through. A refused hit writes
 * nothing, so a flood does not keep a window busy. Ended windows are swept by the first hit that
 * opens a new window in this process, so the table holds about one window of keys.
 */
export function createRateLimiterFromTables(tables: StoreTables): RateLimiter {
  const sweptWindows = new Set<string>();
  return {
    async hit(key, limit, windowMs, now) {
      const windowStart = Math.floor(now.getTime() / windowMs) * windowMs;
      const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + windowMs - now.getTime()) / 1000));
      const partitionKey = createHash('sha256').update(key).digest('hex');
      const rowKey = windowRowKey(windowMs, windowStart);

      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        try {
          const window = await readWindow(tables, partitionKey, rowKey);
          if (!window) {
            if (limit < 1) return { allowed: false, retryAfterSeconds };
            await tables.call('RateLimits', 'createEntity', (client) => client.createEntity({ partitionKey, rowKey, count: 1 }));
            if (!sweptWindows.has(rowKey)) {
              sweptWindows.add(rowKey);
              await sweepEndedWindows(tables, windowMs, windowStart);
            }
            return { allowed: true, retryAfterSeconds };
          }
          if (window.count >= limit) return { allowed: false, retryAfterSeconds };
          const entity = { partitionKey, rowKey, count: window.count + 1 };
          await tables.call('RateLimits', 'updateEntity', (client) => client.updateEntity(entity, 'Replace', { etag: window.etag }));
          return { allowed: true, retryAfterSeconds };
        } catch (error) {
          // 409: another hit created the window first; 412: another hit counted first. Read again.
          const status = tableStatusOf(error);
          if (status !== 409 && status !== 412) throw error;
          await pause(attempt);
        }
      }
      throw new StoreError('Contention', 'Too many concurrent hits on one rate-limit window');
    },
  };
}

/**
 * Deletes rows of windows of this length that ended more than a window ago (one to spare, so a
 * host whose clock runs ahead never deletes a window another host still counts in). Best effort:
 * a row left now goes with the next sweep, and a failed sweep must not refuse a submission.
 */
async function sweepEndedWindows(tables: StoreTables, windowMs: number, windowStart: number): Promise<void> {
  try {
    const filter = odata`RowKey ge ${`${windowMs}_`} and RowKey lt ${windowRowKey(windowMs, windowStart - windowMs)}`;
    const ended = await tables.call('RateLimits', 'listEntities', async (client): Promise<{ partitionKey?: string; rowKey?: string }[]> => {
      const { value } = await client.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } }).byPage({ maxPageSize: SWEEP_LIMIT }).next();
      return value ?? [];
    });
    for (let i = 0; i < ended.length; i += SWEEP_PARALLELISM) {
      await Promise.allSettled(
        ended.slice(i, i + SWEEP_PARALLELISM).map((row) => tables.call('RateLimits', 'deleteEntity', (client) => client.deleteEntity(row.partitionKey!, row.rowKey!))),
      );
    }
  } catch {
    // Nothing lost: the rows stay until the next window's sweep.
  }
}

function windowRowKey(windowMs: number, windowStart: number): string {
  return `${windowMs}_${String(windowStart).padStart(16, '0')}`;
}

async function readWindow(tables: StoreTables, partitionKey: string, rowKey: string): Promise<{ count: number; etag: string } | undefined> {
  try {
    const row = await tables.call('RateLimits', 'getEntity', (client) => client.getEntity<{ count: number }>(partitionKey, rowKey));
    return { count: row.count, etag: row.etag };
  } catch (error) {
    if (tableStatusOf(error) === 404) return undefined;
    throw error;
  }
}

/** A short random pause, so colliding writers do not collide again in lockstep. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 5 * attempt)));
}
