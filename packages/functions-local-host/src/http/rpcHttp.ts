import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypedData } from '../contracts.js';

/**
 * Conversions between Node's HTTP messages and the worker's `RpcHttpData`
 * (reference §1.5): what the Functions host sends for a request and reads back for a response.
 */

export interface RpcHttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  params: Record<string, string>;
  /** Absent when the request has none, as the host sends it (see `toRpcHttpRequest`). */
  body?: { bytes: Uint8Array };
}

interface RpcNullable<T> {
  value?: T;
}

export interface RpcHttpCookie {
  name: string;
  value: string;
  domain?: RpcNullable<string>;
  path?: RpcNullable<string>;
  expires?: RpcNullable<{ seconds?: number }>;
  secure?: RpcNullable<boolean>;
  httpOnly?: RpcNullable<boolean>;
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone';
  maxAge?: RpcNullable<number>;
}

export interface RpcHttpResponse {
  statusCode?: string | number;
  headers?: Record<string, string>;
  cookies?: RpcHttpCookie[];
  body?: TypedData | null;
}

/** Methods whose requests never carry a body to the worker. */
const BODILESS_METHODS = new Set(['GET', 'HEAD']);

/**
 * Like the host, which turns ASP.NET's StringValues into one string: repeated headers and query
 * keys become one comma-joined value. A request without a body gets no `body` at all, as the
 * host's RpcHttp conversion leaves it unset: `@azure/functions` before 4.16.4 hands any body,
 * even an empty one, to undici, which refuses one on GET and HEAD. Unlike the host, which reads
 * a body only when `Content-Length` is above 0, a chunked body is passed on.
 */
export function toRpcHttpRequest(req: IncomingMessage, url: URL, params: Record<string, string>, body: Buffer): RpcHttpRequest {
  const method = (req.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  // Like Azure's front end: the caller's address appended to X-Forwarded-For and set as Client-IP.
  const remote = req.socket.remoteAddress;
  if (remote) {
    const hop = `${remote.includes(':') ? `[${remote}]` : remote}:${req.socket.remotePort ?? 0}`;
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${hop}` : hop;
    headers['client-ip'] = hop;
  }
  const query: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) {
    query[key] = url.searchParams.getAll(key).join(',');
  }
  const request: RpcHttpRequest = { method, url: url.href, headers, query, params };
  if (body.length > 0 && !BODILESS_METHODS.has(method)) request.body = { bytes: body };
  return request;
}

function bodyBytes(body: TypedData | null | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  if (body.bytes) return Buffer.from(body.bytes);
  if (typeof body.string === 'string') return Buffer.from(body.string, 'utf8');
  if (typeof body.json === 'string') return Buffer.from(body.json, 'utf8');
  return Buffer.alloc(0);
}

/** `Set-Cookie` value for an RpcHttpCookie (RFC 6265 attribute names, as ASP.NET writes them). */
export function formatSetCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain?.value) parts.push(`domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`path=${cookie.path.value}`);
  if (cookie.expires?.value?.seconds !== undefined) parts.push(`expires=${new Date(cookie.expires.value.seconds * 1000).toUTCString()}`);
  if (cookie.maxAge?.value !== undefined) parts.push(`max-age=${Math.trunc(cookie.maxAge.value)}`);
  if (cookie.secure?.value) parts.push('secure');
  if (cookie.sameSite === 'lax') parts.push('samesite=lax');
  if (cookie.sameSite === 'strict') parts.push('samesite=strict');
  if (cookie.sameSite === 'explicitNone') parts.push('samesite=none');
  if (cookie.httpOnly?.value) parts.push('httponly');
  return parts.join('; ');
}

export function writeRpcHttpResponse(res: ServerResponse, response: RpcHttpResponse): void {
  const status = Number(response.statusCode ?? 200) || 200;
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    res.setHeader(name, value);
  }
  const cookies = (response.cookies ?? []).map(formatSetCookie);
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  const body = bodyBytes(response.body);
  res.statusCode = status;
  if (status === 204 || status === 304) {
    res.end();
    return;
  }
  res.setHeader('content-length', body.length);
  res.end(body);
}
