import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestHost, type TestHost } from '../support/startTestHost.js';

const appsDir = path.join(__dirname, '../apps');

describe('HTTP triggers of a CommonJS app (route prefix "api")', () => {
  let host: TestHost;

  beforeAll(async () => {
    host = await startTestHost(path.join(appsDir, 'http-basic'), {
      env: { SAMPLE_GREETING: 'from-env' },
      extraRoutes: [
        async (_req, res, url) => {
          if (url.pathname !== '/_dev/ping') return false;
          res.end('pong');
          return true;
        },
      ],
    });
  });

  afterAll(async () => {
    await host?.stop();
  });

  test('serves a route parameter, an omitted optional parameter and the query string', async () => {
    expect(await (await fetch(`${host.url}/api/hello/Ada`)).text()).toBe('Hello, Ada!');
    expect(await (await fetch(`${host.url}/api/hello`)).text()).toBe('Hello, world!');
    expect(await (await fetch(`${host.url}/api/hello?name=Quinn`)).text()).toBe('Hello, Quinn!');
    expect(await (await fetch(`${host.url}/API/Hello/Ada%20L`)).text()).toBe('Hello, Ada L!');
  });

  test('answers 404 when the route matches but the method is not allowed', async () => {
    const response = await fetch(`${host.url}/api/hello/Ada`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(404);
  });

  test('passes method, constrained and catch-all params, repeated query keys, headers and a binary body', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const response = await fetch(`${host.url}/api/echo/42/a/b/c?x=1&x=2&y=z`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'x-custom': 'yes' },
      body: bytes,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo-method')).toBe('PUT');
    const echoed = (await response.json()) as Record<string, unknown>;
    expect(echoed).toMatchObject({
      method: 'PUT',
      params: { id: '42', rest: 'a/b/c' },
      query: { x: '1,2', y: 'z' },
      contentType: 'application/octet-stream',
      custom: 'yes',
      bodyBase64: bytes.toString('base64'),
    });
    expect(echoed.url).toBe(`${host.url}/api/echo/42/a/b/c?x=1&x=2&y=z`);
  });

  test('adds the caller address like Azure\'s front end: appended to X-Forwarded-For and set as Client-IP', async () => {
    const response = await fetch(`${host.url}/api/echo/1/x`, { method: 'POST', headers: { 'x-forwarded-for': '198.51.100.1', 'client-ip': 'spoofed' } });
    const echoed = (await response.json()) as { forwardedFor: string; clientIp: string };
    expect(echoed.clientIp).toMatch(/^(127\.0\.0\.1|\[::1\]|\[::ffff:127\.0\.0\.1\]):\d+$/);
    expect(echoed.forwardedFor).toBe(`198.51.100.1, ${echoed.clientIp}`);
  });

  test('rejects a value that breaks a route constraint with 404', async () => {
    expect((await fetch(`${host.url}/api/echo/forty-two/a`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${host.url}/api/items/123`)).status).toBe(404);
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const response = await fetch(`${host.url}/api/items/${id}`);
    expect(await response.json()).toEqual({ id });
  });

  test('parses JSON bodies and answers JSON with its content type', async () => {
    const response = await fetch(`${host.url}/api/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: [1, 'two'] }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ received: { a: [1, 'two'] } });
  });

  test('parses form bodies', async () => {
    const response = await fetch(`${host.url}/api/form`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Ann+Lee&color=red&color=blue',
    });
    expect(await response.json()).toEqual({ name: 'Ann Lee', colors: ['red', 'blue'] });
  });

  test('sends the status, headers and cookies of the handler\'s response and passes request cookies', async () => {
    const response = await fetch(`${host.url}/api/cookies`, { redirect: 'manual', headers: { cookie: 'a=1; b=2' } });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/api/hello');
    expect(response.headers.get('x-seen-cookie')).toBe('a=1; b=2');
    const cookies = response.headers.getSetCookie();
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toBe('session=abc; path=/; secure; samesite=strict; httponly');
    expect(cookies[1]).toBe('theme=dark; max-age=60');
  });

  test('answers 204 when the handler returns nothing', async () => {
    const response = await fetch(`${host.url}/api/nothing`, { method: 'POST' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  });

  test('requires the host key for function and admin levels, by code query or x-functions-key header', async () => {
    expect((await fetch(`${host.url}/api/secret`)).status).toBe(401);
    expect((await fetch(`${host.url}/api/secret?code=wrong`)).status).toBe(401);
    const byQuery = await fetch(`${host.url}/api/secret?code=${encodeURIComponent(host.hostKey)}`);
    expect(await byQuery.text()).toBe('function-level secret');
    const byHeader = await fetch(`${host.url}/api/admin/only`, { headers: { 'x-functions-key': host.hostKey } });
    expect(await byHeader.text()).toBe('admin secret');
    expect((await fetch(`${host.url}/api/admin/only`)).status).toBe(401);
  });

  test('answers 500 without internals when a handler throws, and logs the error', async () => {
    const response = await fetch(`${host.url}/api/explode`);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('hunter2');
    expect(host.logs.some((entry) => entry.level === 'error' && entry.message.includes('explode') && entry.message.includes('hunter2'))).toBe(true);
  });

  test('tries extra routes first and answers 404 JSON for unknown paths', async () => {
    expect(await (await fetch(`${host.url}/_dev/ping`)).text()).toBe('pong');
    const missing = await fetch(`${host.url}/api/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NotFound' } });
  });

  test('gives the app its settings and WEBSITE_HOSTNAME before it runs', async () => {
    expect(await (await fetch(`${host.url}/api/settings/SAMPLE_GREETING`)).json()).toEqual({ value: 'from-env' });
    expect(await (await fetch(`${host.url}/api/settings/WEBSITE_HOSTNAME`)).json()).toEqual({ value: `localhost:${host.port}` });
  });

  test('lists the HTTP routes with methods and auth levels', () => {
    expect(host.routes).toContainEqual({ functionName: 'echo', methods: ['POST', 'PUT'], path: '/api/echo/{id:int}/{*rest}', authLevel: 'anonymous' });
    expect(host.routes).toContainEqual({ functionName: 'secret', methods: ['GET'], path: '/api/secret', authLevel: 'function' });
    expect(host.routes.some((route) => route.functionName === 'double')).toBe(false);
  });
});

describe('HTTP triggers of an ES module app with an empty route prefix', () => {
  let host: TestHost;

  beforeAll(async () => {
    host = await startTestHost(path.join(appsDir, 'esm-basic'));
  });

  afterAll(async () => {
    await host?.stop();
  });

  test('serves routes at the root and applies the alpha constraint', async () => {
    expect(await (await fetch(`${host.url}/greet/Bob`)).json()).toEqual({ greeting: 'Hi Bob' });
    expect((await fetch(`${host.url}/greet/B0b`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/greet/Bob`)).status).toBe(404);
  });

  test('reads a text body', async () => {
    const response = await fetch(`${host.url}/shout`, { method: 'POST', body: 'quiet please' });
    expect(await response.text()).toBe('QUIET PLEASE');
  });
});

describe('an HTTP trigger with a durableClient input', () => {
  let host: TestHost;

  beforeAll(async () => {
    host = await startTestHost(path.join(appsDir, 'http-durable'));
  });

  afterAll(async () => {
    await host?.stop();
  });

  test('gets the client binding from the Durable engine and starts an orchestration that completes', async () => {
    const started = await fetch(`${host.url}/api/greeter/Ann`, { method: 'POST' });
    expect(started.status).toBe(202);
    const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
    expect(statusQueryGetUri.startsWith(`${host.url}/runtime/webhooks/durabletask/instances/`)).toBe(true);
    expect(new URL(statusQueryGetUri).searchParams.get('taskHub')).toBe('DevhostHttpDurable');
    let status: { runtimeStatus?: string; output?: unknown } = {};
    while (status.runtimeStatus !== 'Completed' && status.runtimeStatus !== 'Failed') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await (await fetch(statusQueryGetUri)).json()) as typeof status;
    }
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: 'Hello, Ann!' });
  });
});
