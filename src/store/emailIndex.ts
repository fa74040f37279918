import { odata } from '@azure/data-tables';
import type { EmailChangeRequest } from '../domain/request.js';
import { keySafe } from './entityCodec.js';
import { indexKeys } from './listIndex.js';

/**
 * Keys of the email index (issue 12, admin search): one row per address a request carries, its
 * PartitionKey the lower-cased address and its RowKey the list index's RowKey (inverted
 * submission time + id). A prefix search is then one PartitionKey range, `ge prefix` and
 * `lt` the prefix's successor, whose cost follows the rows that match, not the requests stored.
 * Rows hold keys only: they are written once, when the request is recorded, and the list reads
 * the request's current copy from the list index, so a status change costs no extra write here.
 *
 * The index is split into one table per first character of the address (a–z, 0–9, `Other`).
 * A prefix always names its table, so a search reads one of them. In Azure a PartitionKey range
 * is a seek whatever the table's size, so the split changes nothing there; Azurite, where the
 * tests and benchmarks run, evaluates a query against every entity of the table
 * (`LokiTableMetadataStore.queryTableEntities`), and the split keeps that scan a small, slowly
 * growing share of the addresses instead of all of them.
 */

export type EmailIndexTable = `RequestEmailIndex${string}`;

export interface EmailIndexRow {
  table: EmailIndexTable;
  partitionKey: string;
  rowKey: string;
}

/** The index rows of a request: its current and its new address (one row when they are the same). */
export function emailIndexRows(request: Pick<EmailChangeRequest, 'id' | 'submittedAt' | 'currentEmail' | 'newEmail'>): EmailIndexRow[] {
  const { rowKey } = indexKeys(request.submittedAt, request.id);
  const addresses = new Set([request.currentEmail, request.newEmail].map(emailKey));
  return [...addresses].map((partitionKey) => ({ table: emailIndexTable(partitionKey), partitionKey, rowKey }));
}

/** The table holding the addresses that start with `prefix` (at least one character). */
export function emailIndexTableOf(prefix: string): EmailIndexTable {
  return emailIndexTable(emailKey(prefix));
}

/** Table names are letters and digits and case-insensitive, so the suffix is a lower-case character or `Other`. */
function emailIndexTable(key: string): EmailIndexTable {
  const first = key.charAt(0);
  return `RequestEmailIndex${/^[a-z0-9]$/.test(first) ? first : 'Other'}`;
}

/**
 * The filter of every index row whose address starts with `prefix`. `keySafe` escapes one
 * character at a time, so the escaped address starts with the escaped prefix exactly when the
 * address starts with the prefix.
 */
export function emailPrefixFilter(prefix: string): string {
  const low = emailKey(prefix);
  const last = low.charCodeAt(low.length - 1);
  const high = low.slice(0, -1) + String.fromCharCode(last + 1);
  return odata`PartitionKey ge ${low} and PartitionKey lt ${high}`;
}

/** Whether the request carries an address starting with `prefix`; rows are checked against it on read. */
export function matchesEmailPrefix(request: Pick<EmailChangeRequest, 'currentEmail' | 'newEmail'>, prefix: string): boolean {
  const low = prefix.toLowerCase();
  return request.currentEmail.toLowerCase().startsWith(low) || request.newEmail.toLowerCase().startsWith(low);
}

function emailKey(address: string): string {
  return keySafe(address.trim().toLowerCase());
}
