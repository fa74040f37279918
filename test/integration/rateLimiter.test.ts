import { TableClient } from '@azure/data-tables';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import { createRateLimiterFromTables, type RateLimiter } from '../../src/store/rateLimiter.js';
import { createStoreTables } from '../../src/store/tables.js';

const PREFIX = 'RateLimiterT';
const HOUR = 3_600_000;
let limiter: RateLimiter;
const operations: string[] = [];

beforeAll(() => {
  limiter = createRateLimiterFromTables(
    createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: PREFIX, onOperation: (op) => operations.push(op) }),
  );
});

describe('table rate limiter', () => {
  test('allows `limit` hits per window, then refuses with the seconds left in the window', async () => {
    const key = 'source:203.0.113.1';
    const start = new Date('2025-03-04T10:00:00.000Z');
    for (let i = 0; i < 3; i++) {
      expect((await limiter.hit(key, 3, HOUR, new Date(start.getTime() + i * 1000))).allowed).toBe(true);
    }
    const refused = await limiter.hit(key, 3, HOUR, new Date('2025-03-04T10:59:00.500Z'));
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 60 });
  });

  test('starts afresh in the next window', async () => {
    const key = 'target:ada@newco.example';
    expect((await limiter.hit(key, 1, HOUR, new Date('2025-03-04T10:30:00.000Z'))).allowed).toBe(true);
    expect((await limiter.hit(key, 1, HOUR, new Date('2025-03-04T10:59:59.900Z')))).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect((await limiter.hit(key, 1, HOUR, new Date('2025-03-04T11:00:00.000Z'))).allowed).toBe(true);
  });

  test('counts keys separately', async () => {
    const now = new Date('2025-03-04T12:00:00.000Z');
    expect((await limiter.hit('source:a', 1, HOUR, now)).allowed).toBe(true);
    expect((await limiter.hit('source:b', 1, HOUR, now)).allowed).toBe(true);
    expect((await limiter.hit('source:a', 1, HOUR, now)).allowed).toBe(false);
  });

  test('lets exactly `limit` of many concurrent hits through', async () => {
    const now = new Date('2025-03-04T13:00:00.000Z');
    const results = await Promise.all(Array.from({ length: 12 }, () => limiter.hit('source:burst', 5, HOUR, now)));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterSeconds === 3600)).toBe(true);
  });

  test('does not store the key itself (emails and IPs)', async () => {
    await limiter.hit('target:secret.person@example.com', 3, HOUR, new Date('2025-03-04T14:00:00.000Z'));
    const table = TableClient.fromConnectionString(inject('azuriteConnectionString'), `${PREFIX}RateLimits`, { allowInsecureConnection: true });
    for await (const row of table.listEntities()) {
      expect(JSON.stringify(row)).not.toContain('secret.person');
      expect(row.partitionKey).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  test('the first hit of a new window sweeps windows that ended over a window ago, keeping the last one', async () => {
    const prefix = `Sweep${Date.now()}`;
    const fresh = () => createRateLimiterFromTables(createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: prefix }));
    const table = TableClient.fromConnectionString(inject('azuriteConnectionString'), `${prefix}RateLimits`, { allowInsecureConnection: true });
    const windows = async () => {
      const starts: string[] = [];
      for await (const row of table.listEntities()) starts.push(new Date(Number(row.rowKey!.split('_')[1])).toISOString().slice(11, 16));
      return starts.sort();
    };
    const first = fresh();
    for (const key of ['source:a', 'source:b', 'source:c']) await first.hit(key, 5, HOUR, new Date('2025-05-01T08:10:00.000Z'));
    await first.hit('source:a', 5, HOUR, new Date('2025-05-01T09:10:00.000Z'));
    await first.hit('source:a', 5, 60_000, new Date('2025-05-01T09:10:00.000Z'));
    expect(await windows()).toEqual(['08:00', '08:00', '08:00', '09:00', '09:10']);

    // Another process (or the next hour) opens 10:00: the 08:00 rows go, 09:00 stays for clock skew,
    // and a window of another length is not touched by this one's sweep.
    await fresh().hit('source:d', 5, HOUR, new Date('2025-05-01T10:00:00.000Z'));
    expect(await windows()).toEqual(['09:00', '09:10', '10:00']);
  });

  test('costs two Table calls per allowed hit and one per refused hit', async () => {
    const now = new Date('2025-03-04T15:00:00.000Z');
    await limiter.hit('source:count', 2, HOUR, now);
    operations.length = 0;
    await limiter.hit('source:count', 2, HOUR, now);
    expect(operations).toEqual(['RateLimits.getEntity', 'RateLimits.updateEntity']);
    operations.length = 0;
    await limiter.hit('source:count', 2, HOUR, now);
    expect(operations).toEqual(['RateLimits.getEntity']);
  });
});
