import { GraphClientError, GraphError } from '@microsoft/microsoft-graph-client';
import { GraphRequestError } from './graphGateway.js';

/**
 * Statuses worth retrying for every call (DESIGN §5): throttling (graph-api.md §6) and the server
 * or gateway faults Graph answers now and then. Everything else is final, but for one 400 below.
 */
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * The invitation service's "doesn't match any emails on the user object" 400 can follow a `mail`
 * PATCH that has not replicated yet (graph-api.md §9): retried like a transient fault, a few times.
 */
const EMAIL_NOT_ON_USER_YET = /doesn.t match any emails on the user object/i;

/** Code of a failure that never got an HTTP answer. */
export const NETWORK_ERROR_CODE = 'NetworkError';
/** Code of a failure to get a token (managed identity endpoint or Entra ID unreachable or refusing). */
export const AUTHENTICATION_ERROR_CODE = 'AuthenticationFailed';

/**
 * The one place that turns whatever a Graph SDK call threw into `GraphRequestError`, keeping
 * Graph's `code`, `message` and `request-id` for the audit trail (DESIGN §5).
 */
export function toGraphRequestError(error: unknown): GraphRequestError {
  if (error instanceof GraphRequestError) return error;
  if (error instanceof GraphError && error.statusCode > 0) {
    const status = error.statusCode;
    const code = error.code || `HttpStatus${status}`;
    const requestId = error.requestId || error.headers?.get('request-id') || undefined;
    const transient = TRANSIENT_STATUSES.has(status) || (status === 400 && EMAIL_NOT_ON_USER_YET.test(error.message ?? ''));
    return new GraphRequestError(status, code, error.message || code, requestId, transient);
  }
  if (error instanceof GraphClientError) {
    // The SDK refused the call before sending it: a defect here, not something to retry.
    return new GraphRequestError(0, 'GraphClientError', error.message, undefined, false);
  }
  const reason = error instanceof Error ? error.message : String(error);
  // The SDK copies the underlying error's name into `code`; @azure/identity names its errors *Credential*/*Authentication*.
  const underlying = error instanceof GraphError ? (error.code ?? '') : error instanceof Error ? error.name : '';
  if (/Credential|Authentication/.test(underlying)) {
    // Retryable: the identity endpoint is usually briefly unavailable, and a misconfiguration still ends after the retries.
    return new GraphRequestError(0, AUTHENTICATION_ERROR_CODE, `No Microsoft Graph token: ${reason}`, undefined, true);
  }
  return new GraphRequestError(0, NETWORK_ERROR_CODE, `Microsoft Graph could not be reached: ${reason}`, undefined, true);
}
