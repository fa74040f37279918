import { domainToASCII } from 'node:url';
import { splitEmail } from './emailAddress.js';

/**
 * Which domains a new sign-in email may be on. Checked by the orchestrator, not at submission, so
 * the requester never learns the tenant's policy (they get the same neutral answer either way).
 */

export interface DomainPolicy {
  /** The tenant's own domains: Graph refuses to invite an address on them. */
  verifiedDomains: string[];
  /** When not empty, the new email must be on one of these (or a subdomain). */
  allowedDomains: string[];
  deniedDomains: string[];
}

export type DomainPolicyRefusal = 'VerifiedDomain' | 'NotInAllowList' | 'InDenyList';
export type DomainPolicyDecision = { allowed: true } | { allowed: false; why: DomainPolicyRefusal };

/**
 * Accepts list entries written as `contoso.com`, `@contoso.com`, `*.contoso.com` or `Contoso.com.`,
 * and an internationalised domain in Unicode or punycode: addresses are stored as punycode.
 */
function normaliseDomain(domain: string): string {
  const cleaned = domain.trim().toLowerCase().replace(/^\*?\.|^@/, '').replace(/\.+$/, '');
  return domainToASCII(cleaned) || cleaned;
}

/** Exact match or a subdomain: `mail.contoso.com` is covered by `contoso.com`, `evilcontoso.com` is not. */
export function domainMatches(domain: string, listed: string[]): boolean {
  const target = normaliseDomain(domain);
  return listed.map(normaliseDomain).some((entry) => entry !== '' && (target === entry || target.endsWith(`.${entry}`)));
}

/**
 * Verified domains come first (Graph would fail the reset anyway), then the deny list, which wins
 * over the allow list so a denied subdomain of an allowed domain stays denied.
 */
export function checkDomainPolicy(newEmail: string, policy: DomainPolicy): DomainPolicyDecision {
  const domain = splitEmail(newEmail.trim())?.domain ?? '';
  if (domainMatches(domain, policy.verifiedDomains)) return { allowed: false, why: 'VerifiedDomain' };
  if (domainMatches(domain, policy.deniedDomains)) return { allowed: false, why: 'InDenyList' };
  if (policy.allowedDomains.some((d) => normaliseDomain(d) !== '') && !domainMatches(domain, policy.allowedDomains)) {
    return { allowed: false, why: 'NotInAllowList' };
  }
  return { allowed: true };
}
