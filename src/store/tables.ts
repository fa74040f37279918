import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { Settings } from '../config/settings.js';
import type { EmailIndexTable } from './emailIndex.js';
import type { MonthIndexTable } from './listIndex.js';
import { tableStatusOf } from './storeError.js';

/** The app's own tables (DESIGN §6); each is named `${TABLE_NAME_PREFIX}<name>`. */
export const STORE_TABLES = ['Requests', 'RequestIndex', 'GuestLocks', 'RateLimits', 'AdminDigest'] as const;
/** Those, and the index tables: one per month (listIndex.ts) and one per first character of an address (emailIndex.ts). */
export type StoreTableName = (typeof STORE_TABLES)[number] | MonthIndexTable | EmailIndexTable;

/** Told `<table>.<operation>` once per Table service call, e.g. to count calls in a benchmark. */
export type TableOperationListener = (operation: string) => void;

export interface StoreTablesOptions {
  /** An `AzureWebJobsStorage`-style connection string (Azurite locally). */
  connectionString?: string;
  /** Identity-based access (Azure): the table service URI with `credential`. */
  tableServiceUri?: string;
  credential?: TokenCredential;
  /** Lets several apps or test files share one account without sharing tables. */
  tableNamePrefix: string;
  onOperation?: TableOperationListener;
}

export interface StoreTables {
  /**
   * Runs one Table service call against `table`, creating the table in the account on first
   * use, and reports it to the listener as `<table>.<operation>`.
   */
  call<T>(table: StoreTableName, operation: string, run: (client: TableClient) => Promise<T>): Promise<T>;
}

/** Reads the storage settings the Functions host itself uses for `AzureWebJobsStorage`. */
export function storeTablesOptionsFrom(settings: Settings, extra: { onOperation?: TableOperationListener } = {}): StoreTablesOptions {
  const base = { tableNamePrefix: settings.TABLE_NAME_PREFIX, onOperation: extra.onOperation };
  if (settings.AzureWebJobsStorage) return { ...base, connectionString: settings.AzureWebJobsStorage };
  const clientId = settings.AzureWebJobsStorage__clientId;
  return {
    ...base,
    tableServiceUri: settings.AzureWebJobsStorage__tableServiceUri,
    credential: clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential(),
  };
}

export function createStoreTables(options: StoreTablesOptions): StoreTables {
  const clients = new Map<StoreTableName, TableClient>();
  const ready = new Map<StoreTableName, Promise<void>>();
  const report = options.onOperation ?? (() => undefined);

  const clientFor = (table: StoreTableName): TableClient => {
    let client = clients.get(table);
    if (!client) {
      client = newTableClient(options, `${options.tableNamePrefix}${table}`);
      clients.set(table, client);
    }
    return client;
  };

  // Created once per process; a failed attempt is forgotten so the next call tries again.
  const ensureTable = (table: StoreTableName): Promise<void> => {
    let pending = ready.get(table);
    if (!pending) {
      report(`${table}.createTable`);
      pending = clientFor(table)
        .createTable()
        .catch((error: unknown) => {
          if (tableStatusOf(error) === 409) return;
          ready.delete(table);
          throw error;
        });
      ready.set(table, pending);
    }
    return pending;
  };

  return {
    async call(table, operation, run) {
      await ensureTable(table);
      report(`${table}.${operation}`);
      return run(clientFor(table));
    },
  };
}

function newTableClient(options: StoreTablesOptions, tableName: string): TableClient {
  // Azurite and other local endpoints are plain http; the SDK refuses them unless told.
  const clientOptions = { allowInsecureConnection: true };
  if (options.connectionString) return TableClient.fromConnectionString(options.connectionString, tableName, clientOptions);
  if (options.tableServiceUri && options.credential) return new TableClient(options.tableServiceUri, tableName, options.credential, clientOptions);
  throw new Error('Table storage needs AzureWebJobsStorage or AzureWebJobsStorage__tableServiceUri with a credential');
}
