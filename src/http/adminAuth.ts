import type { HttpRequest } from '@azure/functions';
import type { JWTPayload } from 'jose' with { 'resolution-mode': 'import' };
import type { Settings } from '../config/settings.js';
import { HttpError } from './errors.js';
import { claimText, personName } from './claimText.js';

/** Who called the admin API, for the audit trail. */
export interface AdminIdentity {
  /** The person's name (the token's `name`), else the most readable identifier it carries. */
  name: string;
  /** The user name (`preferred_username` or `upn`); app tokens have none. */
  username?: string;
  objectId?: string;
}

/**
 * The admin's identifiers for the detail of an audit event (or an assignment) whose actor is
 * `admin.name`: built here alone, so every admin action records the same ones.
 */
export function adminIdsOf(admin: AdminIdentity): { objectId?: string; username?: string } {
  return { ...(admin.objectId ? { objectId: admin.objectId } : {}), ...(admin.username ? { username: admin.username } : {}) };
}

export type AdminAuthSettings = Pick<Settings, 'adminIssuer' | 'adminJwksUri' | 'ADMIN_API_AUDIENCE' | 'ADMIN_ROLE'>;

type Jose = Awaited<typeof import('jose', { with: { 'resolution-mode': 'import' } })>;
type KeySet = ReturnType<Jose['createRemoteJWKSet']>;

/** One key set per JWKS address and process, so keys are fetched once and refreshed by jose. */
const keySets = new Map<string, KeySet>();

/** jose error codes that mean the token itself is bad, as opposed to the key endpoint failing. */
const INVALID_TOKEN_CODES = new Set([
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_EXPIRED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
]);

/**
 * Checks the Entra ID bearer token of an admin call: signature against the tenant's JWKS,
 * issuer, audience, lifetime, and the admin app role. Done in the app (not by the Functions
 * key) so the same check holds with or without Easy Auth in front.
 */
export async function authenticateAdmin(request: HttpRequest, settings: AdminAuthSettings): Promise<AdminIdentity> {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  if (!token) {
    throw new HttpError('Unauthorized', 'A bearer token is required.', { headers: { 'WWW-Authenticate': 'Bearer' } });
  }
  const jose = await import('jose');
  let payload: JWTPayload;
  try {
    ({ payload } = await jose.jwtVerify(token, keySetFor(jose, settings.adminJwksUri), {
      issuer: settings.adminIssuer,
      audience: settings.ADMIN_API_AUDIENCE,
      algorithms: ['RS256'],
    }));
  } catch (error) {
    if (!isInvalidToken(error)) throw error;
    throw new HttpError('Unauthorized', 'The bearer token is invalid or expired.', {
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      cause: error,
    });
  }
  const roles = Array.isArray(payload.roles) ? payload.roles : [];
  if (!roles.includes(settings.ADMIN_ROLE)) {
    throw new HttpError('Forbidden', `The token lacks the ${settings.ADMIN_ROLE} app role.`, {
      headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' },
    });
  }
  return identityOf(payload);
}

function keySetFor(jose: Jose, jwksUri: string): KeySet {
  let keySet = keySets.get(jwksUri);
  if (!keySet) {
    keySet = jose.createRemoteJWKSet(new URL(jwksUri));
    keySets.set(jwksUri, keySet);
  }
  return keySet;
}

function isInvalidToken(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && INVALID_TOKEN_CODES.has(code);
}

function identityOf(payload: JWTPayload): AdminIdentity {
  const text = (claim: string): string | undefined => claimText(payload[claim]);
  const objectId = text('oid');
  const username = text('preferred_username') ?? text('upn');
  const name = personName(payload.name) ?? username ?? objectId ?? text('azp') ?? text('appid') ?? text('sub') ?? 'unknown admin';
  return { name, ...(username ? { username } : {}), ...(objectId ? { objectId } : {}) };
}
