import { CHANGE_REASONS, DECLINE_REASONS, REQUEST_STATUSES } from '../domain/request.js';
import { MAX_PAGE_SIZE } from '../store/listIndex.js';
import { MAX_ADMIN_REASON_LENGTH } from './adminReason.js';
import { CONSOLE_ACTIONS } from './consoleActions.js';
import { HTTP_STATUS_BY_CODE, type ErrorCode } from './errors.js';

/**
 * The OpenAPI 3.1 description of the HTTP contract (DESIGN §4), served at `GET /api/openapi.json`.
 * Enumerations come from the domain and the error table, so the document cannot drift from them;
 * the tests validate the document and every admin response they receive against it.
 */

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Schema): Schema => ({ oneOf: [schema, { type: 'null' }] });
const text: Schema = { type: 'string' };
const dateTime: Schema = { type: 'string', format: 'date-time' };
const json = (schema: Schema) => ({ 'application/json': { schema } });
const html = { 'text/html': { schema: text } };

/** Error responses by status, with the codes each can carry on this route. */
function errors(format: 'json' | 'html', ...codes: ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, 'InternalError' as const]) byStatus.set(HTTP_STATUS_BY_CODE[code], [...(byStatus.get(HTTP_STATUS_BY_CODE[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, statusCodes]) => [
      String(status),
      {
        description: `${format === 'json' ? 'Error' : 'Error page'}: ${statusCodes.join(', ')}.`,
        ...(status === 401 ? { headers: { 'WWW-Authenticate': { schema: { const: 'Bearer' } } } } : {}),
        ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer', minimum: 1 } } } } : {}),
        content: format === 'json' ? json(ref('Error')) : html,
      },
    ]),
  );
}

const token = { name: 'token', in: 'path', required: true, description: 'The single-use token from the mailed link.', schema: text };
const id = { name: 'id', in: 'path', required: true, description: 'The request id.', schema: text };
const admin = { security: [{ adminBearer: [] }], tags: ['Admin'] };
const adminErrors = ['Unauthorized', 'Forbidden'] as const;
/** Console pages: the platform's sign-in session (a cookie), never a bearer token. */
const consolePage = { security: [{ consoleSession: [] }], tags: ['Admin console'] };
/** A console page's error pages: 401 offers sign-in (no `WWW-Authenticate`: it is a page), 403 without the admin role. */
function consoleErrors(...codes: ErrorCode[]): Record<string, unknown> {
  return {
    '401': { description: 'Page offering sign-in.', content: html },
    ...errors('html', 'Forbidden', ...codes),
  };
}
/** A page POSTed from a button on the page itself (anti-forgery value included). */
const pageForm = (properties: Record<string, Schema>) => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { ...properties, csrf: { type: 'string', description: 'The anti-forgery value from the page.' } } } } },
});

const listFilters = [
  {
    name: 'status',
    in: 'query',
    description: `One or more statuses, comma-separated, case-insensitive: ${REQUEST_STATUSES.join(', ')}.`,
    schema: { type: 'string', examples: ['AwaitingApproval,failed'] },
  },
  { name: 'email', in: 'query', description: 'The start of the current or the new address, case-insensitive (at most 320 characters).', schema: { type: 'string', maxLength: 320 } },
  { name: 'guestId', in: 'query', description: "The guest's directory object id (a GUID, any case).", schema: { type: 'string', format: 'uuid' } },
  { name: 'reportedByOwner', in: 'query', description: 'true: only the requests the owner of the current address reported ("this wasn\'t me").', schema: { type: 'string', examples: ['true'] } },
  {
    name: 'from',
    in: 'query',
    description: 'Submitted at or after this time (inclusive); ISO 8601, a date alone is midnight UTC.',
    schema: { type: 'string', examples: ['2025-05-01', '2025-05-01T10:00:00Z'] },
  },
  { name: 'to', in: 'query', description: 'Submitted at or before this time (inclusive); ISO 8601, a date alone is the whole of that day (UTC).', schema: text },
];

const requestView: Schema = {
  type: 'object',
  description: 'A request as admins see it: unknown optional facts are null; declineReason only when Declined.',
  required: ['id', 'status', 'currentEmail', 'newEmail', 'reason', 'guestId', 'approvers', 'submittedAt', 'updatedAt', 'decision', 'result', 'mailRestore', 'source'],
  properties: {
    id: text,
    status: { enum: [...REQUEST_STATUSES] },
    currentEmail: text,
    newEmail: text,
    reason: { enum: [...CHANGE_REASONS] },
    reasonDetail: text,
    displayName: text,
    source: { type: 'object', properties: { ip: text, userAgent: text } },
    submittedAt: dateTime,
    updatedAt: dateTime,
    guestId: nullable(text),
    guestDisplayName: text,
    guestMail: nullable(text),
    approvers: { type: 'array', items: ref('Approver') },
    deadline: dateTime,
    declineReason: { enum: [...DECLINE_REASONS] },
    decision: nullable(ref('Decision')),
    result: nullable({
      oneOf: [
        { type: 'object', required: ['invitationId'], properties: { invitationId: text }, additionalProperties: false },
        {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: text,
            message: text,
            requestId: text,
            transient: { const: true, description: 'Graph kept failing with a passing fault (429, 5xx, network) until the retries ran out: the reset may be retried.' },
          },
          additionalProperties: false,
        },
      ],
    }),
    previousMail: nullable(text),
    mailRestore: nullable({ enum: ['pending', 'done'] }),
    transientFaults: {
      type: 'object',
      description: 'While the reset is being retried: how many tries Graph failed with a passing fault, and the last fault.',
      properties: { tries: { type: 'integer', minimum: 1 }, last: { type: 'object', properties: { code: text, message: text, requestId: text } } },
    },
    resetAttempt: { type: 'integer', minimum: 2, description: 'Which run of the reset the request is on, after an admin retried it; absent for the first.' },
    cancelReason: text,
    reportedByOwner: { type: 'boolean', description: 'The owner of the current address said "this wasn\'t me" (absent otherwise).' },
  },
};

/** The answer of an action on the approvers: the request's approvers as they now stand. */
const approversChanged = {
  description: 'Done: the links are mailed.',
  content: json({ type: 'object', required: ['requestId', 'approvers'], properties: { requestId: text, approvers: { type: 'array', items: ref('Approver') } } }),
};
/** Errors of an admin action that reads a JSON body. */
const actionErrors = ['ValidationFailed', 'InvalidJson', ...adminErrors, 'NotFound', 'PayloadTooLarge', 'UnsupportedMediaType'] as const;

const submission: Schema = {
  type: 'object',
  required: ['currentEmail', 'newEmail', 'reason'],
  properties: {
    currentEmail: { type: 'string', format: 'email' },
    newEmail: { type: 'string', format: 'email' },
    reason: { enum: [...CHANGE_REASONS] },
    reasonDetail: { type: 'string', description: 'Required when reason is Other.' },
    displayName: text,
  },
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Guest sign-in email change',
      version: '1',
      description: 'Self-service, approval-gated sign-in email change for Microsoft Entra ID B2B guests. Errors in JSON are `{"error": {"code", "message", "details"?}}`.',
    },
    tags: [{ name: 'Public' }, { name: 'Approver' }, { name: 'Admin' }],
    paths: {
      '/api/openapi.json': {
        get: { tags: ['Public'], summary: 'This document (also HEAD).', operationId: 'getOpenApiDocument', responses: { '200': { description: 'OpenAPI 3.1 document.', content: json({ type: 'object' }) } } },
      },
      '/api/requests/new': {
        get: { tags: ['Public'], summary: 'The request form (also HEAD).', operationId: 'showRequestForm', responses: { '200': { description: 'The form.', content: html }, ...errors('html') } },
      },
      '/api/requests/received': {
        get: {
          tags: ['Public'],
          summary: 'The "request received" page a form post is redirected to (also HEAD).',
          operationId: 'showRequestReceived',
          responses: { '200': { description: 'The page.', content: html }, ...errors('html') },
        },
      },
      '/api/requests': {
        post: {
          tags: ['Public'],
          summary: 'Asks for a sign-in email change (at most 16 KiB).',
          operationId: 'submitRequest',
          requestBody: { required: true, content: { 'application/json': { schema: submission }, 'application/x-www-form-urlencoded': { schema: submission } } },
          responses: {
            '202': { description: 'JSON: received.', content: json({ type: 'object', required: ['requestId', 'status'], properties: { requestId: text, status: text } }) },
            '303': { description: 'Form: to the "request received" page.', headers: { Location: { schema: text } } },
            ...errors('json', 'ValidationFailed', 'InvalidJson', 'PayloadTooLarge', 'UnsupportedMediaType', 'RateLimited'),
          },
        },
      },
      '/api/confirmations/{token}': {
        parameters: [token],
        get: { tags: ['Public'], summary: "The new address's confirmation page (also HEAD); changes nothing.", operationId: 'showConfirmation', responses: { '200': { description: 'Page.', content: html }, ...errors('html', 'NotFound', 'Gone') } },
        post: {
          tags: ['Public'],
          summary: 'Confirms the new address.',
          operationId: 'confirm',
          requestBody: pageForm({}),
          responses: { '200': { description: 'Confirmed; page with the tracking link.', content: html }, ...errors('html', 'Forbidden', 'NotFound', 'Gone') },
        },
      },
      '/api/track/{token}': {
        parameters: [token],
        get: {
          tags: ['Public'],
          summary: "The requester's tracking page (also HEAD).",
          operationId: 'showTracking',
          responses: { '200': { description: 'Page.', content: html }, ...errors('html', 'NotFound', 'Gone') },
        },
        post: {
          tags: ['Public'],
          summary: 'Cancels a request not yet decided (action=cancel).',
          operationId: 'cancelFromTracking',
          requestBody: pageForm({ action: { const: 'cancel' } }),
          responses: { '202': { description: 'Cancelled; page.', content: html }, ...errors('html', 'ValidationFailed', 'Forbidden', 'NotFound', 'AlreadyDecided', 'AlreadyFinished', 'Gone') },
        },
      },
      '/api/reports/{token}': {
        parameters: [token],
        get: {
          tags: ['Public'],
          summary: '"This wasn\'t me" page (also HEAD).',
          operationId: 'showReport',
          responses: { '200': { description: 'Page.', content: html }, ...errors('html', 'NotFound', 'Gone') },
        },
        post: {
          tags: ['Public'],
          summary: 'Reports the request: cancels it if undecided and alerts admins and approvers.',
          operationId: 'report',
          requestBody: pageForm({}),
          responses: { '200': { description: 'Reported; page.', content: html }, ...errors('html', 'Forbidden', 'NotFound', 'Gone') },
        },
      },
      '/api/approvals/{token}': {
        parameters: [token],
        get: {
          tags: ['Approver'],
          summary: 'The approval page with Approve / Reject (also HEAD); changes nothing.',
          operationId: 'showApproval',
          responses: { '200': { description: 'Page, or a sign-in offer when sign-in is required.', content: html }, ...errors('html', 'NotFound', 'Gone') },
        },
        post: {
          tags: ['Approver'],
          summary: 'Records the decision.',
          operationId: 'decideApproval',
          requestBody: pageForm({ decision: { enum: ['approve', 'reject'] }, comment: text }),
          responses: { '200': { description: 'Decision recorded; result page.', content: html }, ...errors('html', 'ValidationFailed', 'Forbidden', 'NotFound', 'AlreadyDecided', 'Gone') },
        },
      },
      '/api/admin/': {
        get: {
          ...consolePage,
          summary:
            'The admin console (also HEAD): figures, search (the list filters; `status` also once per checkbox, `to` a whole day), one page of requests newest first. Signed out: 401 page offering sign-in; signed in without the admin role: 403 page.',
          operationId: 'showConsole',
          parameters: [...listFilters, { name: 'continuationToken', in: 'query', description: 'The next page, from the page before.', schema: text }],
          responses: { '200': { description: 'Page.', content: html }, '400': { description: 'Page naming the filters that cannot be applied.', content: html }, ...consoleErrors() },
        },
      },
      '/api/admin/console/requests/{id}': {
        parameters: [id],
        get: {
          ...consolePage,
          summary: 'A request in the console (also HEAD): details, workflow state, timeline in words, and the actions that apply.',
          operationId: 'showConsoleRequest',
          parameters: [{ name: 'done', in: 'query', description: 'The action just performed, to say so.', schema: text }],
          responses: { '200': { description: 'Page.', content: html }, ...consoleErrors('NotFound') },
        },
      },
      '/api/admin/console/requests/{id}/{action}': {
        parameters: [id, { name: 'action', in: 'path', required: true, description: 'The console action.', schema: { enum: CONSOLE_ACTIONS.map((a) => a.name) } }],
        get: {
          ...consolePage,
          summary: "An action's confirmation step (also HEAD); changes nothing. 409 page when the action does not apply now.",
          operationId: 'showConsoleAction',
          responses: { '200': { description: 'Page.', content: html }, '409': { description: 'Page: not possible now.', content: html }, ...consoleErrors('NotFound') },
        },
        post: {
          ...consolePage,
          summary: "Performs the confirmed action through its admin API route's code (refusals audited the same way), recorded with the signed-in admin; then 303 to the request page.",
          operationId: 'performConsoleAction',
          requestBody: pageForm({ reason: { type: 'string', minLength: 1, maxLength: MAX_ADMIN_REASON_LENGTH } }),
          responses: {
            '303': { description: 'Done: back to the request page.', headers: { Location: { schema: text } } },
            '400': { description: 'The confirmation step again, with what to correct.', content: html },
            ...consoleErrors('NotFound', 'AlreadyDecided', 'AlreadyFinished', 'LockInUse', 'PayloadTooLarge', 'UnsupportedMediaType'),
          },
        },
      },
      '/api/admin/console/export': {
        get: {
          ...consolePage,
          summary: "The console's filters as CSV, the same file as GET /api/admin/requests/export (also HEAD).",
          operationId: 'exportFromConsole',
          parameters: listFilters,
          responses: {
            '200': { description: 'CSV, streamed.', content: { 'text/csv': { schema: text } }, headers: { 'Content-Disposition': { schema: { type: 'string', pattern: '^attachment; filename="[^"]+\\.csv"$' } } } },
            '400': { description: 'Error page: InvalidQuery.', content: html },
            ...consoleErrors(),
          },
        },
      },
      '/api/admin/requests': {
        get: {
          ...admin,
          summary: 'Requests, newest first, one page at a time. An unknown parameter or a bad value is 400 InvalidQuery naming it.',
          operationId: 'listRequests',
          parameters: [
            ...listFilters,
            { name: 'top', in: 'query', description: 'Page size, default 50.', schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE } },
            { name: 'continuationToken', in: 'query', description: 'From the previous page, with the same filters.', schema: text },
          ],
          responses: {
            '200': {
              description: 'One page.',
              content: json({ type: 'object', required: ['items', 'continuationToken'], properties: { items: { type: 'array', items: ref('AdminRequest') }, continuationToken: nullable(text) } }),
            },
            ...errors('json', 'InvalidQuery', ...adminErrors),
          },
        },
      },
      '/api/admin/requests/export': {
        get: {
          ...admin,
          summary: 'Every request the filters match, as CSV (RFC 4180, header row, UTF-8; cells starting with =, +, -, @, tab or CR are prefixed with \'), streamed a page at a time.',
          operationId: 'exportRequests',
          parameters: listFilters,
          responses: {
            '200': {
              description: 'CSV file, newest first.',
              headers: { 'Content-Disposition': { schema: { type: 'string', pattern: '^attachment; filename="[^"]+\\.csv"$' } } },
              content: { 'text/csv': { schema: text } },
            },
            ...errors('json', 'InvalidQuery', ...adminErrors),
          },
        },
      },
      '/api/admin/requests/{id}': {
        parameters: [id],
        get: {
          ...admin,
          summary: 'The request, its audit trail and its orchestration.',
          operationId: 'getRequest',
          responses: {
            '200': {
              description: 'Found.',
              content: json({
                type: 'object',
                required: ['request', 'events', 'orchestration'],
                properties: { request: ref('AdminRequest'), events: { type: 'array', items: ref('AuditEvent') }, orchestration: nullable(ref('Orchestration')) },
              }),
            },
            ...errors('json', ...adminErrors, 'NotFound'),
          },
        },
      },
      '/api/admin/requests/{id}/cancel': {
        parameters: [id],
        post: {
          ...admin,
          summary: 'Cancels a request not yet decided; audited with the admin and the reason.',
          operationId: 'cancelRequest',
          requestBody: { required: true, content: json(ref('AdminReason')) },
          responses: {
            '202': { description: 'Being cancelled.', content: json({ type: 'object', required: ['requestId', 'status'], properties: { requestId: text, status: { const: 'Cancelling' } } }) },
            ...errors('json', 'ValidationFailed', 'InvalidJson', ...adminErrors, 'NotFound', 'AlreadyDecided', 'AlreadyFinished', 'PayloadTooLarge', 'UnsupportedMediaType'),
          },
        },
      },
      '/api/admin/requests/{id}/resend': {
        parameters: [id],
        post: {
          ...admin,
          summary: 'Mails every current approver a fresh link; the links mailed before stop working (410). Audited with the admin.',
          operationId: 'resendApprovalLinks',
          requestBody: { required: false, content: json(ref('OptionalAdminReason')) },
          responses: { '202': approversChanged, ...errors('json', ...actionErrors, 'NotAwaitingApproval') },
        },
      },
      '/api/admin/requests/{id}/reassign': {
        parameters: [id],
        post: {
          ...admin,
          summary:
            'Adds an approver, or with `replace` puts them in the place of a current approver (whose links stop working). The new approver is read from the directory now: an enabled member, not the guest, holding none of the request\'s or the guest\'s addresses, else 400. Mailed a link; audited with the admin and the reason.',
          operationId: 'reassignApprover',
          requestBody: { required: true, content: json(ref('Reassignment')) },
          responses: { '202': approversChanged, ...errors('json', ...actionErrors, 'NotAwaitingApproval') },
        },
      },
      '/api/admin/requests/{id}/retry': {
        parameters: [id],
        post: {
          ...admin,
          summary:
            'Runs the Graph reset of a Failed request again when it failed on a transient fault (stored with Graph\'s code and transient: true once the retries ran out, or as InternalError; never after a permanent refusal), within RETRY_WINDOW of the approval. The request is Approved again until the new attempt ends Completed or Failed. Audited with the admin. An attempt stored over a minute ago whose instance never started (its process stopped) is started instead (RetryResumed).',
          operationId: 'retryReset',
          requestBody: { required: false, content: json(ref('OptionalAdminReason')) },
          responses: {
            '202': {
              description: 'The new attempt is running.',
              content: json({
                type: 'object',
                required: ['requestId', 'status', 'attempt', 'instanceId'],
                properties: { requestId: text, status: { const: 'Approved' }, attempt: { type: 'integer', minimum: 2 }, instanceId: text },
              }),
            },
            ...errors('json', ...actionErrors, 'NotRetryable', 'LockInUse'),
          },
        },
      },
      '/api/admin/guests/{guestId}/release-lock': {
        parameters: [{ name: 'guestId', in: 'path', required: true, schema: text }],
        post: {
          ...admin,
          summary: "Frees a guest's lock so the guest can ask again; audited on the request that held it.",
          operationId: 'releaseGuestLock',
          requestBody: { required: true, content: json(ref('AdminReason')) },
          responses: {
            '200': {
              description: 'Released.',
              content: json({ type: 'object', required: ['guestId', 'requestId', 'releasedAt'], properties: { guestId: text, requestId: text, releasedAt: dateTime } }),
            },
            ...errors('json', 'ValidationFailed', 'InvalidJson', ...adminErrors, 'NotFound', 'LockInUse', 'PayloadTooLarge', 'UnsupportedMediaType'),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        adminBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An Entra ID access token for the API with the admin app role.' },
        consoleSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'AppServiceAuthSession',
          description: "The platform's Entra ID sign-in session (App Service Authentication), whose user holds the admin app role.",
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          additionalProperties: false,
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              additionalProperties: false,
              properties: { code: { enum: Object.keys(HTTP_STATUS_BY_CODE) }, message: text, details: { description: 'Per-field messages for ValidationFailed and InvalidQuery.' } },
            },
          },
        },
        AdminReason: {
          type: 'object',
          required: ['reason'],
          properties: { reason: { type: 'string', minLength: 1, maxLength: MAX_ADMIN_REASON_LENGTH } },
          description: 'A missing or empty body is 400 ValidationFailed ("a reason is required").',
        },
        OptionalAdminReason: {
          type: 'object',
          properties: { reason: { type: 'string', maxLength: MAX_ADMIN_REASON_LENGTH } },
          description: 'No body, or a reason of up to 500 characters for the audit trail.',
        },
        Reassignment: {
          type: 'object',
          required: ['approverId', 'reason'],
          properties: {
            approverId: { type: 'string', description: 'Directory object id of the approver to assign.' },
            reason: { type: 'string', minLength: 1, maxLength: MAX_ADMIN_REASON_LENGTH },
            replace: { type: 'string', description: 'Object id of a current approver to replace; absent: the approver is added.' },
          },
        },
        AdminRequest: requestView,
        Approver: {
          type: 'object',
          required: ['id', 'displayName', 'mail'],
          properties: {
            id: text,
            displayName: text,
            mail: text,
            assigned: {
              type: 'object',
              description: 'Present when an admin assigned this approver (reassign).',
              required: ['by', 'at', 'reason'],
              properties: { by: text, objectId: text, username: text, at: dateTime, reason: text },
            },
          },
        },
        Decision: { type: 'object', required: ['outcome', 'by', 'at', 'comment'], properties: { outcome: { enum: ['approved', 'rejected'] }, by: text, at: dateTime, comment: nullable(text) } },
        AuditEvent: {
          type: 'object',
          required: ['requestId', 'id', 'at', 'type', 'actor'],
          properties: { requestId: text, id: text, at: dateTime, type: text, actor: text, detail: { type: 'object' } },
        },
        Orchestration: {
          type: 'object',
          required: ['runtimeStatus', 'customStatus', 'createdTime', 'lastUpdatedTime'],
          description: 'The instance running the request, or the latest retry of its reset.',
          properties: { instanceId: text, runtimeStatus: text, customStatus: {}, createdTime: dateTime, lastUpdatedTime: dateTime },
        },
      },
    },
  };
}
