import type { HttpRequest } from '@azure/functions';
import { createAntiForgeryValue, parseLinkToken, verifyAntiForgeryValue } from '../domain/linkToken.js';
import type { LinkPurpose, OpenedToken, RequestStore, StoredLinkToken } from '../store/requestStore.js';
import { readBody } from './body.js';
import { HttpError } from './errors.js';
import { requireOwnOrigin } from './ownOrigin.js';

/**
 * Opening and posting the requester's and the owner's links (DESIGN §4): an unknown, tampered or
 * other-purpose token is a 404 that does not reveal whether the request exists; a form must come
 * from our own page and carry the anti-forgery value minted for that token.
 */

export async function openLink(store: RequestStore, purpose: LinkPurpose, tokenText: string | undefined): Promise<OpenedToken<StoredLinkToken>> {
  const parsed = parseLinkToken(tokenText ?? '');
  const opened = parsed && (await store.openLinkToken(parsed.requestId, purpose, parsed.tokenHash));
  if (!opened) {
    throw new HttpError('NotFound', 'This link is not valid. Check that you opened the whole link from the email.', { title: 'Link not found' });
  }
  return opened;
}

/** An unparseable expiry counts as expired: a link must never outlive its purpose by accident. */
export const isExpired = (token: StoredLinkToken, now: Date): boolean => !(now.getTime() < Date.parse(token.expiresAt));

export const linkExpired = () => new HttpError('Gone', 'This link has expired.', { title: 'Link expired' });

/** The anti-forgery value of a link's form: bound to the token and to what the link is for. */
export const antiForgeryFor = (secret: string, token: StoredLinkToken): string => createAntiForgeryValue(secret, token.tokenHash, token.purpose);

/**
 * Reads a form posted to a link's page, refusing one from another site or without the page's
 * anti-forgery value, before anything is recorded. Returns the form's fields.
 */
export async function readLinkForm(request: HttpRequest, secret: string, publicBaseUrl: string, token: StoredLinkToken): Promise<Record<string, unknown>> {
  const refusal = { title: 'Not sent from our page', message: 'This form was not sent from our page, so nothing was done. Open the link from the email again.' };
  requireOwnOrigin(request, publicBaseUrl, refusal);
  const { fields } = await readBody(request);
  const csrf = typeof fields.csrf === 'string' ? fields.csrf : '';
  if (!verifyAntiForgeryValue(secret, token.tokenHash, token.purpose, csrf)) {
    throw new HttpError('Forbidden', 'This form could not be verified. Open the link from the email again and use the button on that page.', {
      title: 'Form expired or not genuine',
    });
  }
  return fields;
}
