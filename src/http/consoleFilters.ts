/**
 * The console's search form speaks the admin API's list filters (DESIGN §4), with one browser
 * habit: a checkbox per status sends `status` once per box (a date picker's day is what the API
 * takes too). `apiListQuery` turns the form's query into the API's, which
 * `parseRequestListQuery` then checks exactly as it checks the API's, unknown names included.
 */

/** Rows per console page: a screenful, fewer than the API's default. */
export const CONSOLE_PAGE_SIZE = 25;

/** The form's filters as the admin API's list query; `paging: false` leaves out the page (for the export). */
export function apiListQuery(form: URLSearchParams, options: { paging: boolean }): URLSearchParams {
  const query = new URLSearchParams();
  const statuses = form
    .getAll('status')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
  if (statuses.length > 0) query.set('status', statuses.join(','));
  for (const [name, value] of form) {
    if (name === 'status' || !value.trim() || (!options.paging && (name === 'continuationToken' || name === 'top'))) continue;
    query.append(name, value);
  }
  if (options.paging && !query.has('top')) query.set('top', String(CONSOLE_PAGE_SIZE));
  return query;
}

/** The form's filters without paging, for the links that keep them (next page, export). */
export function consoleFilters(form: URLSearchParams): URLSearchParams {
  const filters = new URLSearchParams();
  for (const [name, value] of form) if (name !== 'continuationToken' && value.trim()) filters.append(name, value);
  return filters;
}
