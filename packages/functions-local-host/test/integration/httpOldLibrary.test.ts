import path from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installAppDependencies } from '../support/installAppDependencies.js';
import { startTestHost, type TestHost } from '../support/startTestHost.js';

/**
 * An app on @azure/functions 4.5.0 (its own lock file): before 4.16.4 the library builds an
 * undici Request with whatever body the host sends, and undici refuses any body, even an empty
 * one, on GET and HEAD. The real host sends no body when the request has none.
 */

const appDir = path.join(__dirname, '../apps', 'http-functions-4.5');
let host: TestHost;

beforeAll(async () => {
  installAppDependencies(appDir);
  host = await startTestHost(appDir);
});

afterAll(async () => {
  await host?.stop();
});

/** A POST whose body goes out chunked (no content-length), as a streaming client sends it. */
function postChunked(url: string, chunks: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'text/plain' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('an app on @azure/functions 4.5.0', () => {
  test('loads with its own copy of the library', () => {
    expect(host.invoker.functions().map((fn) => fn.name).sort()).toEqual(['Echo', 'Ping']);
  });

  test('GET and HEAD reach the handler (no body is sent for a request without one)', async () => {
    const get = await fetch(`${host.url}/api/ping`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('pong GET');
    const head = await fetch(`${host.url}/api/ping`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-library')).toBe('4.5.0');
  });

  test('a POST body arrives, with a content-length or chunked; an empty POST or DELETE arrives without one', async () => {
    const sized = await fetch(`${host.url}/api/echo`, { method: 'POST', body: 'sized body' });
    expect(await sized.json()).toEqual({ method: 'POST', body: 'sized body' });
    const chunked = await postChunked(`${host.url}/api/echo`, ['chunked ', 'body']);
    expect(chunked.status).toBe(200);
    expect(JSON.parse(chunked.body)).toEqual({ method: 'POST', body: 'chunked body' });
    const empty = await fetch(`${host.url}/api/echo`, { method: 'POST' });
    expect(await empty.json()).toEqual({ method: 'POST', body: '' });
    const bodilessDelete = await fetch(`${host.url}/api/echo`, { method: 'DELETE' });
    expect(await bodilessDelete.json()).toEqual({ method: 'DELETE', body: '' });
  });
});
