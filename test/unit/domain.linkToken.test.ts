import { createHash, createHmac, randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createAntiForgeryValue, createLinkToken, NO_SIGN_IN_VIEWER, parseLinkToken, verifyAntiForgeryValue } from '../../src/domain/linkToken.js';

const requestId = randomUUID();

describe('approval tokens', () => {
  test('a minted token is the request id, a dot and 43 base64url characters', () => {
    const { token } = createLinkToken(requestId);
    expect(token).toMatch(new RegExp(`^${requestId}\\.[A-Za-z0-9_-]{43}$`));
  });

  test('the stored hash is SHA-256 hex of the secret part, and parsing gives it back', () => {
    const { token, tokenHash } = createLinkToken(requestId);
    const secret = token.split('.')[1];
    expect(tokenHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(parseLinkToken(token)).toEqual({ requestId, tokenHash });
  });

  test('every token is different', () => {
    const hashes = new Set(Array.from({ length: 50 }, () => createLinkToken(requestId).tokenHash));
    expect(hashes.size).toBe(50);
  });

  test('a tampered secret parses to a different hash', () => {
    const { token, tokenHash } = createLinkToken(requestId);
    const flipped = token.slice(0, 40) + (token[40] === 'A' ? 'B' : 'A') + token.slice(41);
    expect(parseLinkToken(flipped)?.tokenHash).not.toBe(tokenHash);
  });

  const good = createLinkToken(requestId).token;
  const [id, secret] = good.split('.');
  test.each([
    ['empty', ''],
    ['garbage', 'not-a-token'],
    ['no dot', id + secret],
    ['secret too short', `${id}.${secret.slice(0, 42)}`],
    ['secret too long', `${id}.${secret}A`],
    ['padded secret', `${id}.${secret}=`],
    ['standard base64 characters', `${id}.${secret.slice(0, 10)}+/${secret.slice(12)}`],
    ['non-canonical last character', `${id}.${secret.slice(0, 42)}B`],
    ['upper-case request id', `${id.toUpperCase()}.${secret}`],
    ['request id not a UUID', `${'x'.repeat(36)}.${secret}`],
    ['request id without hyphens, padded', `${id.replace(/-/g, '')}0000.${secret}`],
    ['two dots', `${id}.${secret.slice(0, 20)}.${secret.slice(21)}`],
    ['dot in the wrong place', `${id.slice(1)}.${secret}A`],
    ['surrounding spaces', ` ${good.slice(1)}`],
    ['path traversal', `../${good.slice(3)}`],
  ])('refuses %s', (_, token) => {
    expect(parseLinkToken(token)).toBeUndefined();
  });

  test('refuses non-strings', () => {
    expect(parseLinkToken(undefined as unknown as string)).toBeUndefined();
    expect(parseLinkToken(42 as unknown as string)).toBeUndefined();
  });
});

describe('anti-forgery values', () => {
  const formSecret = 'a-long-form-secret-of-at-least-32-characters';
  const { tokenHash } = createLinkToken(requestId);
  const other = createLinkToken(requestId).tokenHash;
  const approverId = '6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
  const someoneElseId = '7b2e1d3f-4c5e-4f60-9bac-1d2e3f4a5b6c';

  test('is HMAC-SHA256 of the token hash and the viewer, in base64url, and verifies for both', () => {
    const value = createAntiForgeryValue(formSecret, tokenHash, approverId);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(value).toBe(createHmac('sha256', formSecret).update(`${tokenHash}|${approverId}`).digest('base64url'));
    expect(verifyAntiForgeryValue(formSecret, tokenHash, approverId, value)).toBe(true);
  });

  test('a value for another token hash is refused', () => {
    expect(verifyAntiForgeryValue(formSecret, tokenHash, approverId, createAntiForgeryValue(formSecret, other, approverId))).toBe(false);
  });

  test('a value shown to another signed-in user, or minted with sign-in off, is refused for the approver', () => {
    expect(verifyAntiForgeryValue(formSecret, tokenHash, approverId, createAntiForgeryValue(formSecret, tokenHash, someoneElseId))).toBe(false);
    expect(verifyAntiForgeryValue(formSecret, tokenHash, approverId, createAntiForgeryValue(formSecret, tokenHash, NO_SIGN_IN_VIEWER))).toBe(false);
    expect(verifyAntiForgeryValue(formSecret, tokenHash, NO_SIGN_IN_VIEWER, createAntiForgeryValue(formSecret, tokenHash, approverId))).toBe(false);
  });

  test('a value made with another secret is refused', () => {
    expect(verifyAntiForgeryValue(formSecret, tokenHash, approverId, createAntiForgeryValue(`${formSecret}x`, tokenHash, approverId))).toBe(false);
  });

  test.each([
    ['empty', ''],
    ['truncated', (v: string) => v.slice(0, -1)],
    ['extended', (v: string) => `${v}A`],
    ['one character changed', (v: string) => (v[0] === 'A' ? 'B' : 'A') + v.slice(1)],
    ['multi-byte of the same length', (v: string) => 'é'.repeat(v.length)],
  ])('refuses a %s value', (_, make) => {
    const value = typeof make === 'string' ? make : make(createAntiForgeryValue(formSecret, tokenHash, approverId));
    expect(verifyAntiForgeryValue(formSecret, tokenHash, approverId, value)).toBe(false);
  });

  test('refuses a non-string value without throwing', () => {
    expect(verifyAntiForgeryValue(formSecret, tokenHash, approverId, undefined as unknown as string)).toBe(false);
  });
});
