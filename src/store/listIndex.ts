import { createHash } from 'node:crypto';
import type { RequestListQuery } from './requestStore.js';
import { StoreError } from './storeError.js';
import { keySafe } from './entityCodec.js';

/**
 * Keys and continuation tokens of the admin list index (DESIGN §6): one partition per
 * submission month (`yyyy-MM`, UTC), RowKey = inverted submission time + id so that a
 * partition reads newest first, which is the only order Table Storage returns.
 *
 * Each month's partition lives in a table of its own (`RequestIndexyyyyMM`); the `RequestIndex`
 * table keeps only the list of months. In Azure a partition query costs the same either way;
 * Azurite evaluates a query against every entity of the table, so there a month's page costs
 * that month's requests rather than every request ever stored.
 */

export type MonthIndexTable = `RequestIndex${string}`;

/** The table holding the index partition of `month` (`yyyy-MM`). */
export function monthIndexTable(month: string): MonthIndexTable {
  return `RequestIndex${month.replace('-', '')}`;
}

/** The largest epoch milliseconds a JS Date can hold; inverted times stay non-negative. */
const MAX_EPOCH_MS = 8_640_000_000_000_000;
const INVERTED_DIGITS = 16;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export function indexMonth(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 7);
}

/** Sorts before every RowKey of a request submitted at or before `epochMs`, after every later one. */
export function invertedTime(epochMs: number): string {
  return String(MAX_EPOCH_MS - epochMs).padStart(INVERTED_DIGITS, '0');
}

/** The month partition of the index entry with this RowKey (the email index shares RowKeys). */
export function monthOfRowKey(rowKey: string): string {
  return indexMonth(MAX_EPOCH_MS - Number(rowKey.slice(0, INVERTED_DIGITS)));
}

/** Where a request's index entry lives; `submittedAt` never changes, so neither do these. */
export function indexKeys(submittedAt: string, id: string): { partitionKey: string; rowKey: string } {
  const ms = Date.parse(submittedAt);
  if (Number.isNaN(ms)) throw new Error(`Request ${id} has no valid submittedAt ("${submittedAt}")`);
  return { partitionKey: indexMonth(ms), rowKey: `${invertedTime(ms)}_${keySafe(id)}` };
}

/** Parses a list bound given by an admin. */
export function parseListBound(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new StoreError('InvalidListQuery', `${what} "${iso}" is not an ISO date-time`);
  return ms;
}

export function pageSize(top: number | undefined): number {
  if (top === undefined || !Number.isFinite(top)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(top)));
}

/** Where the previous page ended: the last item's month partition and RowKey. */
export interface ListCursor {
  month: string;
  afterRowKey: string;
}

interface CursorToken {
  v: 1;
  m: string;
  r: string;
  /** Fingerprint of the filters, so a token is not replayed against a different query. */
  f: string;
}

export function encodeCursor(cursor: ListCursor, query: RequestListQuery): string {
  const token: CursorToken = { v: 1, m: cursor.month, r: cursor.afterRowKey, f: filterFingerprint(query) };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeCursor(continuationToken: string, query: RequestListQuery): ListCursor {
  let token: Partial<CursorToken> | null = null;
  try {
    token = JSON.parse(Buffer.from(continuationToken, 'base64url').toString('utf8')) as Partial<CursorToken> | null;
  } catch {
    // Reported below like every other malformed token.
  }
  const valid =
    token !== null &&
    typeof token === 'object' &&
    token.v === 1 &&
    typeof token.m === 'string' &&
    /^\d{4}-\d{2}$/.test(token.m) &&
    typeof token.r === 'string' &&
    new RegExp(`^\\d{${INVERTED_DIGITS}}_.`).test(token.r) &&
    token.f === filterFingerprint(query);
  if (!valid) throw new StoreError('InvalidContinuationToken', 'The continuation token is not valid for this query');
  return { month: token!.m!, afterRowKey: token!.r! };
}

function filterFingerprint(query: RequestListQuery): string {
  const statuses = query.statuses && [...query.statuses].sort().join(',');
  // A filter added later is appended only when given, so the tokens of older queries stay valid.
  const filters = [statuses, query.email?.toLowerCase(), query.guestId, query.from, query.to, ...(query.reportedByOwner ? ['reportedByOwner'] : [])].map((v) => v ?? '');
  return createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 16);
}
