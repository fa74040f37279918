import { HttpRequest, InvocationContext, type LogLevel } from '@azure/functions';
import { describe, expect, test } from 'vitest';
import { parseRequestListQuery } from '../../src/http/adminQuery.js';
import { MAX_BODY_BYTES, readBody } from '../../src/http/body.js';
import { clientAddressOf, rateLimitSourceOf } from '../../src/http/clientAddress.js';
import { HTTP_STATUS_BY_CODE, HttpError, errorResponse } from '../../src/http/errors.js';
import { acceptQuality, responseFormatFor } from '../../src/http/negotiation.js';
import { PAGE_CSP } from '../../src/templates/layout.js';

const post = (headers: Record<string, string>, body?: string) =>
  new HttpRequest({ method: 'POST', url: 'http://localhost/api/requests', headers, ...(body === undefined ? {} : { body: { string: body } }) });

async function thrownBy(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

function recordingContext() {
  const logged: { level: LogLevel; args: unknown[] }[] = [];
  const context = new InvocationContext({ functionName: 'test', logHandler: (level, ...args) => logged.push({ level, args }) });
  return { context, logged };
}

describe('readBody', () => {
  test('parses a JSON object', async () => {
    expect(await readBody(post({ 'content-type': 'application/json; charset=utf-8' }, '{"a":1}'))).toEqual({ format: 'json', fields: { a: 1 } });
  });

  test('parses a form-encoded body', async () => {
    const body = await readBody(post({ 'content-type': 'application/x-www-form-urlencoded' }, 'currentEmail=a%40b.com&reason=Other'));
    expect(body).toEqual({ format: 'form', fields: { currentEmail: 'a@b.com', reason: 'Other' } });
  });

  test.each([
    ['not JSON', '{oops'],
    ['an array', '[1]'],
    ['null', 'null'],
  ])('refuses %s with InvalidJson', async (_name, text) => {
    const error = await thrownBy(readBody(post({ 'content-type': 'application/json' }, text)));
    expect(error.code).toBe('InvalidJson');
    expect(error.status).toBe(400);
  });

  test.each(['text/plain', 'multipart/form-data; boundary=x', ''])('refuses content type "%s" with 415', async (type) => {
    const error = await thrownBy(readBody(post(type ? { 'content-type': type } : {}, 'x')));
    expect(error.code).toBe('UnsupportedMediaType');
    expect(error.status).toBe(415);
  });

  test('refuses a declared length over 16 KiB without reading the body', async () => {
    const request = post({ 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) }, '{}');
    const error = await thrownBy(readBody(request));
    expect(error.code).toBe('PayloadTooLarge');
    expect(error.status).toBe(413);
    expect(request.bodyUsed).toBe(false);
  });

  test('counts the actual bytes when the declared length lies or is absent', async () => {
    const big = JSON.stringify({ reasonDetail: 'é'.repeat(MAX_BODY_BYTES / 2) });
    expect((await thrownBy(readBody(post({ 'content-type': 'application/json' }, big)))).code).toBe('PayloadTooLarge');
    expect((await thrownBy(readBody(post({ 'content-type': 'application/json', 'content-length': '10' }, big)))).code).toBe('PayloadTooLarge');
  });

  test('accepts exactly 16 KiB', async () => {
    const text = `{"a":"${'x'.repeat(MAX_BODY_BYTES - 8)}"}`;
    expect(Buffer.byteLength(text)).toBe(MAX_BODY_BYTES);
    expect((await readBody(post({ 'content-type': 'application/json' }, text))).format).toBe('json');
  });
});

describe('responseFormatFor', () => {
  test.each([
    [{ 'content-type': 'application/json' }, 'json'],
    [{ 'content-type': 'application/json', accept: 'text/html' }, 'json'],
    [{ 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }, 'html'],
    [{ 'content-type': 'application/x-www-form-urlencoded' }, 'html'],
    [{ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, 'json'],
    [{ 'content-type': 'text/plain' }, 'json'],
    [{ 'content-type': 'text/plain', accept: 'text/html' }, 'html'],
  ] as const)('%j answers %s', (headers, expected) => {
    expect(responseFormatFor(post(headers))).toBe(expected);
  });

  test('the most specific range sets the quality', () => {
    expect(acceptQuality('*/*;q=0.1, application/json;q=0.9', 'application/json')).toBe(0.9);
    expect(acceptQuality('*/*;q=0.1, application/json;q=0.9', 'text/html')).toBe(0.1);
    expect(acceptQuality('application/*;q=0.5', 'application/json')).toBe(0.5);
    expect(acceptQuality('image/png', 'text/html')).toBe(0);
  });
});

describe('clientAddressOf', () => {
  const withHeaders = (headers: Record<string, string>) => new HttpRequest({ method: 'GET', url: 'http://localhost/', headers });
  test.each([
    [{ 'x-forwarded-for': '10.0.0.1, 203.0.113.7:51234' }, '203.0.113.7'],
    [{ 'x-forwarded-for': '[2001:db8::1]:443' }, '2001:db8::1'],
    [{ 'x-forwarded-for': '2001:db8::2' }, '2001:db8::2'],
    [{ 'client-ip': '198.51.100.4:80' }, '198.51.100.4'],
    // The platform's Client-IP wins over anything in X-Forwarded-For.
    [{ 'x-forwarded-for': '198.51.100.9', 'client-ip': '10.1.1.1:4431' }, '10.1.1.1'],
    // A caller-written first hop is ignored: only the hop the proxy appended counts.
    [{ 'x-forwarded-for': '1.2.3.4, 203.0.113.8:1000' }, '203.0.113.8'],
  ])('%j → %s', (headers, expected) => {
    expect(clientAddressOf(withHeaders(headers))).toBe(expected);
  });
  test('undefined without either header', () => {
    expect(clientAddressOf(withHeaders({}))).toBeUndefined();
  });
});

describe('rateLimitSourceOf', () => {
  test.each([
    ['203.0.113.7', '203.0.113.7'],
    // One /64, however each address is written.
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:0:0:9', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['2001:db8:1:2::203.0.113.7', '2001:db8:1:2::/64'],
    // An IPv4-mapped address is that IPv4 address.
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:cb00:7107', '203.0.113.7'],
    ['0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
    // Anything else is its own key.
    ['not-an-address', 'not-an-address'],
  ])('%s → %s', (address, expected) => {
    expect(rateLimitSourceOf(address)).toBe(expected);
  });
  test('the next /64 is another budget', () => {
    expect(rateLimitSourceOf('2001:db8:1:3::1')).not.toBe(rateLimitSourceOf('2001:db8:1:2::1'));
  });
  test('no address: one shared key', () => {
    expect(rateLimitSourceOf(undefined)).toBe('unknown');
  });
});

describe('errorResponse', () => {
  test('every code maps to a 4xx or 5xx status', () => {
    for (const status of Object.values(HTTP_STATUS_BY_CODE)) expect(status).toBeGreaterThanOrEqual(400);
  });

  test('an HttpError becomes its JSON error body, status and headers', async () => {
    const { context } = recordingContext();
    const error = new HttpError('RateLimited', 'Slow down.', { details: { a: 1 }, headers: { 'Retry-After': '30' } });
    const response = errorResponse(error, context, 'json');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: { code: 'RateLimited', message: 'Slow down.', details: { a: 1 } } });
  });

  test('anything else is a generic 500 with the cause logged and not leaked', async () => {
    const { context, logged } = recordingContext();
    const response = errorResponse(new Error('table secret-table exploded at host 10.0.0.5'), context, 'json');
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text).error.code).toBe('InternalError');
    expect(text).not.toContain('secret-table');
    expect(logged.some((entry) => entry.level === 'error' && entry.args.some((a) => a instanceof Error && a.message.includes('secret-table')))).toBe(true);
  });

  test('page routes get an escaped HTML page with the security headers', async () => {
    const { context } = recordingContext();
    const response = errorResponse(new HttpError('NotFound', 'No <such> link.'), context, 'html');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const html = await response.text();
    expect(html).toContain('No &lt;such&gt; link.');
    expect(html).not.toContain('<such>');
  });
});

describe('parseRequestListQuery', () => {
  const parse = (query: string) => parseRequestListQuery(new URLSearchParams(query));

  test('reads every filter', () => {
    expect(parse('status=AwaitingApproval&email=A@B.com&guestId=0B5F8A2E-1C3D-4E5F-8A9B-0C1D2E3F4A5B&reportedByOwner=true&from=2024-05-01&to=2024-06-01T10:00:00Z&top=20&continuationToken=abc')).toEqual({
      statuses: ['AwaitingApproval'],
      email: 'a@b.com',
      guestId: '0b5f8a2e-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
      reportedByOwner: true,
      from: '2024-05-01T00:00:00.000Z',
      to: '2024-06-01T10:00:00.000Z',
      top: 20,
      continuationToken: 'abc',
    });
  });

  test('status is a comma-separated list, case-insensitive, each status once', () => {
    expect(parse('status=awaitingapproval, FAILED,Failed')).toEqual({ statuses: ['AwaitingApproval', 'Failed'] });
    expect(parse('status=AWAITINGCONFIRMATION')).toEqual({ statuses: ['AwaitingConfirmation'] });
  });

  test('a date-time with an offset is read as the instant it names, even across midnight UTC', () => {
    expect(parse('from=2024-05-01T01:00:00%2B02:00')).toEqual({ from: '2024-04-30T23:00:00.000Z' });
  });

  test('a day alone is that day: from its first instant, to its last, so from and to the same day is that whole day', () => {
    expect(parse('from=2024-05-01&to=2024-05-01')).toEqual({ from: '2024-05-01T00:00:00.000Z', to: '2024-05-01T23:59:59.999Z' });
    expect(parse('to=2024-05-01T00:00:00Z')).toEqual({ to: '2024-05-01T00:00:00.000Z' });
  });

  test('empty parameters are no filter', () => {
    expect(parse('status=&email=&top=&guestId=')).toEqual({});
  });

  test.each(['status=Bogus', 'status=Failed,,Completed', 'status=Failed,Bogus', 'email=a%20b', `email=${'a'.repeat(321)}`, 'Status=Failed', 'bogus=1', 'top=5&top=6', 'from=yesterday', 'to=2024-13-45', 'from=2024-02-30', 'to=2023-02-29T10:00:00Z', 'top=0', 'top=1001', 'top=abc', 'top=2.5', 'top=+5', 'top=%205', 'top=5.0', 'top=0x10', 'guestId=g1', 'guestId=0b5f8a2e1c3d4e5f8a9b0c1d2e3f4a5b', 'reportedByOwner=false', 'reportedByOwner=yes', 'from=2024-06-02&to=2024-06-01'])(
    '%s is InvalidQuery',
    (query) => {
      let error: unknown;
      try {
        parse(query);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).code).toBe('InvalidQuery');
      expect((error as HttpError).status).toBe(400);
      // The details name the parameter at fault.
      const name = query.split('=')[0]!;
      expect(Object.keys((error as HttpError).details as object)).toContain(name === 'from' && query.includes('to=') ? 'to' : name);
    },
  );
});
