import { REQUEST_STATUSES, type RequestStatus } from '../domain/request.js';
import { MAX_PAGE_SIZE } from '../store/listIndex.js';
import type { RequestListQuery } from '../store/requestStore.js';
import { HttpError, type FieldMessages } from './errors.js';

/** The longest address Graph stores; a longer prefix matches nothing and is a mistake. */
const MAX_EMAIL_LENGTH = 320;

/** A directory object id: a GUID, which Graph writes in lower case. */
const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A `from` or `to` given as a day alone, and the length of that day. */
const DATE_ONLY_LENGTH = 'yyyy-mm-dd'.length;
const DAY_MS = 86_400_000;

/** The query parameters of the admin list and export (DESIGN §4); any other is refused. */
export const REQUEST_LIST_PARAMETERS = ['status', 'email', 'guestId', 'reportedByOwner', 'from', 'to', 'top', 'continuationToken'] as const;

/**
 * Reads the admin list filters from the query string. A filter that cannot be applied is a 400,
 * never silently ignored: an admin who mistypes a status, or a parameter's name, must not get an
 * unfiltered list. Names are case-sensitive, as DESIGN §4 spells them.
 */
export function parseRequestListQuery(query: URLSearchParams): RequestListQuery {
  const problems: FieldMessages = {};
  const result: RequestListQuery = {};
  for (const name of new Set(query.keys())) {
    if (!(REQUEST_LIST_PARAMETERS as readonly string[]).includes(name)) problems[name] = `Unknown query parameter; use ${REQUEST_LIST_PARAMETERS.join(', ')}.`;
    else if (query.getAll(name).length > 1) problems[name] = 'Give this parameter once.';
  }
  const value = (name: string): string | undefined => {
    const text = query.get(name)?.trim();
    return text ? text : undefined;
  };
  // An id or a number is taken as given: `top=+5` arrives as " 5", which is not plain digits.
  const exact = (name: string): string | undefined => (value(name) === undefined ? undefined : query.get(name)!);

  const status = value('status');
  if (status !== undefined) {
    const statuses = status.split(',').map((name) => REQUEST_STATUSES.find((known) => known.toLowerCase() === name.trim().toLowerCase()));
    if (statuses.every((known) => known !== undefined)) result.statuses = [...new Set(statuses)] as RequestStatus[];
    else problems.status = `Must be one or more of ${REQUEST_STATUSES.join(', ')}, separated by commas.`;
  }

  const email = value('email');
  if (email !== undefined) {
    if (email.length <= MAX_EMAIL_LENGTH && !/[\s\p{Cc}]/u.test(email)) result.email = email.toLowerCase();
    else problems.email = `Must be the start of an address: at most ${MAX_EMAIL_LENGTH} characters, no spaces.`;
  }
  const guestId = exact('guestId');
  if (guestId !== undefined) {
    if (OBJECT_ID.test(guestId)) result.guestId = guestId.toLowerCase();
    else problems.guestId = "Must be the guest's directory object id, a GUID like 0b5f8a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b.";
  }
  const reportedByOwner = exact('reportedByOwner');
  if (reportedByOwner !== undefined) {
    // Only `true`: the owner's reports are what admins look for; "not reported" is every other request.
    if (reportedByOwner.toLowerCase() === 'true') result.reportedByOwner = true;
    else problems.reportedByOwner = 'Must be true (only the requests the owner reported), or left out.';
  }

  for (const bound of ['from', 'to'] as const) {
    const text = value(bound);
    if (text === undefined) continue;
    const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(ms) || !isCalendarDay(text.slice(0, 10))) problems[bound] = 'Must be an ISO 8601 date or date-time, like 2024-05-01 or 2024-05-01T10:00:00Z.';
    // A day alone is the whole day: `to=2024-05-01` takes in what was submitted on the 1st.
    else result[bound] = new Date(bound === 'to' && text.length === DATE_ONLY_LENGTH ? ms + DAY_MS - 1 : ms).toISOString();
  }
  if (result.from && result.to && result.from > result.to) problems.to = 'Must not be before from.';

  const top = exact('top');
  if (top !== undefined) {
    const n = /^\d+$/.test(top) ? Number(top) : Number.NaN;
    if (n >= 1 && n <= MAX_PAGE_SIZE) result.top = n;
    else problems.top = `Must be a whole number from 1 to ${MAX_PAGE_SIZE}, in plain digits.`;
  }

  const continuationToken = value('continuationToken');
  if (continuationToken !== undefined) result.continuationToken = continuationToken;

  if (Object.keys(problems).length > 0) {
    throw new HttpError('InvalidQuery', `Invalid query parameter: ${Object.keys(problems).join(', ')}.`, { details: problems });
  }
  return result;
}

/** Date.parse rolls 2024-02-30 over to 1 March: a day that does not exist is refused instead. */
function isCalendarDay(ymd: string): boolean {
  const [year, month, day] = ymd.split('-').map(Number);
  return new Date(Date.UTC(year!, month! - 1, day!)).toISOString().slice(0, 10) === ymd;
}
