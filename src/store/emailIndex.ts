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
 */

/** The index rows of a request: its current and its new address (one row when they are the same). */
export function emailIndexRows(request: Pick<EmailChangeRequest, 'id' | 'submittedAt' | 'currentEmail' | 'newEmail'>): { partitionKey: string; rowKey: string }[] {
  const { rowKey } = indexKeys(request.submittedAt, request.id);
  const addresses = new Set([request.currentEmail, request.newEmail].map(emailKey));
  return [...addresses].map((partitionKey) => ({ partitionKey, rowKey }));
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
