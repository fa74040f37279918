import { describe, expect, test } from 'vitest';
import { csvField, csvRow } from '../../src/http/csv.js';

describe('CSV', () => {
  test('writes RFC 4180: CRLF rows, quotes only where needed, quotes doubled', () => {
    expect(csvRow(['a', 'b c', 1, null, undefined])).toBe('a,b c,1,,\r\n');
    expect(csvField('x,y')).toBe('"x,y"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField('line\nfeed')).toBe('"line\nfeed"');
  });

  test.each(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])('escapes %j so no spreadsheet runs it as a formula', (value) => {
    const field = csvField(value);
    expect(field.replace(/^"/, '')).toMatch(/^'/);
    expect(field).toContain(value.replace(/"/g, '""'));
  });

  test('leaves text that merely contains those characters alone', () => {
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField('ada@example.com')).toBe('ada@example.com');
    expect(csvField('Zoë')).toBe('Zoë');
  });
});
