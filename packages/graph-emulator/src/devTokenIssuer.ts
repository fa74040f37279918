import { randomUUID } from 'node:crypto';
import type { CryptoKey, JWK } from 'jose' with { 'resolution-mode': 'import' };

/**
 * Issues admin bearer tokens locally (`POST /_dev/token`) that the app's real JWT check accepts:
 * RS256, signed with a key pair made when the issuer is created, published as a JWKS
 * (`GET /_dev/jwks.json`, which the app's ADMIN_JWKS_URI points at locally). Dev only.
 */

export interface DevTokenIssuerOptions {
  /** The app's ADMIN_TOKEN_ISSUER (its `adminIssuer`). */
  issuer: string;
  /** The app's ADMIN_API_AUDIENCE. */
  audience: string;
  /** The app's ADMIN_TENANT_ID, sent as `tid`. */
  tenantId: string;
  lifetimeSeconds?: number;
}

export interface DevTokenClaims {
  roles: string[];
  oid?: string;
  name?: string;
  preferred_username?: string;
}

export interface DevTokenIssuer {
  issue(claims: DevTokenClaims): Promise<string>;
  jwks(): Promise<{ keys: JWK[] }>;
}

interface SigningKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
}

/** jose is ESM-only; a dynamic import keeps this CommonJS module loadable on Node 20 and 22. */
const loadJose = () => import('jose');

async function createSigningKey(): Promise<SigningKey> {
  const jose = await loadJose();
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const kid = await jose.calculateJwkThumbprint(jwk);
  return { privateKey, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' }, kid };
}

export function createDevTokenIssuer(options: DevTokenIssuerOptions): DevTokenIssuer {
  let signingKey: Promise<SigningKey> | undefined;
  const key = () => (signingKey ??= createSigningKey());
  const lifetime = options.lifetimeSeconds ?? 3600;

  return {
    async issue(claims) {
      const jose = await loadJose();
      const { privateKey, kid } = await key();
      const oid = claims.oid ?? randomUUID();
      return new jose.SignJWT({
        roles: claims.roles,
        tid: options.tenantId,
        oid,
        name: claims.name ?? 'Local Admin',
        preferred_username: claims.preferred_username ?? 'local.admin@contoso.com',
        ver: '2.0',
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(oid)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime(`${lifetime}s`)
        .setJti(randomUUID())
        .sign(privateKey);
    },
    async jwks() {
      return { keys: [(await key()).publicJwk] };
    },
  };
}
