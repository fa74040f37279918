import { GraphHttpError } from './graphHttp.js';

/** An injected failure: the next `count` matching calls fail (DESIGN §7 `POST /_dev/graph/faults`). */
export interface GraphFault {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Prefix of the request path, e.g. `/v1.0/invitations`. */
  path: string;
  status: number;
  count: number;
  /** Seconds for a `Retry-After` header. */
  retryAfter?: number;
  code?: string;
  message?: string;
}

/** Graph's usual code for each status, used when a fault names none. */
const DEFAULT_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'Forbidden',
  404: 'Request_ResourceNotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const DEFAULT_MESSAGES: Record<number, string> = {
  429: 'Please retry again later.',
  503: 'The service is temporarily unavailable. Please retry later.',
};

export class FaultInjector {
  private faults: GraphFault[] = [];

  add(fault: GraphFault): void {
    if (typeof fault.path !== 'string' || !fault.path.startsWith('/')) throw new RangeError('path must start with /');
    if (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599) throw new RangeError('status must be an HTTP error status (400-599)');
    if (!Number.isInteger(fault.count) || fault.count < 1) throw new RangeError('count must be a positive whole number');
    if (fault.retryAfter !== undefined && (typeof fault.retryAfter !== 'number' || !(fault.retryAfter >= 0))) throw new RangeError('retryAfter must be a number of seconds');
    this.faults.push({ ...fault, method: fault.method?.toUpperCase() });
  }

  clear(): void {
    this.faults = [];
  }

  /** Consumes one use of the first fault matching the call, if any. */
  take(method: string, path: string): GraphHttpError | undefined {
    const fault = this.faults.find((f) => (!f.method || f.method === method.toUpperCase()) && path.startsWith(f.path));
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count === 0) this.faults = this.faults.filter((f) => f !== fault);
    const code = fault.code ?? DEFAULT_CODES[fault.status] ?? 'UnknownError';
    const message = fault.message ?? DEFAULT_MESSAGES[fault.status] ?? `Injected fault: ${code}.`;
    return new GraphHttpError(fault.status, code, message, fault.retryAfter);
  }
}
