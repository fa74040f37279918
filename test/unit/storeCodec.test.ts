import { describe, expect, test } from 'vitest';
import { fromColumns, keySafe, toColumns } from '../../src/store/entityCodec.js';

describe('entity codec', () => {
  test('stores strings as they are and everything else as JSON columns', () => {
    const columns = toColumns({ status: 'Received', approvers: [{ id: 'a' }], previousMail: null, skipped: undefined });
    expect(columns).toEqual({ status: 'Received', approversJson: '[{"id":"a"}]', previousMailJson: 'null' });
    expect(fromColumns(columns)).toEqual({ status: 'Received', approvers: [{ id: 'a' }], previousMail: null });
  });

  test('splits text over one property limit into parts and joins them back', () => {
    const text = 'abc'.repeat(25_000);
    const columns = toColumns({ reasonDetail: text, comment: '' });
    expect(Object.keys(columns)).toEqual(['reasonDetail', 'reasonDetail__part2', 'reasonDetail__part3', 'comment']);
    expect(Object.values(columns).every((v) => v.length <= 32_000)).toBe(true);
    expect(fromColumns(columns)).toEqual({ reasonDetail: text, comment: '' });
  });

  test('ignores system properties and the columns asked to skip', () => {
    const row = { partitionKey: 'p', rowKey: 'r', etag: 'e', timestamp: 't', 'odata.metadata': 'm', id: 'x', emailKey: 'k' };
    expect(fromColumns(row, ['emailKey'])).toEqual({ id: 'x' });
  });

  test('refuses an entity over the 1 MiB limit', () => {
    expect(() => toColumns({ a: 'z'.repeat(300_000), b: 'z'.repeat(300_000) })).toThrow(expect.objectContaining({ code: 'EntityTooLarge' }));
  });

  test('escapes characters that Table keys forbid, keeping distinct values distinct', () => {
    expect(keySafe('a/b\\c#d?e%f\u0001')).toBe('a%2Fb%5Cc%23d%3Fe%25f%01');
    expect(keySafe('plain-id_1.2')).toBe('plain-id_1.2');
    expect(keySafe('%2F')).not.toBe(keySafe('/'));
  });
});
