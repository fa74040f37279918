import { HttpResponse, type HttpRequest, type InvocationContext } from '@azure/functions';
import type { EmailChangeRequest } from '../domain/request.js';
import { MAX_PAGE_SIZE } from '../store/listIndex.js';
import type { RequestListQuery, RequestStore } from '../store/requestStore.js';
import { authenticateAdmin } from './adminAuth.js';
import { parseRequestListQuery } from './adminQuery.js';
import { csvRow, type CsvCell } from './csv.js';
import type { HttpDependencies } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
import { downloadHeaders } from './security.js';

/** The export's columns: what an auditor asks for, one request a row, in the list's order. */
const COLUMNS: [header: string, cell: (request: EmailChangeRequest) => CsvCell][] = [
  ['id', (r) => r.id],
  ['status', (r) => r.status],
  ['submittedAt', (r) => r.submittedAt],
  ['updatedAt', (r) => r.updatedAt],
  ['currentEmail', (r) => r.currentEmail],
  ['newEmail', (r) => r.newEmail],
  ['reason', (r) => r.reason],
  ['reasonDetail', (r) => r.reasonDetail],
  ['displayName', (r) => r.displayName],
  ['guestId', (r) => r.guestId],
  ['guestDisplayName', (r) => r.guestDisplayName],
  ['approvers', (r) => r.approvers.map((approver) => approver.mail).join('; ')],
  ['deadline', (r) => r.deadline],
  ['declineReason', (r) => r.declineReason],
  ['decisionOutcome', (r) => r.decision?.outcome],
  ['decisionBy', (r) => r.decision?.by],
  ['decisionAt', (r) => r.decision?.at],
  ['decisionComment', (r) => r.decision?.comment],
  ['invitationId', (r) => (r.result && 'invitationId' in r.result ? r.result.invitationId : undefined)],
  ['errorCode', (r) => (r.result && 'code' in r.result ? r.result.code : undefined)],
  ['errorMessage', (r) => (r.result && 'code' in r.result ? r.result.message : undefined)],
  ['graphRequestId', (r) => (r.result && 'code' in r.result ? r.result.requestId : undefined)],
  ['mailRestore', (r) => r.mailRestore],
  ['cancelReason', (r) => r.cancelReason],
  ['sourceIp', (r) => r.source.ip],
];

/** The export is every match; paging parameters belong to the list. */
const PAGING_PARAMETERS = ['top', 'continuationToken'];

/**
 * `GET /api/admin/requests/export`: the list filters as CSV. The body is a stream that reads the
 * next store page only when the previous one has been taken, and goes out as written because the
 * app streams HTTP (`functions/httpStreaming.ts`; without it `@azure/functions` reads such a body
 * whole before answering).
 */
export function exportAdminRequests(request: HttpRequest, context: InvocationContext, deps: HttpDependencies): Promise<HttpResponse> {
  return respondSafely(context, 'json', async () => {
    await authenticateAdmin(request, deps.settings);
    return csvExportResponse(request.query, deps);
  });
}

/**
 * The CSV of every request matching the list filters in `query`, for whoever the caller has
 * already checked is an admin (the API's bearer token, the console's session).
 */
export function csvExportResponse(query: URLSearchParams, deps: Pick<HttpDependencies, 'store' | 'clock'>): HttpResponse {
  const filters = parseRequestListQuery(query);
  const paging = PAGING_PARAMETERS.filter((name) => query.has(name));
  if (paging.length > 0) {
    const details = Object.fromEntries(paging.map((name) => [name, 'The export holds every matching request; page through the list instead.']));
    throw new HttpError('InvalidQuery', `Invalid query parameter: ${paging.join(', ')}.`, { details });
  }
  const filename = `email-change-requests-${deps.clock().toISOString().replace(/[-:]|\.\d+/g, '')}.csv`;
  return new HttpResponse({ status: 200, body: csvStream(deps.store, filters), headers: downloadHeaders('text/csv; charset=utf-8', filename) });
}

function csvStream(store: RequestStore, query: RequestListQuery): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let continuationToken: string | undefined;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(csvRow(COLUMNS.map(([header]) => header))));
        return;
      }
      const page = await store.listRequests({ ...query, top: MAX_PAGE_SIZE, continuationToken });
      const rows = page.items.map((item) => csvRow(COLUMNS.map(([, cell]) => cell(item)))).join('');
      if (rows) controller.enqueue(encoder.encode(rows));
      continuationToken = page.continuationToken;
      if (!continuationToken) controller.close();
    },
  });
}
