import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';

let app: LocalApp;
beforeAll(async () => {
  // One window for the whole file: an hour boundary between two posts must not reset the count.
  app = await startLocalApp({ env: { RATE_LIMIT_PER_SOURCE: '3', RATE_LIMIT_PER_TARGET: '100', RATE_LIMIT_WINDOW: 'P3650D' } });
});
afterAll(async () => {
  await app?.stop();
});

test('a source over its rate limit gets 429 with Retry-After, whatever the emails', async () => {
  const statuses: number[] = [];
  let last: { status: number; headers: Headers; body: { error?: { code: string } } } | undefined;
  for (let i = 0; i < 4; i++) {
    last = await app.json('POST', '/api/requests', { currentEmail: `src${i}.${Date.now()}@fabrikam.example`, newEmail: `dst${i}.${Date.now()}@northwind.example`, reason: 'ChangedProvider' });
    statuses.push(last.status);
  }
  expect(statuses).toEqual([202, 202, 202, 429]);
  expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(last!.body.error?.code).toBe('RateLimited');
});
