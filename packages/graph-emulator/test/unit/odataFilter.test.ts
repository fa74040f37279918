import { describe, expect, test } from 'vitest';
import { GraphHttpError } from '../../src/graphHttp.js';
import { parseFilter } from '../../src/odataFilter.js';

const adele = { mail: 'Adele.Vance@fabrikam.com', otherMails: ["a.o'neil@outlook.com"], userType: 'Guest', accountEnabled: true };

describe('the emulator $filter parser', () => {
  test('mail eq and otherMails/any, case-insensitive on values', () => {
    expect(parseFilter("mail eq 'adele.vance@FABRIKAM.com'")(adele)).toBe(true);
    expect(parseFilter("otherMails/any(x:x eq 'A.O''Neil@outlook.com')")(adele)).toBe(true);
    expect(parseFilter("mail eq 'x@y.z' or otherMails/any(m:m eq 'x@y.z')")(adele)).toBe(false);
  });

  test('and, or, parentheses and boolean literals', () => {
    expect(parseFilter("(mail eq 'x@y.z' or userType eq 'guest') and accountEnabled eq true")(adele)).toBe(true);
    expect(parseFilter("userType eq 'Guest' and accountEnabled eq false")(adele)).toBe(false);
  });

  test.each([
    "endsWith(mail,'@fabrikam.com')",
    "mail ne 'x@y.z'",
    "jobTitle eq 'x'",
    "mail eq 'unterminated",
    "otherMails/any(x:y eq 'a@b.c')",
    "mail eq 'a@b.c' extra",
  ])('unsupported: %s', (filter) => {
    const attempt = () => parseFilter(filter);
    expect(attempt).toThrow(GraphHttpError);
    expect(() => parseFilter(filter)).toThrow(expect.objectContaining({ status: 400, code: 'Request_UnsupportedQuery' }));
  });
});
