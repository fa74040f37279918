import { randomBytes } from 'node:crypto';
import { GraphRequestError, type MailMessage } from './graphGateway.js';

/**
 * A mail as an RFC 5322 / MIME message, for Graph's MIME mode of `sendMail`, the one way to send a
 * plain-text part with the HTML (the JSON mode takes a single body): `multipart/alternative` with
 * the text part first and the HTML part last (the richest last, RFC 2046 §5.1.4), both UTF-8 and
 * quoted-printable, lines ended by CRLF; the subject in RFC 2047 encoded-words when it is not short,
 * plain ASCII. Graph fills in `Date`, `Message-ID` and the sender's mailbox.
 */

const CRLF = '\r\n';

/**
 * The boundary starts with `=_`, which quoted-printable text can never contain (it writes `=` as
 * `=3D`), so no body line can be mistaken for it; the random part keeps nested messages apart.
 */
export function newBoundary(): string {
  return `=_part_${randomBytes(12).toString('hex')}`;
}

/** Quoted-printable (RFC 2045 §6.7) of UTF-8 text: hard line breaks as CRLF, soft breaks keep lines within 76 characters. */
export function quotedPrintable(text: string): string {
  return text.split(/\r\n|\r|\n/).map(encodeQuotedPrintableLine).join(CRLF);
}

function encodeQuotedPrintableLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  const lines: string[] = [];
  let current = '';
  bytes.forEach((byte, i) => {
    const isLast = i === bytes.length - 1;
    // Whitespace at the end of a line would be dropped by the transport, so it is encoded there.
    const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !isLast);
    const token = literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    if (current.length + token.length > 75) {
      lines.push(`${current}=`);
      current = '';
    }
    current += token;
  });
  lines.push(current);
  return lines.join(CRLF);
}

/**
 * An unstructured header (`Subject`) as one line when it is printable ASCII that fits in 78
 * characters, else as UTF-8 base64 encoded-words (RFC 2047), folded one per line so every line
 * stays within 78 characters. Text that merely looks like an encoded-word (`=?`) is encoded too,
 * so a directory name cannot pose as one.
 */
export function headerLine(name: string, text: string): string {
  const line = `${name}: ${text}`;
  if (/^[\x20-\x7E]*$/.test(text) && line.length <= 78 && !text.includes('=?')) return line;
  const words: string[] = [];
  let chunk = '';
  for (const character of text) {
    // 39 bytes of UTF-8 are 52 base64 characters: with `=?UTF-8?B?`, `?=` and `Subject: `, 73.
    if (Buffer.byteLength(chunk + character, 'utf8') > 39) {
      words.push(chunk);
      chunk = '';
    }
    chunk += character;
  }
  words.push(chunk);
  return `${name}: ${words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join(`${CRLF} `)}`;
}

/** An address fit for a header: an RFC 5322 dot-atom on each side, so nothing can end the header or add another address. */
const HEADER_ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/;

function headerAddress(address: string): string {
  // Graph refuses such a recipient in JSON mode the same way, and no retry changes it.
  if (!HEADER_ADDRESS.test(address)) throw new GraphRequestError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.', undefined, false);
  return address;
}

function textPart(contentType: string, content: string): string {
  return [`Content-Type: ${contentType}; charset=utf-8`, 'Content-Transfer-Encoding: quoted-printable', '', quotedPrintable(content)].join(CRLF);
}

/** The whole message as text (CRLF line ends, ASCII only). `boundary` is fixed only by tests. */
export function mimeMessage(message: MailMessage & { from: string }, boundary = newBoundary()): string {
  const headers = [
    // MAIL_SENDER may be an object id rather than an address; Graph sends from the mailbox either way.
    ...(message.from.includes('@') ? [`From: <${headerAddress(message.from)}>`] : []),
    `To: ${message.to.map((address) => `<${headerAddress(address)}>`).join(`,${CRLF} `)}`,
    headerLine('Subject', message.subject),
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;${CRLF} boundary="${boundary}"`,
  ];
  return [
    ...headers,
    '',
    `--${boundary}`,
    textPart('text/plain', message.text),
    `--${boundary}`,
    textPart('text/html', message.html),
    `--${boundary}--`,
    '',
  ].join(CRLF);
}
