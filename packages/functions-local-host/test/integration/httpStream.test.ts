import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestHost, type TestHost } from '../support/startTestHost.js';

/** Sends a request with Node's client (fetch hides a response cut mid-body behind a generic error). */
function request(url: string, method: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.request(url, { method }, resolve).once('error', reject).end());
}

describe('HTTP streaming (app.setup({ enableHttpStream: true }))', () => {
  let host: TestHost;

  beforeAll(async () => {
    host = await startTestHost(path.join(__dirname, '../apps/http-stream'));
  });

  afterAll(async () => {
    await host?.stop();
  });

  test('the response goes out as the function writes it: the first chunk arrives while the last is held back', async () => {
    const response = await fetch(`${host.url}/api/gated`);
    expect(response.status).toBe(207);
    expect(response.headers.get('x-gated')).toBe('yes');
    const reader = response.body!.getReader();
    const first = await reader.read();
    // The function cannot write its last chunk before `release`, so this chunk came on its own.
    expect(new TextDecoder().decode(first.value)).toBe('first\n');
    expect((await fetch(`${host.url}/api/release/gated`, { method: 'POST' })).status).toBe(204);
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('last\n');
  });

  test('HEAD answers the status and headers without a body', async () => {
    const response = await request(`${host.url}/api/gated`, 'HEAD');
    expect(response.statusCode).toBe(207);
    expect(response.headers['x-gated']).toBe('yes');
    let bytes = 0;
    for await (const chunk of response) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(0);
  });

  test('the request body reaches the function as a stream; status, headers, cookies, params and URL are kept', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const response = await fetch(`${host.url}/api/upload/u-1?tag=t1`, { method: 'POST', body, headers: { 'x-custom': 'kept' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-upload-id')).toBe('u-1');
    expect(response.headers.get('set-cookie')).toMatch(/^seen=t1; .*HttpOnly/i);
    const json = (await response.json()) as { bytes: number; url: string; custom: string; forwardedFor: string };
    expect(json.bytes).toBe(body.length);
    expect(json.url).toBe(`${host.url}/api/upload/u-1?tag=t1`);
    expect(json.custom).toBe('kept');
    expect(json.forwardedFor).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
  });

  test('a function that throws before answering is a 500, logged', async () => {
    const response = await fetch(`${host.url}/api/boom`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('');
    expect(host.logs.some((entry) => entry.level === 'error' && entry.message.includes('boom before any byte'))).toBe(true);
  });

  test('a body that fails mid-stream cuts the response after the bytes already sent', async () => {
    const response = await request(`${host.url}/api/brokenStream`, 'GET');
    expect(response.statusCode).toBe(200);
    let received = '';
    const outcome = await new Promise<string>((resolve) => {
      response.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        // The source fails only once this chunk has arrived.
        void fetch(`${host.url}/api/release/brokenStream`, { method: 'POST' });
      });
      response.once('end', () => resolve('ended'));
      response.once('aborted', () => resolve('aborted'));
      response.once('error', () => resolve('aborted'));
    });
    expect(received).toBe('partial\n');
    expect(outcome).toBe('aborted');
    expect(host.logs.some((entry) => entry.level === 'error' && entry.message.includes('the source failed mid-stream'))).toBe(true);
  });
});
