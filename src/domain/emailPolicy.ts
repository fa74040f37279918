import { domainToASCII } from 'node:url';
import { splitEmail } from './emailAddress.js';

/**
 * Which domains a new sign-in email may be on. Checked at submission (the form says why), and
 * again when the request is screened, as the settings may have changed in between.
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

/** The settings a deployment gives the policy. */
export function domainPolicyOf(settings: { TENANT_VERIFIED_DOMAINS: string[]; NEW_EMAIL_ALLOWED_DOMAINS: string[]; NEW_EMAIL_DENIED_DOMAINS: string[] }): DomainPolicy {
  return { verifiedDomains: settings.TENANT_VERIFIED_DOMAINS, allowedDomains: settings.NEW_EMAIL_ALLOWED_DOMAINS, deniedDomains: settings.NEW_EMAIL_DENIED_DOMAINS };
}

/** What the form says of a refused new email. The allow list is named: it is where guests are expected to be. */
export function domainPolicyRefusalMessage(why: DomainPolicyRefusal, policy: DomainPolicy): string {
  switch (why) {
    case 'VerifiedDomain':
      return "This address is on one of the organisation's own domains. Enter an address outside the organisation.";
    case 'InDenyList':
      return 'Addresses on this domain cannot be used to sign in here. Enter an address on another domain.';
    case 'NotInAllowList': {
      const allowed = policy.allowedDomains.map(normaliseDomain).filter((d) => d !== '');
      return `Enter an address on ${allowed.length === 1 ? 'this domain' : 'one of these domains'}: ${allowed.join(', ')}.`;
    }
  }
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
