import { GraphHttpError } from './graphHttp.js';

/**
 * Reads the body of `sendMail` in MIME mode (graph-api.md §5): a base64 string of an RFC 5322 /
 * MIME message, parsed as a mail server would (RFC 2045–2047): unfolded headers, encoded-word
 * subjects, nested multipart bodies, quoted-printable and base64 parts, their charsets. Graph's
 * 400 `ErrorMimeContentInvalidBase64String` answers a body that is not base64.
 */

export interface ParsedMimeMail {
  subject: string;
  to: string[];
  html?: string;
  text?: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes the request body; line breaks inside the base64 are tolerated, anything else is refused. */
export function decodeMimeBody(body: string): string {
  const compact = body.replace(/\r?\n/g, '').trim();
  if (!compact || !BASE64.test(compact)) throw new GraphHttpError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
  return Buffer.from(compact, 'base64').toString('latin1');
}

const invalidMime = () => new GraphHttpError(400, 'ErrorMimeContentInvalid', 'The MIME content is invalid.');

interface Entity {
  headers: Map<string, string>;
  body: string;
}

/** Splits headers from body and unfolds headers; `raw` holds one byte per character (latin1). */
function parseEntity(raw: string): Entity {
  const normalised = raw.replace(/\r\n/g, '\n');
  const end = normalised.indexOf('\n\n');
  const head = end === -1 ? normalised : normalised.slice(0, end);
  const body = end === -1 ? '' : normalised.slice(end + 2);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw invalidMime();
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** `text/html; charset="utf-8"` → `{type: 'text/html', params: {charset: 'utf-8'}}`. */
function parseContentType(value: string | undefined): { type: string; params: Map<string, string> } {
  const [type, ...rest] = (value ?? 'text/plain; charset=us-ascii').split(';');
  const params = new Map<string, string>();
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq > 0) params.set(param.slice(0, eq).trim().toLowerCase(), param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return { type: type.trim().toLowerCase(), params };
}

function decodeQuotedPrintable(text: string): Buffer {
  const joined = text.replace(/[ \t]+$/gm, '').replace(/=\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(joined.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'us-ascii').decode(bytes);
  } catch {
    throw invalidMime();
  }
}

function decodeTransfer(entity: Entity): Buffer {
  const encoding = (entity.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(entity.body);
  if (encoding === 'base64') return Buffer.from(entity.body.replace(/\s+/g, ''), 'base64');
  // 7bit, 8bit, binary: the bytes as they are, line ends back to CRLF-free text.
  return Buffer.from(entity.body, 'latin1');
}

/** Collects the first text/plain and text/html bodies, depth first, as a mail client shows them. */
function collectBodies(entity: Entity, into: { html?: string; text?: string }): void {
  const { type, params } = parseContentType(entity.headers.get('content-type'));
  if (type.startsWith('multipart/')) {
    const boundary = params.get('boundary');
    if (!boundary) throw invalidMime();
    const sections = entity.body.split(new RegExp(`^--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*$`, 'm'));
    // sections[0] is the preamble; each part ends with the line break before the next delimiter.
    for (const section of sections.slice(1, -1)) collectBodies(parseEntity(section.replace(/^\n/, '').replace(/\n$/, '')), into);
    return;
  }
  if (type !== 'text/plain' && type !== 'text/html') return;
  const content = decodeCharset(decodeTransfer(entity), params.get('charset')).replace(/\r\n/g, '\n');
  if (type === 'text/html') into.html ??= content;
  else into.text ??= content;
}

/** RFC 2047 encoded-words (`=?charset?B|Q?...?=`); the space between two of them is not text. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (whole, charset: string, encoding: string, data: string) => {
      const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data.replace(/_/g, ' '));
      try {
        return new TextDecoder(charset).decode(bytes);
      } catch {
        return whole;
      }
    });
}

/** `Ada <ada@fabrikam.com>, <b@c.com>, d@e.com` → the addresses. */
function parseAddressList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((entry) => (/<([^>]*)>/.exec(entry)?.[1] ?? entry).trim())
    .filter(Boolean);
}

export function parseMimeMail(message: string): ParsedMimeMail {
  const entity = parseEntity(message);
  const bodies: { html?: string; text?: string } = {};
  collectBodies(entity, bodies);
  const decodeHeader = (name: string) => decodeEncodedWords(Buffer.from(entity.headers.get(name) ?? '', 'latin1').toString('utf8'));
  return { subject: decodeHeader('subject'), to: parseAddressList(decodeHeader('to')), ...bodies };
}
