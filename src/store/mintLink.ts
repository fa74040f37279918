import { createLinkToken } from '../domain/linkToken.js';
import type { LinkPurpose, RequestStore, StoredLinkToken } from './requestStore.js';

/** Where each kind of link leads (DESIGN §4). */
const LINK_ROUTES: Record<LinkPurpose, string> = {
  confirmation: '/api/confirmations/',
  track: '/api/track/',
  report: '/api/reports/',
};

/**
 * Mints a link for one request: a fresh random token whose hash is stored with its purpose and
 * expiry. Every call mints a new link, and each one works on its own until it expires, so the
 * tracking link in the mail and the one on the confirmed page are both good.
 */
export async function mintLink(store: RequestStore, publicBaseUrl: string, link: { requestId: string; purpose: LinkPurpose; expiresAt: string }): Promise<string> {
  const { token, url } = newLink(publicBaseUrl, link);
  await store.saveLinkToken(token);
  return url;
}

/** A link not stored yet, for a caller that stores its token with other rows in one transaction. */
export function newLink(publicBaseUrl: string, link: { requestId: string; purpose: LinkPurpose; expiresAt: string }): { token: StoredLinkToken; url: string } {
  const { token, tokenHash } = createLinkToken(link.requestId);
  return { token: { ...link, tokenHash }, url: `${publicBaseUrl}${LINK_ROUTES[link.purpose]}${token}` };
}
