import { odata } from '@azure/data-tables';
import type { Settings } from '../config/settings.js';
import { utcDayOf } from '../domain/adminDigestSchedule.js';
import { tableStatusOf } from './storeError.js';
import { createStoreTables, storeTablesOptionsFrom, type StoreTables, type TableOperationListener } from './tables.js';

/** One admin alert as the digest lists it: what happened, when, and to which request. */
export interface AdminDigestEntry {
  requestId: string;
  /** The alert's key, stable per request (`admin-failure`, `admin-no-approver`, ...). */
  alert: string;
  at: string;
  /** The alert mail's subject: plain text built from directory data, never from free text. */
  subject: string;
  guest: string;
  currentEmail: string;
  newEmail: string;
  /** The alert also went out at once (urgent, or `ADMIN_NOTIFICATIONS=both`). */
  mailedAtOnce: boolean;
}

/**
 * The alerts waiting for the admins' digest (ADMIN_NOTIFICATIONS `digest` or `both`), in the
 * AdminDigest table: one partition per UTC day, one row per request and alert, so recording the
 * same alert twice on a day writes one row. A separate row remembers up to when digests were sent.
 */
export interface AdminDigest {
  /** Insert-if-absent in the partition of the entry's day. */
  record(entry: AdminDigestEntry): Promise<void>;
  /** Entries with `from <= at < until` (from the beginning when `from` is absent), oldest first. */
  entriesBetween(from: string | undefined, until: string): Promise<AdminDigestEntry[]>;
  /** The end of the period the last digest sent covered, if one was sent. */
  coveredUntil(): Promise<string | undefined>;
  markCovered(until: string): Promise<void>;
}

/** Not a day: sorts after every `YYYY-MM-DD`, so day ranges never include it. */
const COVERED_PARTITION = 'covered';
const COVERED_ROW = 'digest';

export function createTableAdminDigest(settings: Settings, options: { onOperation?: TableOperationListener } = {}): AdminDigest {
  return createAdminDigestFromTables(createStoreTables(storeTablesOptionsFrom(settings, options)));
}

export function createAdminDigestFromTables(tables: StoreTables): AdminDigest {
  return {
    async record(entry) {
      const row = { partitionKey: utcDayOf(entry.at), rowKey: `${entry.requestId}:${entry.alert}`, ...entry };
      try {
        await tables.call('AdminDigest', 'createEntity', (client) => client.createEntity(row));
      } catch (error) {
        if (tableStatusOf(error) !== 409) throw error;
      }
    },

    async entriesBetween(from, until) {
      const days = from ? odata`PartitionKey ge ${utcDayOf(from)} and PartitionKey le ${utcDayOf(until)}` : odata`PartitionKey le ${utcDayOf(until)}`;
      const times = from ? odata` and at ge ${from} and at lt ${until}` : odata` and at lt ${until}`;
      return tables.call('AdminDigest', 'listEntities', async (client) => {
        const entries: AdminDigestEntry[] = [];
        for await (const row of client.listEntities<AdminDigestEntry>({ queryOptions: { filter: days + times } })) {
          entries.push({
            requestId: row.requestId,
            alert: row.alert,
            at: row.at,
            subject: row.subject,
            guest: row.guest,
            currentEmail: row.currentEmail,
            newEmail: row.newEmail,
            mailedAtOnce: row.mailedAtOnce,
          });
        }
        return entries.sort((a, b) => a.at.localeCompare(b.at));
      });
    },

    async coveredUntil() {
      try {
        const row = await tables.call('AdminDigest', 'getEntity', (client) => client.getEntity<{ until: string }>(COVERED_PARTITION, COVERED_ROW));
        return row.until;
      } catch (error) {
        if (tableStatusOf(error) === 404) return undefined;
        throw error;
      }
    },

    async markCovered(until) {
      await tables.call('AdminDigest', 'upsertEntity', (client) => client.upsertEntity({ partitionKey: COVERED_PARTITION, rowKey: COVERED_ROW, until }, 'Replace'));
    },
  };
}
