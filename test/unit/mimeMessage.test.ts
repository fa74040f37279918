import PostalMime from 'postal-mime';
import { describe, expect, test } from 'vitest';
import { decodeMimeBody, parseMimeMail } from '@guest-email-change/graph-emulator';
import { GraphRequestError } from '../../src/graph/graphGateway.js';
import { headerLine, mimeMessage, quotedPrintable } from '../../src/graph/mimeMessage.js';

/**
 * The MIME message of Graph's MIME mode, read back by an independent, maintained parser
 * (postal-mime) and by the Graph emulator's own, so neither our encoder nor our emulator can agree
 * with the other on a mistake.
 */

const message = {
  from: 'guest-reset@contoso.com',
  to: ['ada@fabrikam.example', 'grace.hopper@contoso.com'],
  subject: 'Approval needed: sign-in email change for Zoë Ångström (李雷) =?UTF-8?B?eA==?= and a long tail to fold over several encoded words',
  text: `Contoso\n\nGrüße — line with a trailing space \nTabs\tinside and at the end\t\n${'0123456789 '.repeat(20)}\n= and =3D and .\n.\nhttps://app.example/api/approvals/abc?x=1&y=2\n`,
  html: `<!doctype html>\n<p style="margin:0;font-family:Segoe UI,Arial">Grüße — <a href="https://app.example/api/approvals/abc?x=1&amp;y=2">Review</a></p>\n<p>${'w'.repeat(300)}</p>\n`,
};

const lines = (mime: string) => mime.split('\r\n');

describe('the message as a mail server reads it', () => {
  const mime = mimeMessage(message);

  test('postal-mime reads back the subject, recipients and both parts exactly', async () => {
    const parsed = await PostalMime.parse(mime);
    expect(parsed.subject).toBe(message.subject);
    expect(parsed.from?.address).toBe(message.from);
    expect(parsed.to?.map((a) => a.address)).toEqual(message.to);
    // postal-mime keeps the line break before each boundary, which RFC 2046 §5.1.1 gives to the boundary.
    expect(parsed.text).toBe(`${message.text}\n`);
    expect(parsed.html).toBe(`${message.html}\n`);
  });

  test('the Graph emulator reads back the same, from the base64 body Graph receives', () => {
    const parsed = parseMimeMail(decodeMimeBody(Buffer.from(mime).toString('base64')));
    expect(parsed).toEqual({ subject: message.subject, to: message.to, text: message.text, html: message.html });
  });

  test('CRLF line ends only, ASCII only, body lines within 76 characters and header lines within 78', () => {
    expect(mime).not.toMatch(/[^\r]\n|\r[^\n]/);
    expect(mime).toMatch(/^[\x20-\x7E\t\r\n]*$/);
    const [head, ...body] = mime.split('\r\n\r\n');
    for (const line of lines(head)) expect(line.length).toBeLessThanOrEqual(78);
    for (const line of lines(body.join('\r\n\r\n'))) expect(line.length).toBeLessThanOrEqual(76);
  });

  test('multipart/alternative with the text part first and the HTML part last', () => {
    const boundary = /boundary="([^"]+)"/.exec(mime)?.[1] ?? '';
    expect(mime).toContain('Content-Type: multipart/alternative;');
    const parts = mime.split(`--${boundary}`);
    expect(parts).toHaveLength(4);
    expect(parts[1]).toContain('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
    expect(parts[2]).toContain('Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
    expect(parts[3]).toBe('--\r\n');
  });

  test('each message has its own boundary, which no body line can contain', () => {
    const boundaries = new Set([mimeMessage(message), mimeMessage(message)].map((m) => /boundary="([^"]+)"/.exec(m)?.[1]));
    expect(boundaries.size).toBe(2);
    const boundary = /boundary="([^"]+)"/.exec(mime)?.[1] ?? '';
    expect(mime.split('\r\n').filter((line) => line.includes(boundary))).toHaveLength(4);
    expect(quotedPrintable('=_part_ looks like a boundary')).not.toContain('=_');
  });
});

describe('encoded-words and quoted-printable', () => {
  test('plain short ASCII stays as it is; anything else becomes UTF-8 encoded-words of at most 75 characters', () => {
    expect(headerLine('Subject', 'Approval needed: Ada Lovelace')).toBe('Subject: Approval needed: Ada Lovelace');
    expect(headerLine('Subject', 'x'.repeat(80))).toMatch(/^Subject: =\?UTF-8\?B\?/);
    const encoded = headerLine('Subject', 'Zoë '.repeat(40)).slice('Subject: '.length);
    const words = encoded.split('\r\n ');
    expect(words.length).toBeGreaterThan(1);
    for (const word of words) expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    for (const word of words) expect(word.length).toBeLessThanOrEqual(75);
  });

  test('text that looks like an encoded-word is encoded, so a name cannot pose as one', () => {
    expect(headerLine('Subject', '=?UTF-8?B?QWRtaW4=?=')).toMatch(/^Subject: =\?UTF-8\?B\?/);
  });

  test('a character is never split across two encoded-words', () => {
    for (const word of headerLine('Subject', '李'.repeat(50)).slice('Subject: '.length).split('\r\n ')) {
      const bytes = Buffer.from(word.slice(10, -2), 'base64');
      expect(bytes.toString('utf8')).toMatch(/^李+$/);
    }
  });

  test('quoted-printable escapes = and non-ASCII, keeps spaces inside lines, and encodes them at line ends', () => {
    expect(quotedPrintable('a=b é')).toBe('a=3Db =C3=A9');
    expect(quotedPrintable('end \nnext\t')).toBe('end=20\r\nnext=09');
    const long = quotedPrintable('x'.repeat(200));
    expect(lines(long).every((line) => line.length <= 76)).toBe(true);
    expect(lines(long).slice(0, -1).every((line) => line.endsWith('='))).toBe(true);
  });
});

test('a recipient that could break the header is refused the way Graph refuses it, not sent', () => {
  for (const to of ['a@b.example\r\nBcc: evil@x.example', 'Ada <a@b.example>', 'zoë@b.example']) {
    let error: unknown;
    try {
      mimeMessage({ ...message, to: [to] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraphRequestError);
    expect(error).toMatchObject({ status: 400, code: 'ErrorInvalidRecipients', transient: false });
  }
});

test('a sender given by object id is left to Graph: no From header', () => {
  expect(mimeMessage({ ...message, from: '10000000-0000-4000-8000-000000000008' })).not.toMatch(/^From:/m);
});
