import { describe, expect, test } from 'vitest';
import { decodeCursor, encodeCursor, indexKeys, invertedTime, pageSize } from '../../src/store/listIndex.js';

describe('list index keys', () => {
  test('put a request in its UTC submission month', () => {
    expect(indexKeys('2025-04-30T23:59:59.999Z', 'r1').partitionKey).toBe('2025-04');
    expect(indexKeys('2025-05-01T01:00:00.000+02:00', 'r1').partitionKey).toBe('2025-04');
  });

  test('sort newer requests first as strings', () => {
    const older = indexKeys('2025-04-01T00:00:00.000Z', 'zzz').rowKey;
    const newer = indexKeys('2025-04-01T00:00:00.001Z', 'aaa').rowKey;
    expect(newer < older).toBe(true);
    expect(invertedTime(0)).toHaveLength(16);
    expect(invertedTime(Date.parse('2999-12-31T00:00:00Z'))).toHaveLength(16);
  });

  test('refuse a request without a valid submission time', () => {
    expect(() => indexKeys('not a date', 'r1')).toThrow(/submittedAt/);
  });
});

describe('page size', () => {
  test('defaults to 50 and stays within 1..200', () => {
    expect(pageSize(undefined)).toBe(50);
    expect(pageSize(Number.NaN)).toBe(50);
    expect(pageSize(5000)).toBe(1000);
    expect(pageSize(0)).toBe(1);
    expect(pageSize(7.9)).toBe(7);
  });
});

describe('continuation tokens', () => {
  const cursor = { month: '2025-04', afterRowKey: `${invertedTime(1_700_000_000_000)}_r1` };

  test('round-trip for the same filters, whatever the page size', () => {
    const token = encodeCursor(cursor, { statuses: ['Received', 'Failed'], email: 'A@b.example', top: 5 });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token, { statuses: ['Failed', 'Received'], email: 'a@b.example', top: 50 })).toEqual(cursor);
  });

  test('are refused for other filters or when malformed', () => {
    const token = encodeCursor(cursor, { statuses: ['Received'] });
    for (const [bad, query] of [
      [token, { statuses: ['Completed' as const] }],
      [token, { statuses: ['Received' as const, 'Completed' as const] }],
      [token, {}],
      ['', { statuses: ['Received' as const] }],
      ['%%%', {}],
      [Buffer.from('null').toString('base64url'), {}],
      [Buffer.from(JSON.stringify({ v: 1, m: '2025-04', r: 'x', f: '' })).toString('base64url'), {}],
    ] as const) {
      expect(() => decodeCursor(bad, query)).toThrow(expect.objectContaining({ code: 'InvalidContinuationToken' }));
    }
  });
});
