import { describe, expect, test } from 'vitest';
import { emailForDisplay } from '../../src/domain/emailAddress.js';
import type { DomainPolicy } from '../../src/domain/emailPolicy.js';
import { stripControlCharacters, validateSubmission as validateWith, type FieldErrors } from '../../src/domain/validation.js';

const policy: DomainPolicy = { verifiedDomains: ['contoso.com'], allowedDomains: [], deniedDomains: [] };
const validateSubmission = (input: Record<string, unknown>, domains: DomainPolicy = policy) => validateWith(input, domains);

const valid = { currentEmail: 'old@fabrikam.com', newEmail: 'new@northwind.com', reason: 'MovedCompany' };

const errorsOf = (input: Record<string, unknown>, domains: DomainPolicy = policy): FieldErrors => {
  const result = validateSubmission(input, domains);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.value)}`);
  return result.errors;
};

describe('validateSubmission', () => {
  test('two malformed addresses get messages that name their field, so an error summary never repeats itself', () => {
    const errors = errorsOf({ ...valid, currentEmail: 'not-an-email', newEmail: 'foo@' });
    expect(errors.currentEmail).toMatch(/^The current email is not a valid email address/);
    expect(errors.newEmail).toMatch(/^The new email is not a valid email address/);
  });

  test('accepts a valid submission and normalises the emails', () => {
    const result = validateSubmission({ ...valid, currentEmail: '  Old@Fabrikam.COM ', newEmail: 'New.Person@NorthWind.com\t' });
    expect(result).toEqual({ ok: true, value: { currentEmail: 'old@fabrikam.com', newEmail: 'new.person@northwind.com', reason: 'MovedCompany' } });
  });

  test('keeps optional fields, trimmed, and ignores unknown fields', () => {
    const result = validateSubmission({ ...valid, reasonDetail: '  new job ', displayName: ' Ada Lovelace ', approver: 'me@evil.com', isAdmin: true });
    expect(result).toEqual({ ok: true, value: { ...valid, reasonDetail: 'new job', displayName: 'Ada Lovelace' } });
  });

  test('blank optional fields are left out', () => {
    const result = validateSubmission({ ...valid, reasonDetail: '   ', displayName: '' });
    expect(result).toEqual({ ok: true, value: valid });
  });

  test('reports every missing required field at once', () => {
    const errors = errorsOf({});
    expect(Object.keys(errors).sort()).toEqual(['currentEmail', 'newEmail', 'reason']);
    expect(errors.currentEmail).toMatch(/email/i);
    expect(errors.reason).toMatch(/reason/i);
  });

  test('blank and null count as missing', () => {
    const errors = errorsOf({ currentEmail: '   ', newEmail: null, reason: '' });
    expect(Object.keys(errors).sort()).toEqual(['currentEmail', 'newEmail', 'reason']);
  });

  test.each([
    ['currentEmail', 42],
    ['newEmail', ['a@b.com']],
    ['reason', { value: 'Other' }],
    ['reasonDetail', true],
    ['displayName', 7],
  ])('a non-string %s is refused with a message', (field, value) => {
    expect(errorsOf({ ...valid, [field]: value })[field as keyof FieldErrors]).toBe('This field must be text.');
  });

  test.each([
    ['no at sign', 'person.example.com', /valid email/],
    ['two at signs', 'a@b@example.com', /valid email/],
    ['no domain dot', 'person@localhost', /valid email/],
    ['empty local part', '@example.com', /valid email/],
    ['empty domain', 'person@', /valid email/],
    ['space inside', 'per son@example.com', /spaces/],
    ['double dot', 'a..b@example.com', /valid email/],
    ['domain label with leading hyphen', 'a@-example.com', /valid email/],
    ['numeric top-level domain', 'a@example.123', /valid email/],
    ['IP literal', 'a@[127.0.0.1]', /valid email/],
    ['local part over 64', `${'a'.repeat(65)}@example.com`, /64/],
    ['address over 254', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`, /254/],
  ])('current email: %s is refused', (_, email, message) => {
    expect(errorsOf({ ...valid, currentEmail: email }).currentEmail).toMatch(message);
  });

  test.each(['currentEmail', 'newEmail'] as const)('%s: a non-ASCII local part is refused because Graph cannot take it', (field) => {
    for (const email of ['jürgen@example.com', 'JÜRGEN@bücher.example', '用户@例子.example']) {
      expect(errorsOf({ ...valid, [field]: email })[field]).toMatch(/Microsoft Entra ID cannot use this address: Microsoft Graph/);
    }
  });

  test('a non-ASCII local part wins over a character Graph refuses', () => {
    expect(errorsOf({ ...valid, newEmail: 'jür+gen@example.com' }).newEmail).toMatch(/Microsoft Graph does not accept accented/);
  });

  test('the current email may hold characters Graph refuses in new invitations', () => {
    expect(validateSubmission({ ...valid, currentEmail: 'ada+guest@fabrikam.com' }).ok).toBe(true);
  });

  test('a 64-character local part and a 254-character address are accepted', () => {
    const local = 'a'.repeat(64);
    const longAddress = `${local}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    expect(longAddress).toHaveLength(254);
    expect(validateSubmission({ ...valid, newEmail: longAddress }).ok).toBe(true);
  });

  test.each(['+', '#', '!', '$', '%', '&', '*', '=', '/', '?', "'", '"', '`', '^', '{', '|', '}', '~'])('new email with %s names the character', (character) => {
    const message = errorsOf({ ...valid, newEmail: `ada${character}x@northwind.com` }).newEmail;
    expect(message).toContain(character === '"' ? `'"'` : `"${character}"`);
    expect(message).toMatch(/cannot contain/);
  });

  test.each([
    ['.ada@northwind.com', /start with "\."/],
    ['ada.@northwind.com', /end with "\."/],
    ['-ada@northwind.com', /start with "-"/],
    ['ada-@northwind.com', /end with "-"/],
  ])('new email %s: dot and hyphen not at the edges of the local part', (email, message) => {
    expect(errorsOf({ ...valid, newEmail: email }).newEmail).toMatch(message);
  });

  test.each(['ada_lovelace@northwind.com', '_ada_@northwind.com', 'a.d-a@mail.north-wind.co.uk', 'ada.lovelace@northwind.com'])(
    'new email %s is accepted',
    (email) => expect(validateSubmission({ ...valid, newEmail: email }).ok).toBe(true),
  );

  test('new email must differ from the current one, ignoring case and spaces', () => {
    expect(errorsOf({ ...valid, newEmail: ' OLD@fabrikam.com ' }).newEmail).toMatch(/different/);
  });

  test.each(['other', 'Bogus', 'ChangedProvider '.repeat(2)])('reason %j is refused', (reason) => {
    expect(errorsOf({ ...valid, reason }).reason).toMatch(/listed reasons/);
  });

  test.each(['ChangedProvider', 'AccountRecreated', 'MovedCompany', 'ResponsibilitiesTransferred'])('reason %s needs no detail', (reason) => {
    expect(validateSubmission({ ...valid, reason }).ok).toBe(true);
  });

  test('Other requires a non-blank detail', () => {
    expect(errorsOf({ ...valid, reason: 'Other' }).reasonDetail).toMatch(/required/);
    expect(errorsOf({ ...valid, reason: 'Other', reasonDetail: ' \n\t ' }).reasonDetail).toMatch(/required/);
    expect(validateSubmission({ ...valid, reason: 'Other', reasonDetail: 'lost my token' }).ok).toBe(true);
  });

  test('detail is limited to 1000 characters, counted as characters not UTF-16 units', () => {
    expect(validateSubmission({ ...valid, reasonDetail: 'x'.repeat(1000) }).ok).toBe(true);
    expect(validateSubmission({ ...valid, reasonDetail: '😀'.repeat(1000) }).ok).toBe(true);
    expect(errorsOf({ ...valid, reasonDetail: 'x'.repeat(1001) }).reasonDetail).toMatch(/1000/);
  });

  test('display name is limited to 256 characters', () => {
    expect(validateSubmission({ ...valid, displayName: 'n'.repeat(256) }).ok).toBe(true);
    expect(errorsOf({ ...valid, displayName: 'n'.repeat(257) }).displayName).toMatch(/256/);
  });

  test('control characters are stripped; the detail keeps its newlines', () => {
    const result = validateSubmission({
      ...valid,
      reasonDetail: 'line one\r\nline\u0000 two\u0007\rthree\u202E',
      displayName: 'Ada\nLove\u0008lace\u001B',
    });
    expect(result).toEqual({ ok: true, value: { ...valid, reasonDetail: 'line one\nline two\nthree', displayName: 'AdaLovelace' } });
  });

  test('control characters in an email make it invalid rather than silently changed', () => {
    expect(errorsOf({ ...valid, newEmail: 'new@north\u0000wind.com' }).newEmail).toMatch(/valid email/);
    expect(errorsOf({ ...valid, newEmail: 'ne\u0000w@northwind.com' }).newEmail).toMatch(/valid email/);
  });

  test('a detail that is only control characters is blank', () => {
    expect(errorsOf({ ...valid, reason: 'Other', reasonDetail: '\u0000\u0001' }).reasonDetail).toMatch(/required/);
  });
});

describe("the new email's domain policy (DESIGN §5: checked at submission)", () => {
  test("refuses the tenant's own domains and their subdomains, saying why", () => {
    for (const newEmail of ['ada@contoso.com', 'ada@Mail.Contoso.com']) {
      expect(errorsOf({ ...valid, newEmail }).newEmail).toMatch(/organisation's own domains/);
    }
    expect(validateSubmission({ ...valid, newEmail: 'ada@notcontoso.com' }).ok).toBe(true);
  });

  test('refuses a denied domain, and one not on the allow list, naming the allowed ones', () => {
    const lists: DomainPolicy = { verifiedDomains: ['contoso.com'], allowedDomains: ['northwind.com', '@Fabrikam.com'], deniedDomains: ['old.northwind.com'] };
    expect(errorsOf({ ...valid, newEmail: 'ada@old.northwind.com' }, lists).newEmail).toMatch(/cannot be used/);
    expect(errorsOf({ ...valid, newEmail: 'ada@gmail.com' }, lists).newEmail).toBe('Enter an address on one of these domains: northwind.com, fabrikam.com.');
    expect(validateSubmission({ ...valid, newEmail: 'ada@fabrikam.com' }, lists).ok).toBe(true);
  });

  test('only the new email is held to it, and alongside the other fields', () => {
    expect(validateSubmission({ ...valid, currentEmail: 'ada@contoso.com' }).ok).toBe(true);
    expect(Object.keys(errorsOf({ newEmail: 'ada@contoso.com' })).sort()).toEqual(['currentEmail', 'newEmail', 'reason']);
  });
});

describe('stripControlCharacters', () => {
  test('turns tabs into spaces and removes C0, DEL, C1 and bidi overrides', () => {
    expect(stripControlCharacters('a\tb\u007Fc\u0085d\u2066e', false)).toBe('a bcde');
  });
});

/** Every character that changes how text reads without being seen, by class (issue 8 part 8). */
const INVISIBLE: Record<string, string[]> = {
  'bidi embeddings and overrides': ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E'],
  'bidi isolates': ['\u2066', '\u2067', '\u2068', '\u2069'],
  'bidi marks': ['\u200E', '\u200F', '\u061C'],
  'zero-width characters': ['\u200B', '\u200C', '\u200D', '\u2060', '\u180E'],
  'byte-order mark': ['\uFEFF'],
};

describe.each(Object.entries(INVISIBLE))('%s are stripped from every free-text field', (_, characters) => {
  const hidden = (text: string) => characters.map((c) => `${c}${text}`).join('') + characters.join('');

  test('stripControlCharacters removes each of them, single-line and multi-line', () => {
    for (const c of characters) {
      expect(stripControlCharacters(`pay${c}pal`, false)).toBe('paypal');
      expect(stripControlCharacters(`line${c}\nnext`, true)).toBe('line\nnext');
    }
  });

  test('in reasonDetail and displayName at validation', () => {
    const result = validateSubmission({ ...valid, reason: 'Other', reasonDetail: hidden('x'), displayName: hidden('n') });
    expect(result).toEqual({ ok: true, value: { ...valid, reason: 'Other', reasonDetail: 'x'.repeat(characters.length), displayName: 'n'.repeat(characters.length) } });
  });

  test('a field that holds only them is blank', () => {
    expect(errorsOf({ ...valid, reason: 'Other', reasonDetail: characters.join('') }).reasonDetail).toMatch(/required/);
  });
});

test('a reversed-text trick reads as typed once the override is gone', () => {
  // Shown with U+202E, "moc.nimda" reads "admin.com"; what is stored and mailed is what was typed.
  expect(validateSubmission({ ...valid, displayName: 'IT \u202Emoc.nimda\u202C desk' })).toMatchObject({ ok: true, value: { displayName: 'IT moc.nimda desk' } });
});

describe('internationalised domain names', () => {
  const accepted = (currentEmail: string, newEmail: string) => {
    const result = validateSubmission({ ...valid, currentEmail, newEmail });
    if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.errors)}`);
    return result.value;
  };

  test('are accepted in both addresses and stored as lower-case punycode', () => {
    expect(accepted('Ada@Bücher.Example', 'ada@例え.テスト')).toMatchObject({ currentEmail: 'ada@xn--bcher-kva.example', newEmail: 'ada@xn--r8jz45g.xn--zckzah' });
  });

  test('mixed case, full-width letters and a typed xn-- form give the same stored address', () => {
    for (const typed of ['ADA@BÜCHER.EXAMPLE', 'ada@XN--BCHER-KVA.example', 'ada@ｂücher．example']) {
      expect(accepted(typed, 'new@northwind.com').currentEmail).toBe('ada@xn--bcher-kva.example');
    }
  });

  test('the same address typed in Unicode and in punycode counts as the same address', () => {
    expect(errorsOf({ ...valid, currentEmail: 'ada@bücher.example', newEmail: 'ADA@xn--bcher-kva.example' }).newEmail).toMatch(/different/);
  });

  test.each([
    ['invalid punycode', 'ada@xn--zz.example'],
    ['an empty xn-- label', 'ada@xn--.example'],
    ['a trailing dot', 'ada@bücher.example.'],
    ['a trailing dot on an ASCII domain', 'ada@northwind.com.'],
    ['a URL delimiter that domainToASCII would cut off', 'ada@bücher.example/evil'],
    ['a full-width solidus', 'ada@bücher\uFF0Fexample.com'],
    ['a disallowed symbol', 'ada@⒈.example'],
    ['a bidirectional override', 'ada@büch\u202Eer.example'],
  ])('%s is refused as malformed', (_, email) => {
    expect(errorsOf({ ...valid, newEmail: email }).newEmail).toMatch(/valid email/);
  });

  test('length limits count the punycode, not the typed characters', () => {
    // 57 "ü" are 57 characters typed but a 63-character label once encoded; 58 make it too long.
    const label = (n: number) => 'ü'.repeat(n);
    expect(accepted(`ada@${label(57)}.example`, 'new@northwind.com').currentEmail).toMatch(/^ada@xn--[a-z0-9-]{59}\.example$/);
    expect(errorsOf({ ...valid, currentEmail: `ada@${label(58)}.example` }).currentEmail).toMatch(/valid email/);

    const local = 'a'.repeat(64);
    const domain = `${label(57)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    expect(`${local}@${domain}`.length).toBeLessThan(254);
    const asciiLength = accepted(`${local}@${domain}`, 'new@northwind.com').currentEmail.length;
    expect(asciiLength).toBe(254);
    expect(errorsOf({ ...valid, currentEmail: `${local}@x${domain}` }).currentEmail).toMatch(/254 characters, counting a domain with accents/);
  });
});

describe('emailForDisplay', () => {
  test('shows a punycode domain in Unicode and leaves everything else alone', () => {
    expect(emailForDisplay('ada@xn--bcher-kva.example')).toBe('ada@bücher.example');
    expect(emailForDisplay('ada@xn--r8jz45g.xn--zckzah')).toBe('ada@例え.テスト');
    expect(emailForDisplay('ada@northwind.com')).toBe('ada@northwind.com');
    expect(emailForDisplay('ada@xn--zz.example')).toBe('ada@xn--zz.example');
    expect(emailForDisplay('not an address')).toBe('not an address');
  });
});
