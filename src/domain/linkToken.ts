import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Every single-use link (approvals, the new address's confirmation, the requester's tracking page,
 * the owner's "this wasn't me") carries `<requestId>.<secret>`: the request id finds the
 * partition, the 256-bit secret proves the link was mailed by us. Only SHA-256 of the secret is
 * stored, with what the link is for, so a leaked table does not leak working links and a link
 * minted for one purpose never opens another.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** 32 bytes in unpadded base64url are 43 characters; the last one carries only 4 bits. */
const SECRET = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const SECRET_BYTES = 32;

export interface LinkToken {
  token: string;
  tokenHash: string;
}

/** Hex SHA-256 of the secret part of a token, the only form in which it is stored. */
export const hashLinkSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Mints a fresh link token for one request (and, for approvals, one approver). */
export function createLinkToken(requestId: string): LinkToken {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { token: `${requestId}.${secret}`, tokenHash: hashLinkSecret(secret) };
}

/**
 * Parses a token from a URL. Anything not exactly in the format we mint is refused, so a
 * tampered link never reaches storage; the request id must be a lower-case UUID as minted by
 * `randomUUID`, and the secret the canonical encoding of 32 bytes.
 */
export function parseLinkToken(token: string): { requestId: string; tokenHash: string } | undefined {
  if (typeof token !== 'string' || token.length !== 36 + 1 + 43) return undefined;
  const dot = token.indexOf('.');
  const requestId = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  if (dot !== 36 || !UUID.test(requestId) || !SECRET.test(secret)) return undefined;
  return { requestId, tokenHash: hashLinkSecret(secret) };
}

/**
 * Who an anti-forgery value is for when approvers do not sign in (`APPROVER_SIGN_IN=off`). Not an
 * object id (those are GUIDs), so a value minted for nobody in particular never passes for a
 * signed-in approver, and the other way round.
 */
export const NO_SIGN_IN_VIEWER = 'sign-in-off';

/**
 * The anti-forgery value of the approval form: bound to the token (via its hash) and to the viewer
 * it was shown to (the signed-in object id, or `NO_SIGN_IN_VIEWER`), keyed with
 * APPROVAL_FORM_SECRET. A page for one token cannot post for another, and a value someone else
 * obtained by signing in as themselves cannot be replayed in the approver's browser.
 */
export function createAntiForgeryValue(secret: string, tokenHash: string, viewer: string): string {
  return createHmac('sha256', secret).update(`${tokenHash}|${viewer}`, 'utf8').digest('base64url');
}

/** Constant-time check of a posted anti-forgery value against the viewer who posts it. */
export function verifyAntiForgeryValue(secret: string, tokenHash: string, viewer: string, value: string): boolean {
  if (typeof value !== 'string') return false;
  const expected = Buffer.from(createAntiForgeryValue(secret, tokenHash, viewer), 'utf8');
  const actual = Buffer.from(value, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
