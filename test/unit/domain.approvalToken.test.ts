import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createAntiForgeryValue, createApprovalToken, parseApprovalToken, verifyAntiForgeryValue } from '../../src/domain/approvalToken.js';

const requestId = randomUUID();

describe('approval tokens', () => {
  test('a minted token is the request id, a dot and 43 base64url characters', () => {
    const { token } = createApprovalToken(requestId);
    expect(token).toMatch(new RegExp(`^${requestId}\\.[A-Za-z0-9_-]{43}$`));
  });

  test('the stored hash is SHA-256 hex of the secret part, and parsing gives it back', () => {
    const { token, tokenHash } = createApprovalToken(requestId);
    const secret = token.split('.')[1];
    expect(tokenHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(parseApprovalToken(token)).toEqual({ requestId, tokenHash });
  });

  test('every token is different', () => {
    const hashes = new Set(Array.from({ length: 50 }, () => createApprovalToken(requestId).tokenHash));
    expect(hashes.size).toBe(50);
  });

  test('a tampered secret parses to a different hash', () => {
    const { token, tokenHash } = createApprovalToken(requestId);
    const flipped = token.slice(0, 40) + (token[40] === 'A' ? 'B' : 'A') + token.slice(41);
    expect(parseApprovalToken(flipped)?.tokenHash).not.toBe(tokenHash);
  });

  const good = createApprovalToken(requestId).token;
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
    expect(parseApprovalToken(token)).toBeUndefined();
  });

  test('refuses non-strings', () => {
    expect(parseApprovalToken(undefined as unknown as string)).toBeUndefined();
    expect(parseApprovalToken(42 as unknown as string)).toBeUndefined();
  });
});

describe('anti-forgery values', () => {
  const formSecret = 'a-long-form-secret-of-at-least-32-characters';
  const { tokenHash } = createApprovalToken(requestId);
  const other = createApprovalToken(requestId).tokenHash;

  test('is HMAC-SHA256 in base64url and verifies for its own token', () => {
    const value = createAntiForgeryValue(formSecret, tokenHash);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifyAntiForgeryValue(formSecret, tokenHash, value)).toBe(true);
  });

  test('a value for another token hash is refused', () => {
    expect(verifyAntiForgeryValue(formSecret, tokenHash, createAntiForgeryValue(formSecret, other))).toBe(false);
  });

  test('a value made with another secret is refused', () => {
    expect(verifyAntiForgeryValue(formSecret, tokenHash, createAntiForgeryValue(`${formSecret}x`, tokenHash))).toBe(false);
  });

  test.each([
    ['empty', ''],
    ['truncated', (v: string) => v.slice(0, -1)],
    ['extended', (v: string) => `${v}A`],
    ['one character changed', (v: string) => (v[0] === 'A' ? 'B' : 'A') + v.slice(1)],
    ['multi-byte of the same length', (v: string) => 'é'.repeat(v.length)],
  ])('refuses a %s value', (_, make) => {
    const value = typeof make === 'string' ? make : make(createAntiForgeryValue(formSecret, tokenHash));
    expect(verifyAntiForgeryValue(formSecret, tokenHash, value)).toBe(false);
  });

  test('refuses a non-string value without throwing', () => {
    expect(verifyAntiForgeryValue(formSecret, tokenHash, undefined as unknown as string)).toBe(false);
  });
});
