import { TableClient } from '@azure/data-tables';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import { createRateLimiterFromTables, type RateLimiter } from '../../src/store/rateLimiter.js';
import { createStoreTables, type StoreTables } from '../../src/store/tables.js';

const PREFIX = 'RateLimiterT';
const HOUR = 3_600_000;
let limiter: RateLimiter;
const operations: string[] = [];

const newLimiter = (prefix = PREFIX, onOperation?: (op: string) => void) =>
  createRateLimiterFromTables(createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: prefix, onOperation }));
const one = (key: string, limit: number) => [{ key, limit }];
const tableOf = (prefix: string) => TableClient.fromConnectionString(inject('azuriteConnectionString'), `${prefix}RateLimits`, { allowInsecureConnection: true });

beforeAll(() => {
  limiter = newLimiter(PREFIX, (op) => operations.push(op));
});

describe('table rate limiter', () => {
  test('allows `limit` hits per window, then refuses with the seconds left in the window', async () => {
    const key = 'source:203.0.113.1';
    const start = new Date('2025-03-04T10:00:00.000Z');
    for (let i = 0; i < 3; i++) {
      expect((await limiter.hit(one(key, 3), HOUR, new Date(start.getTime() + i * 1000))).allowed).toBe(true);
    }
    const refused = await limiter.hit(one(key, 3), HOUR, new Date('2025-03-04T10:59:00.500Z'));
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 60 });
  });

  test('starts afresh in the next window', async () => {
    const key = 'target:ada@newco.example';
    expect((await limiter.hit(one(key, 1), HOUR, new Date('2025-03-04T10:30:00.000Z'))).allowed).toBe(true);
    expect(await limiter.hit(one(key, 1), HOUR, new Date('2025-03-04T10:59:59.900Z'))).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect((await limiter.hit(one(key, 1), HOUR, new Date('2025-03-04T11:00:00.000Z'))).allowed).toBe(true);
  });

  test('counts keys separately', async () => {
    const now = new Date('2025-03-04T12:00:00.000Z');
    expect((await limiter.hit(one('source:a', 1), HOUR, now)).allowed).toBe(true);
    expect((await limiter.hit(one('source:b', 1), HOUR, now)).allowed).toBe(true);
    expect((await limiter.hit(one('source:a', 1), HOUR, now)).allowed).toBe(false);
  });

  test('lets exactly `limit` of 100 concurrent hits on one key through, and refuses the rest with the window left', async () => {
    const now = new Date('2025-03-04T13:00:00.000Z');
    const results = await Promise.all(Array.from({ length: 100 }, () => limiter.hit(one('source:burst', 7), HOUR, now)));
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
    expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterSeconds === 3600)).toBe(true);
  });

  test('stays exact when 100 concurrent hits on one key come through 4 processes that share nothing but the table', async () => {
    const prefix = `Procs${Date.now()}`;
    const processes = Array.from({ length: 4 }, () => newLimiter(prefix));
    const now = new Date('2025-03-04T13:30:00.000Z');
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => processes[i % 4]!.hit(one('source:shared', 9), HOUR, now)));
    expect(results.filter((r) => r.allowed)).toHaveLength(9);
    const rows = [];
    for await (const row of tableOf(prefix).listEntities()) rows.push(row.rowKey!.split('_')[1]);
    expect(rows.map(Number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('hits that arrive while a transaction is in flight share the next one: a burst of 60 costs a handful of transactions, each hit counted', async () => {
    const prefix = `Burst${Date.now()}`;
    const seen: string[] = [];
    const burst = newLimiter(prefix, (op) => seen.push(op));
    const now = new Date('2025-03-04T13:40:00.000Z');
    // As a submission does: its source and both addresses, all distinct here.
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => burst.hit([{ key: `source:10.1.0.${i}`, limit: 1 }, { key: `target:a${i}@fabrikam.example`, limit: 1 }, { key: `target:b${i}@northwind.example`, limit: 1 }], HOUR, now)),
    );
    expect(results.every((r) => r.allowed)).toBe(true);
    const transactions = seen.filter((op) => op === 'RateLimits.submitTransaction').length;
    // The first alone, then up to 33 hits (99 rows) to a transaction.
    expect(transactions).toBeGreaterThanOrEqual(2);
    expect(transactions).toBeLessThanOrEqual(6);
    let rows = 0;
    for await (const row of tableOf(prefix).listEntities()) rows += row.rowKey!.endsWith('_0000000001') ? 1 : 0;
    expect(rows).toBe(180);
    // Every slot is taken: none of the 60 can come through again.
    const again = await Promise.all(Array.from({ length: 60 }, (_, i) => burst.hit(one(`target:a${i}@fabrikam.example`, 1), HOUR, now)));
    expect(again.some((r) => r.allowed)).toBe(false);
  });

  test('a shared transaction refused because another process took one hit\'s slot: each hit is tried alone and gets its own answer', async () => {
    const prefix = `Shared${Date.now()}`;
    const now = new Date('2025-03-04T13:50:00.000Z');
    // Another process holds slot 1 of the contested key; this one does not know it.
    expect((await newLimiter(prefix).hit(one('target:contested@fabrikam.example', 2), HOUR, now)).allowed).toBe(true);
    const seen: string[] = [];
    const local = newLimiter(prefix, (op) => seen.push(op));
    // The first goes alone; the next two wait for it and share a transaction, which the contested row refuses.
    const results = await Promise.all([
      local.hit(one('source:first', 1), HOUR, now),
      local.hit(one('target:contested@fabrikam.example', 2), HOUR, now),
      local.hit(one('source:bystander', 1), HOUR, now),
    ]);
    expect(results.map((r) => r.allowed)).toEqual([true, true, true]);
    // first; the shared one (refused); each alone (the contested one refused); the contested one again on slot 2.
    expect(seen.filter((op) => op === 'RateLimits.submitTransaction')).toHaveLength(5);
    const rows: string[] = [];
    for await (const row of tableOf(prefix).listEntities()) rows.push(row.rowKey!.split('_')[1]!);
    expect(rows.map(Number).sort()).toEqual([1, 1, 1, 2]);
    // The contested key is spent at 2, whoever counted.
    expect((await local.hit(one('target:contested@fabrikam.example', 2), HOUR, now)).allowed).toBe(false);
  });

  test('a shared transaction that committed but whose answer was lost: each hit, sent again alone, meets its own rows and is counted once', async () => {
    const prefix = `Lost${Date.now()}`;
    const real = createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: prefix });
    let transactions = 0;
    // The second transaction (the first shared one) commits, then its answer never arrives.
    const tables: StoreTables = {
      async call(table, operation, run) {
        const attempt = operation === 'submitTransaction' ? ++transactions : 0;
        const result = await real.call(table, operation, run);
        if (attempt === 2) throw new Error('socket hang up');
        return result;
      },
    };
    const local = createRateLimiterFromTables(tables);
    const now = new Date('2025-03-04T13:55:00.000Z');
    const results = await Promise.all(['first', 'second', 'third'].map((name) => local.hit(one(`source:${name}`, 5), HOUR, now)));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true]);
    // The first alone; the shared one (answer lost); each of its two again alone (409: their own rows).
    expect(transactions).toBe(4);
    const slots: string[] = [];
    for await (const row of tableOf(prefix).listEntities()) slots.push(row.rowKey!.split('_')[1]!);
    // One row each: nobody took a second slot for a hit already counted.
    expect(slots.map(Number)).toEqual([1, 1, 1]);
  });

  test('concurrent hits across keys through 3 processes: each source gets exactly its budget, the shared target counts every allowed hit', async () => {
    const processes = [limiter, newLimiter(), newLimiter()];
    const now = new Date('2025-03-04T13:45:00.000Z');
    const results = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const source = `source:10.0.0.${i % 4}`;
        const verdict = await processes[i % 3]!.hit([{ key: source, limit: 5 }, { key: 'target:shared@fabrikam.example', limit: 30 }], HOUR, now);
        return { source, allowed: verdict.allowed };
      }),
    );
    for (let s = 0; s < 4; s++) expect(results.filter((r) => r.allowed && r.source === `source:10.0.0.${s}`)).toHaveLength(5);
    // 20 counted on the target (the 80 refused by their source counted nowhere): exactly 10 more fit.
    const more = await Promise.all(Array.from({ length: 20 }, () => limiter.hit(one('target:shared@fabrikam.example', 30), HOUR, now)));
    expect(more.filter((r) => r.allowed)).toHaveLength(10);
  });

  test('a hit refused by one budget counts against none of the others', async () => {
    const now = new Date('2025-03-04T14:30:00.000Z');
    const source = { key: 'source:198.51.100.7', limit: 10 };
    expect((await limiter.hit([source, { key: 'target:once@fabrikam.example', limit: 1 }], HOUR, now)).allowed).toBe(true);
    for (let i = 0; i < 5; i++) expect((await limiter.hit([source, { key: 'target:once@fabrikam.example', limit: 1 }], HOUR, now)).allowed).toBe(false);
    // A process that does not know the target is spent tries both at once: the transaction fails whole.
    const fresh = newLimiter();
    expect((await fresh.hit([source, { key: 'target:once@fabrikam.example', limit: 1 }], HOUR, now)).allowed).toBe(false);
    const allowed = [];
    for (let i = 0; i < 10; i++) allowed.push((await limiter.hit([source, { key: `target:t${i}@fabrikam.example`, limit: 1 }], HOUR, now)).allowed);
    expect(allowed).toEqual([true, true, true, true, true, true, true, true, true, false]);
  });

  test('a hit that finds the last slot of a budget being inserted by another hit waits: the slot comes back when that hit is refused', async () => {
    const now = new Date('2025-03-04T14:45:00.000Z');
    // Another process spends the target; this one does not know yet.
    expect((await newLimiter().hit(one('target:spent@fabrikam.example', 1), HOUR, now)).allowed).toBe(true);
    const [refused, allowed] = await Promise.all([
      limiter.hit([{ key: 'source:edge', limit: 1 }, { key: 'target:spent@fabrikam.example', limit: 1 }], HOUR, now),
      limiter.hit([{ key: 'source:edge', limit: 1 }, { key: 'target:fresh@fabrikam.example', limit: 1 }], HOUR, now),
    ]);
    expect([refused.allowed, allowed.allowed]).toEqual([false, true]);
  });

  test('does not store the key itself (emails and IPs)', async () => {
    await limiter.hit(one('target:secret.person@example.com', 3), HOUR, new Date('2025-03-04T14:00:00.000Z'));
    for await (const row of tableOf(PREFIX).listEntities()) {
      expect(JSON.stringify(row)).not.toContain('secret.person');
      expect(row.rowKey).toMatch(/^[0-9a-f]{64}_\d{10}$/);
    }
  });

  test('the first hit of a new window sweeps windows that ended over a window ago, keeping the last one', async () => {
    const prefix = `Sweep${Date.now()}`;
    const windows = async () => {
      const starts: string[] = [];
      for await (const row of tableOf(prefix).listEntities()) starts.push(new Date(Number(row.partitionKey!.split('_')[1])).toISOString().slice(11, 16));
      return starts.sort();
    };
    const first = newLimiter(prefix);
    for (const key of ['source:a', 'source:b', 'source:c']) await first.hit(one(key, 5), HOUR, new Date('2025-05-01T08:10:00.000Z'));
    // More rows in one ended window than one delete transaction holds.
    await Promise.all(Array.from({ length: 150 }, () => first.hit(one('source:many', 200), HOUR, new Date('2025-05-01T08:20:00.000Z'))));
    await first.hit(one('source:a', 5), HOUR, new Date('2025-05-01T09:10:00.000Z'));
    await first.hit(one('source:a', 5), 60_000, new Date('2025-05-01T09:10:00.000Z'));
    expect((await windows()).filter((w) => w === '08:00')).toHaveLength(153);

    // Another process (or the next hour) opens 10:00: the 08:00 rows go, 09:00 stays for clock skew,
    // and a window of another length is not touched by this one's sweep.
    await newLimiter(prefix).hit(one('source:d', 5), HOUR, new Date('2025-05-01T10:00:00.000Z'));
    expect(await windows()).toEqual(['09:00', '09:10', '10:00']);
  });

  test('costs one transaction per allowed hit, whatever its budgets, and nothing for a hit on a budget known spent', async () => {
    const now = new Date('2025-03-04T15:00:00.000Z');
    await limiter.hit(one('source:count', 2), HOUR, now);
    operations.length = 0;
    await limiter.hit([{ key: 'source:count', limit: 2 }, { key: 'target:x@fabrikam.example', limit: 2 }, { key: 'target:y@northwind.example', limit: 2 }], HOUR, now);
    expect(operations).toEqual(['RateLimits.submitTransaction']);
    operations.length = 0;
    expect((await limiter.hit(one('source:count', 2), HOUR, now)).allowed).toBe(false);
    expect(operations).toEqual([]);
  });
});
