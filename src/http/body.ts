import type { HttpRequest } from '@azure/functions';
import { HttpError } from './errors.js';

/** The largest body any route accepts; a request form is a few hundred bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

export type BodyFormat = 'json' | 'form';

export interface ParsedBody {
  format: BodyFormat;
  fields: Record<string, unknown>;
}

/** The media type without parameters, lower-cased (`application/json; charset=utf-8` → `application/json`). */
export function mediaTypeOf(request: HttpRequest): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Reads a JSON object or a form-encoded body of at most MAX_BODY_BYTES. The declared length is
 * checked first so a large upload is refused unread; the bytes are counted too because the
 * declared length may be absent or false. With `emptyIsNoFields`, an empty body (with any content
 * type or none) reads as no fields, so the caller can say which field is missing.
 */
export async function readBody(request: HttpRequest, options: { emptyIsNoFields?: boolean } = {}): Promise<ParsedBody> {
  const mediaType = mediaTypeOf(request);
  const supported = mediaType === 'application/json' || mediaType === 'application/x-www-form-urlencoded';
  const unsupported = () => new HttpError('UnsupportedMediaType', 'Send application/json or application/x-www-form-urlencoded.', { title: 'Unsupported request' });
  // An empty body may come with any content type (fetch sends text/plain), so it is read first.
  if (!supported && !options.emptyIsNoFields) throw unsupported();
  const declaredLength = Number(request.headers.get('content-length') ?? '0');
  if (declaredLength > MAX_BODY_BYTES) throw tooLarge();

  const text = await readLimitedText(request);
  if (options.emptyIsNoFields && text.trim() === '') return { format: 'json', fields: {} };
  if (!supported) throw unsupported();
  if (mediaType === 'application/x-www-form-urlencoded') {
    return { format: 'form', fields: Object.fromEntries(new URLSearchParams(text)) };
  }
  return { format: 'json', fields: parseJsonObject(text) };
}

function tooLarge(): HttpError {
  return new HttpError('PayloadTooLarge', `The request body must not exceed ${MAX_BODY_BYTES} bytes.`, { title: 'Request too large' });
}

async function readLimitedText(request: HttpRequest): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = value as Uint8Array;
    total += chunk.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError('InvalidJson', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError('InvalidJson', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}
