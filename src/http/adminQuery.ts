import { REQUEST_STATUSES, type RequestStatus } from '../domain/request.js';
import { MAX_PAGE_SIZE } from '../store/listIndex.js';
import type { RequestListQuery } from '../store/requestStore.js';
import { HttpError, type FieldMessages } from './errors.js';

/**
 * Reads the admin list filters from the query string. A filter that cannot be applied is a 400,
 * never silently ignored: an admin who mistypes a status must not get an unfiltered list.
 */
export function parseRequestListQuery(query: URLSearchParams): RequestListQuery {
  const problems: FieldMessages = {};
  const result: RequestListQuery = {};
  const value = (name: string): string | undefined => {
    const text = query.get(name)?.trim();
    return text ? text : undefined;
  };

  const status = value('status');
  if (status !== undefined) {
    if ((REQUEST_STATUSES as readonly string[]).includes(status)) result.status = status as RequestStatus;
    else problems.status = `Must be one of ${REQUEST_STATUSES.join(', ')}.`;
  }

  const email = value('email');
  if (email !== undefined) result.email = email.toLowerCase();
  const guestId = value('guestId');
  if (guestId !== undefined) result.guestId = guestId;

  for (const bound of ['from', 'to'] as const) {
    const text = value(bound);
    if (text === undefined) continue;
    const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(ms)) problems[bound] = 'Must be an ISO 8601 date or date-time, like 2024-05-01 or 2024-05-01T10:00:00Z.';
    else result[bound] = new Date(ms).toISOString();
  }
  if (result.from && result.to && result.from > result.to) problems.to = 'Must not be before from.';

  const top = value('top');
  if (top !== undefined) {
    const n = /^\d+$/.test(top) ? Number(top) : Number.NaN;
    if (n >= 1 && n <= MAX_PAGE_SIZE) result.top = n;
    else problems.top = `Must be a whole number from 1 to ${MAX_PAGE_SIZE}.`;
  }

  const continuationToken = value('continuationToken');
  if (continuationToken !== undefined) result.continuationToken = continuationToken;

  if (Object.keys(problems).length > 0) {
    throw new HttpError('InvalidQuery', 'Some query parameters are invalid.', { details: problems });
  }
  return result;
}
