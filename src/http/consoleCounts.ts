import type { RequestStatus } from '../domain/request.js';
import { MAX_PAGE_SIZE } from '../store/listIndex.js';
import type { RequestListQuery, RequestStore } from '../store/requestStore.js';

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

interface Figure {
  label: string;
  statuses?: RequestStatus[];
  recent?: boolean;
  reportedByOwner?: true;
}

const FIGURES: Figure[] = [
  { label: 'Waiting for confirmation', statuses: ['AwaitingConfirmation'] },
  { label: 'In review', statuses: ['AwaitingApproval'] },
  { label: `Failed, last ${RECENT_DAYS} days`, statuses: ['Failed'], recent: true },
  { label: `Declined, last ${RECENT_DAYS} days`, statuses: ['Declined'], recent: true },
  { label: `Owner reports, last ${RECENT_DAYS} days`, recent: true, reportedByOwner: true },
];

/**
 * The console's figures as of `now`. "Last 7 days" counts requests submitted since the start (UTC)
 * of the day 7 days ago: a whole day, as the list's date filter reads it, so the list agrees.
 */
export function consoleCounts(store: RequestStore, now: Date): Promise<ConsoleCount[]> {
  const day = new Date(now.getTime() - RECENT_DAYS * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
  const since = `${day}T00:00:00.000Z`;
  return Promise.all(
    FIGURES.map(async (figure) => {
      const query: RequestListQuery = {
        ...(figure.statuses ? { statuses: figure.statuses } : {}),
        ...(figure.reportedByOwner ? { reportedByOwner: true } : {}),
        ...(figure.recent ? { from: since } : {}),
      };
      const { count, atLeast } = await countMatching(store, query);
      const filters: Record<string, string> = {
        ...(figure.statuses ? { status: figure.statuses.join(',') } : {}),
        ...(figure.reportedByOwner ? { reportedByOwner: 'true' } : {}),
        ...(figure.recent ? { from: day } : {}),
      };
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
