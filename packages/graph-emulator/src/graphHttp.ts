import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson as sendJsonBody } from './nodeHttp.js';

/**
 * The wire details every emulated Graph response shares (graph-api.md §7, §9): JSON bodies,
 * `request-id` / `client-request-id` headers, and the `{"error":{code,message,innerError}}` shape
 * the SDK's GraphErrorHandler reads.
 */

/** A Graph failure raised anywhere in the emulator; the router turns it into the error body. */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'GraphHttpError';
  }
}

/** Ids of one emulated call, echoed in headers and in `innerError`. */
export interface CallIds {
  requestId: string;
  clientRequestId: string;
}

export function callIdsFor(req: IncomingMessage): CallIds {
  const requestId = randomUUID();
  const sent = req.headers['client-request-id'];
  const clientRequestId = typeof sent === 'string' && sent ? sent : requestId;
  return { requestId, clientRequestId };
}

/** Graph's `innerError.date`: UTC, no zone designator, no fraction. */
function graphDate(now: Date): string {
  return now.toISOString().slice(0, 19);
}

function writeIdHeaders(res: ServerResponse, ids: CallIds): void {
  res.setHeader('request-id', ids.requestId);
  res.setHeader('client-request-id', ids.clientRequestId);
}

export function sendJson(res: ServerResponse, ids: CallIds, status: number, body: unknown): void {
  writeIdHeaders(res, ids);
  sendJsonBody(res, status, body, { 'content-type': GRAPH_JSON });
}

/** The content type Graph itself answers with. */
export const GRAPH_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** 202/204 answers carry no body at all, as Graph's do. */
export function sendEmpty(res: ServerResponse, ids: CallIds, status: number): void {
  writeIdHeaders(res, ids);
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

export function sendGraphError(res: ServerResponse, ids: CallIds, error: GraphHttpError, now: Date): void {
  if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  const innerError: Record<string, string> = {
    date: graphDate(now),
    'request-id': ids.requestId,
    'client-request-id': ids.clientRequestId,
  };
  if (error.status === 429) {
    // Throttling bodies carry a few more inner fields (graph-api.md §6).
    Object.assign(innerError, { code: '429', message: 'Please retry after', status: '429' });
  }
  sendJson(res, ids, error.status, { error: { code: error.code, message: error.message, innerError } });
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Reads a request body as UTF-8 text, within Graph's size limit. */
export async function readTextBody(req: IncomingMessage): Promise<string> {
  const bytes = await readBody(req, MAX_BODY_BYTES);
  if (bytes === 'TooLarge') throw new GraphHttpError(413, 'Request_EntityTooLarge', 'The request body is too large.');
  return bytes.toString('utf8');
}

/** Reads a JSON request body; a body that is not JSON is Graph's 400 BadRequest. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readTextBody(req);
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GraphHttpError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  }
}

/**
 * Query parameters decoded the way Graph does: `decodeURIComponent`, not form decoding, so a
 * literal `+` in an email stays `+` (graph-api.md §9).
 */
export function rawQuery(url: URL): Map<string, string> {
  const params = new Map<string, string>();
  const search = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  for (const part of search.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    try {
      params.set(decodeURIComponent(key).toLowerCase(), decodeURIComponent(value));
    } catch {
      throw new GraphHttpError(400, 'Request_BadRequest', `Invalid query parameter '${key}'.`);
    }
  }
  return params;
}

/** Graph's 404 for a directory object that does not exist (graph-api.md §3). */
export function resourceNotFound(name: string): GraphHttpError {
  return new GraphHttpError(404, 'Request_ResourceNotFound', `Resource '${name}' does not exist or one of its queried reference-property objects are not present.`);
}
