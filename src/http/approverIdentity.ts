import type { HttpRequest } from '@azure/functions';
import { claimText, personName } from './claimText.js';

/**
 * Who is signed in, as the platform's built-in authentication (App Service "Easy Auth") tells the
 * app. The platform strips client-sent `X-MS-CLIENT-PRINCIPAL*` headers and sets them itself only
 * while its authentication is on, which it announces with `WEBSITE_AUTH_ENABLED=True`; with it off
 * the same headers are whatever the caller typed, so nobody counts as signed in.
 */

export interface SignedInUser {
  /** The Entra object id (`X-MS-CLIENT-PRINCIPAL-ID`, and the principal's `objectidentifier` claim). */
  objectId: string;
  /** `X-MS-CLIENT-PRINCIPAL-NAME`: the UPN or mail, for pages and the audit trail. */
  name: string;
  /** The person's name (the principal's `name` claim), when the sign-in carries one. */
  displayName?: string;
  /** The app roles the user is assigned on the sign-in app registration (`roles` claims). */
  roles: string[];
}

interface ClientPrincipal {
  claims?: { typ?: unknown; val?: unknown }[];
  role_typ?: unknown;
}

const OBJECT_ID_CLAIM = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const TENANT_ID_CLAIM = 'http://schemas.microsoft.com/identity/claims/tenantid';

/** Whether the platform's authentication runs in front of the app (`WEBSITE_AUTH_ENABLED`, any case). */
export function isPlatformAuthenticationOn(env: Record<string, string | undefined> = process.env): boolean {
  return (env.WEBSITE_AUTH_ENABLED ?? '').trim().toLowerCase() === 'true';
}

/**
 * The user signed in with Entra ID to `tenantId`, or undefined: platform authentication off, no
 * principal, another identity provider, another tenant, or headers that disagree with each other.
 */
export function signedInUser(request: HttpRequest, tenantId: string, platformAuthenticationOn: boolean): SignedInUser | undefined {
  if (!platformAuthenticationOn) return undefined;
  // Headers of the Functions HttpRequest are case-insensitive, as the platform's may arrive in any case.
  if (request.headers.get('x-ms-client-principal-idp')?.trim().toLowerCase() !== 'aad') return undefined;
  const principal = decodePrincipal(request.headers.get('x-ms-client-principal'));
  const value = (type: string) => principal?.claims?.find((c) => c.typ === type)?.val;
  const claim = (type: string) => claimText(value(type))?.toLowerCase();
  const objectId = claim(OBJECT_ID_CLAIM);
  const principalId = request.headers.get('x-ms-client-principal-id')?.trim().toLowerCase();
  if (!objectId || objectId !== principalId) return undefined;
  if (claim(TENANT_ID_CLAIM) !== tenantId.trim().toLowerCase()) return undefined;
  const displayName = personName(value('name'));
  return { objectId, name: claimText(request.headers.get('x-ms-client-principal-name')) ?? objectId, ...(displayName ? { displayName } : {}), roles: rolesOf(principal) };
}

/**
 * The platform passes app roles as claims of type `roles` while `role_typ` names the long role
 * claim type; either is read, so a change in the platform's mapping does not lock admins out.
 */
function rolesOf(principal: ClientPrincipal | undefined): string[] {
  const roleTypes = ['roles', principal?.role_typ].filter((type): type is string => typeof type === 'string');
  return (principal?.claims ?? []).flatMap((c) => (typeof c.typ === 'string' && roleTypes.includes(c.typ) && typeof c.val === 'string' ? [c.val] : []));
}

function decodePrincipal(encoded: string | null): ClientPrincipal | undefined {
  if (!encoded) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as ClientPrincipal) : undefined;
  } catch {
    return undefined;
  }
}
