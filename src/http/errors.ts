import type { HttpResponse, InvocationContext } from '@azure/functions';
import { messagePage } from '../templates/pages.js';
import type { ResponseFormat } from './negotiation.js';
import { jsonResponse, pageResponse } from './security.js';

/**
 * The closed set of errors the HTTP layer answers with. Handlers throw `HttpError`; one function
 * (`errorResponse`) turns anything thrown into a response, so a status code never
 * depends on which handler failed.
 */

export type ErrorCode =
  | 'ValidationFailed'
  | 'InvalidJson'
  | 'InvalidQuery'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyDecided'
  | 'AlreadyFinished'
  | 'LockInUse'
  | 'NotAwaitingApproval'
  | 'NotRetryable'
  | 'Gone'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'RateLimited'
  | 'InternalError';

/** Every code's HTTP status; the compiler rejects a code without one. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  ValidationFailed: 400,
  InvalidJson: 400,
  InvalidQuery: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  AlreadyDecided: 409,
  AlreadyFinished: 409,
  LockInUse: 409,
  NotAwaitingApproval: 409,
  NotRetryable: 409,
  Gone: 410,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RateLimited: 429,
  InternalError: 500,
};

export interface HttpErrorOptions {
  /** Machine-readable extras, e.g. per-field messages; sent to the client as `details`. */
  details?: unknown;
  /** Response headers the error requires (`Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
  /** Title of the HTML page when the error answers a page route. */
  title?: string;
  cause?: unknown;
}

/** An error whose message is safe to show to the caller. */
export class HttpError extends Error {
  readonly status: number;
  readonly details?: unknown;
  readonly headers: Record<string, string>;
  readonly title?: string;

  constructor(readonly code: ErrorCode, message: string, options: HttpErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'HttpError';
    this.status = HTTP_STATUS_BY_CODE[code];
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.title = options.title;
  }
}

/** Per-field messages, the `details` of `ValidationFailed` and `InvalidQuery`. */
export type FieldMessages = Record<string, string>;

const PAGE_TITLES: Record<ErrorCode, string> = {
  ValidationFailed: 'Please check your input',
  InvalidJson: 'Unreadable request',
  InvalidQuery: 'Invalid query',
  Unauthorized: 'Sign-in required',
  Forbidden: 'Not allowed',
  NotFound: 'Link not found',
  AlreadyDecided: 'Already decided',
  AlreadyFinished: 'Already finished',
  LockInUse: 'Lock in use',
  NotAwaitingApproval: 'Not awaiting approval',
  NotRetryable: 'Cannot be retried',
  Gone: 'Link no longer valid',
  PayloadTooLarge: 'Request too large',
  UnsupportedMediaType: 'Unsupported request',
  RateLimited: 'Too many requests',
  InternalError: 'Something went wrong',
};

/**
 * Turns anything a handler threw into the response: an `HttpError` becomes its own status, code
 * and message; anything else is logged with its cause and answered with a generic 500 that
 * reveals nothing internal.
 */
export function errorResponse(error: unknown, context: InvocationContext, format: ResponseFormat): HttpResponse {
  const known =
    error instanceof HttpError ? error : new HttpError('InternalError', 'The request could not be processed. Please try again later.');
  if (!(error instanceof HttpError)) context.error('Unhandled error while answering an HTTP request', error);
  if (format === 'html') {
    const page = messagePage({ title: known.title ?? PAGE_TITLES[known.code], message: known.message });
    return pageResponse(known.status, page, known.headers);
  }
  const body = { error: { code: known.code, message: known.message, ...(known.details === undefined ? {} : { details: known.details }) } };
  return jsonResponse(known.status, body, known.headers);
}

/** Runs a handler body and answers whatever it throws through `errorResponse`. */
export async function respondSafely(context: InvocationContext, format: ResponseFormat, work: () => Promise<HttpResponse>): Promise<HttpResponse> {
  try {
    return await work();
  } catch (error) {
    return errorResponse(error, context, format);
  }
}
