import { expect, test } from 'vitest';
import { checkDomainPolicy, type DomainPolicy } from '../../src/domain/emailPolicy.js';

const policy = (overrides: Partial<DomainPolicy> = {}): DomainPolicy => ({
  verifiedDomains: ['contoso.com', 'contoso.onmicrosoft.com'],
  allowedDomains: [],
  deniedDomains: [],
  ...overrides,
});

test('an outside domain is allowed when there are no lists', () => {
  expect(checkDomainPolicy('ada@fabrikam.com', policy())).toEqual({ allowed: true });
});

test.each(['ada@contoso.com', 'ada@CONTOSO.com', 'ada@mail.contoso.com', 'ada@x.contoso.onmicrosoft.com'])(
  '%s is on a verified domain of the tenant',
  (email) => expect(checkDomainPolicy(email, policy())).toEqual({ allowed: false, why: 'VerifiedDomain' }),
);

test('a look-alike domain is not a subdomain', () => {
  expect(checkDomainPolicy('ada@evilcontoso.com', policy())).toEqual({ allowed: true });
  expect(checkDomainPolicy('ada@contoso.com.evil.net', policy())).toEqual({ allowed: true });
});

test('deny list matches the domain and its subdomains, case-insensitively', () => {
  const p = policy({ deniedDomains: ['Mailinator.com'] });
  expect(checkDomainPolicy('a@mailinator.com', p)).toEqual({ allowed: false, why: 'InDenyList' });
  expect(checkDomainPolicy('a@eu.MAILINATOR.com', p)).toEqual({ allowed: false, why: 'InDenyList' });
  expect(checkDomainPolicy('a@notmailinator.com', p)).toEqual({ allowed: true });
});

test('allow list, when set, limits the new domain', () => {
  const p = policy({ allowedDomains: ['fabrikam.com', 'northwind.org'] });
  expect(checkDomainPolicy('a@fabrikam.com', p)).toEqual({ allowed: true });
  expect(checkDomainPolicy('a@eu.northwind.org', p)).toEqual({ allowed: true });
  expect(checkDomainPolicy('a@gmail.com', p)).toEqual({ allowed: false, why: 'NotInAllowList' });
});

test('deny wins over allow, and verified wins over both', () => {
  const p = policy({ allowedDomains: ['fabrikam.com', 'contoso.com'], deniedDomains: ['temp.fabrikam.com'] });
  expect(checkDomainPolicy('a@temp.fabrikam.com', p)).toEqual({ allowed: false, why: 'InDenyList' });
  expect(checkDomainPolicy('a@contoso.com', p)).toEqual({ allowed: false, why: 'VerifiedDomain' });
});

test('list entries written with @, *. or a trailing dot still match; blank entries are ignored', () => {
  expect(checkDomainPolicy('a@x.fabrikam.com', policy({ deniedDomains: ['*.fabrikam.com'] }))).toEqual({ allowed: false, why: 'InDenyList' });
  expect(checkDomainPolicy('a@fabrikam.com', policy({ deniedDomains: ['@fabrikam.com'] }))).toEqual({ allowed: false, why: 'InDenyList' });
  expect(checkDomainPolicy('a@fabrikam.com', policy({ deniedDomains: ['fabrikam.com.'] }))).toEqual({ allowed: false, why: 'InDenyList' });
  expect(checkDomainPolicy('a@fabrikam.com', policy({ allowedDomains: [' '], deniedDomains: [''] }))).toEqual({ allowed: true });
});

test('an internationalised domain matches the stored punycode whether listed in Unicode or punycode', () => {
  const stored = 'a@mail.xn--bcher-kva.example';
  expect(checkDomainPolicy(stored, policy({ deniedDomains: ['Bücher.example'] }))).toEqual({ allowed: false, why: 'InDenyList' });
  expect(checkDomainPolicy(stored, policy({ verifiedDomains: ['xn--bcher-kva.example'] }))).toEqual({ allowed: false, why: 'VerifiedDomain' });
  expect(checkDomainPolicy(stored, policy({ allowedDomains: ['*.bücher.example'] }))).toEqual({ allowed: true });
  expect(checkDomainPolicy('a@xn--bcher-kva.example.evil.net', policy({ allowedDomains: ['bücher.example'] }))).toEqual({ allowed: false, why: 'NotInAllowList' });
});
