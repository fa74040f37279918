import { randomUUID } from 'node:crypto';
import { GraphRequestError } from '../graph/graphGateway.js';

/**
 * The one rule for what stored and mailed text may say about a failure (DESIGN §4, §5): Graph's
 * own `code`, `message` and `request-id`, or a generic "internal error" with a reference under
 * which the full detail is logged. Never a stack trace, a server path or an exception dump: they
 * tell an attacker about the server and mean nothing to the admin reading the mail.
 */

export const INTERNAL_ERROR_CODE = 'InternalError';

/** What may be stored in a request's `result`, an audit event or a mail about a failure. */
export interface StoredError {
  code: string;
  message: string;
  requestId?: string;
}

/** Graph's messages are a sentence or two; anything longer is not one of them. */
const MAX_GRAPH_MESSAGE_LENGTH = 500;

/** Stack frames, file paths and source positions: signs of an exception dump rather than Graph's words. */
const INTERNAL_DETAIL = /\n|\bat\s+\S.*:\d+:\d+|[A-Za-z]:\\|\/(?:home|work|usr|var|opt|tmp|app|srv|root|mnt)\/|node_modules|\.[cm]?[jt]sx?:\d+/;

/** The generic text, with the reference an operator searches the logs for. */
export function internalErrorMessage(reference: string): string {
  return `Internal error (reference ${reference}). The details are in the application logs under this reference.`;
}

/**
 * Turns anything thrown into what may be stored. A Graph refusal keeps Graph's own words (they
 * let an admin act or open a support case); everything else becomes the generic text with
 * `reference`, which the caller logs next to the full error.
 */
export function storedErrorOf(error: unknown, reference: string): StoredError {
  return graphWordsOf(error) ?? { code: INTERNAL_ERROR_CODE, message: internalErrorMessage(reference) };
}

function graphWordsOf(error: unknown): StoredError | undefined {
  if (!(error instanceof GraphRequestError) || !isPlainText(error.code) || !isPlainText(error.message)) return undefined;
  return { code: error.code, message: error.message, ...(error.requestId && isPlainText(error.requestId) ? { requestId: error.requestId } : {}) };
}

const isPlainText = (text: string): boolean => text.length <= MAX_GRAPH_MESSAGE_LENGTH && !INTERNAL_DETAIL.test(text);

/** Writes the full error where operators look; the stored text points there. */
export type FailureLog = (message: string, error: unknown) => void;

/**
 * For code that may log as it goes (HTTP handlers, activities): the stored form of `error`, with
 * the full error logged under a fresh reference when the stored form does not carry it.
 * Orchestrators log through their own context with a replay-safe reference instead.
 */
export function logAndStoreError(error: unknown, log: FailureLog): StoredError {
  const graphWords = graphWordsOf(error);
  if (graphWords) return graphWords;
  const reference = randomUUID();
  log(`Internal error, reference ${reference}`, error);
  return storedErrorOf(error, reference);
}

/** One line for an audit detail: `code: message (request-id …)`, or the generic text alone. */
export function storedErrorText(stored: StoredError): string {
  if (stored.code === INTERNAL_ERROR_CODE) return stored.message;
  return `${stored.code}: ${stored.message}${stored.requestId ? ` (request-id ${stored.requestId})` : ''}`;
}
