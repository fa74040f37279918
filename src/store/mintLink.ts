import { createLinkToken } from '../domain/linkToken.js';
import type { LinkPurpose, RequestStore, StoredLinkToken } from './requestStore.js';

/** Where each kind of link leads (DESIGN §4). */
const LINK_ROUTES: Record<LinkPurpose, string> = {
  confirmation: '/api/confirmations/',
  track: '/api/track/',
  report: '/api/reports/',
};

/** A link not saved yet: its URL, and the hash to save (with the request's next write) before it is mailed. */
export interface NewLink {
  url: string;
  token: StoredLinkToken;
}

/** A fresh random token for one request and purpose; only its hash is ever stored. */
export function newLink(publicBaseUrl: string, link: { requestId: string; purpose: LinkPurpose; expiresAt: string }): NewLink {
  const { token, tokenHash } = createLinkToken(link.requestId);
  return { url: `${publicBaseUrl}${LINK_ROUTES[link.purpose]}${token}`, token: { ...link, tokenHash } };
}

/**
 * Mints a link for one request: a fresh random token whose hash is stored with its purpose and
 * expiry. Every call mints a new link, and each one works on its own until it expires, so the
 * tracking link in the mail and the one on the confirmed page are both good.
 */
export async function mintLink(store: RequestStore, publicBaseUrl: string, link: { requestId: string; purpose: LinkPurpose; expiresAt: string }): Promise<string> {
  const minted = newLink(publicBaseUrl, link);
  await store.saveLinkToken(minted.token);
  return minted.url;
}
