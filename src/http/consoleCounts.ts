import { MAX_PAGE_SIZE } from '../store/listIndex.js';
import type { RequestListQuery, RequestStore } from '../store/requestStore.js';
import { parseRequestListQuery } from './adminQuery.js';

/**
 * The figures at the top of the admin console: what waits on people now, and what went wrong
 * lately. Counted from the same list index the list reads, so a figure and the list it links to
 * agree; each stops after `COUNT_LIMIT` requests read and then reads "at least".
 */

/** How far back "lately" reaches. */
export const RECENT_DAYS = 7;
/** Requests read per figure at most: the console stays fast however large the tables grow. */
export const COUNT_LIMIT = 2000;

export interface ConsoleCount {
  /** What the figure counts, in words. */
  label: string;
  count: number;
  /** True when `COUNT_LIMIT` stopped the count: there are at least `count`. */
  atLeast: boolean;
  /** The list filters that show exactly these requests. */
  filters: Record<string, string>;
}

/** A figure counts what its list filters (the admin list's own query parameters) show. */
interface Figure {
  label: string;
  filters: Record<string, string>;
  /** Only the requests submitted in the last `RECENT_DAYS` (a `from` filter added). */
  recent?: boolean;
}

const FIGURES: Figure[] = [
  { label: 'Waiting for confirmation', filters: { status: 'AwaitingConfirmation' } },
  { label: 'In review', filters: { status: 'AwaitingApproval' } },
  { label: `Failed, last ${RECENT_DAYS} days`, filters: { status: 'Failed' }, recent: true },
  { label: `Declined, last ${RECENT_DAYS} days`, filters: { status: 'Declined' }, recent: true },
  { label: `Owner reports, last ${RECENT_DAYS} days`, filters: { reportedByOwner: 'true' }, recent: true },
];

/**
 * The console's figures as of `now`. "Last 7 days" counts requests submitted since the start (UTC)
 * of the day 7 days ago: a whole day, as the list's date filter reads it. Each figure's query is
 * read from its link's filters by the list's own parser, so the list it links to shows exactly
 * what it counts.
 */
export function consoleCounts(store: RequestStore, now: Date): Promise<ConsoleCount[]> {
  const day = new Date(now.getTime() - RECENT_DAYS * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
  return Promise.all(
    FIGURES.map(async (figure) => {
      const filters = { ...figure.filters, ...(figure.recent ? { from: day } : {}) };
      const { count, atLeast } = await countMatching(store, parseRequestListQuery(new URLSearchParams(filters)));
      return { label: figure.label, count, atLeast, filters };
    }),
  );
}

async function countMatching(store: RequestStore, query: RequestListQuery): Promise<{ count: number; atLeast: boolean }> {
  let count = 0;
  let continuationToken: string | undefined;
  do {
    const page = await store.listRequests({ ...query, top: Math.min(MAX_PAGE_SIZE, COUNT_LIMIT - count), continuationToken });
    count += page.items.length;
    continuationToken = page.continuationToken;
  } while (continuationToken && count < COUNT_LIMIT);
  return { count, atLeast: continuationToken !== undefined };
}
