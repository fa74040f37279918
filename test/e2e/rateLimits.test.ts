import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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

describe('a burst of concurrent submissions', () => {
  let burstApp: LocalApp;
  beforeAll(async () => {
    burstApp = await startLocalApp({ env: { RATE_LIMIT_PER_SOURCE: '25', RATE_LIMIT_PER_TARGET: '10', RATE_LIMIT_WINDOW: 'P3650D' } });
  });
  afterAll(async () => {
    await burstApp?.stop();
  });

  const burst = (count: number, submission: (i: number) => Record<string, string>) =>
    Promise.all(Array.from({ length: count }, (_, i) => burstApp.json('POST', '/api/requests', { reason: 'ChangedProvider', ...submission(i) })));
  const expectOnly202And429 = (answers: { status: number; headers: Headers }[], accepted: number) => {
    expect(answers.filter((a) => a.status !== 202 && a.status !== 429).map((a) => a.status)).toEqual([]);
    expect(answers.filter((a) => a.status === 202)).toHaveLength(accepted);
    for (const refused of answers.filter((a) => a.status === 429)) expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  };

  test('naming one email: exactly its budget is accepted, the rest get 429 with Retry-After, and they do not spend the source budget', async () => {
    const run = Date.now();
    expectOnly202And429(await burst(60, (i) => ({ currentEmail: `victim.${run}@fabrikam.example`, newEmail: `burst${i}.${run}@northwind.example` })), 10);
  });

  test('from one address: exactly what is left of its budget is accepted (never 500), the rest get 429 with Retry-After', async () => {
    const run = Date.now();
    expectOnly202And429(await burst(100, (i) => ({ currentEmail: `src${i}.${run}@fabrikam.example`, newEmail: `dst${i}.${run}@northwind.example` })), 15);
  });
});
