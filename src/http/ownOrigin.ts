import type { HttpRequest } from '@azure/functions';
import { HttpError } from './errors.js';

/**
 * A state-changing form must be posted from our own page. A page on another site can make a
 * browser post a form, and whether a session cookie goes along depends on the platform's SameSite
 * attribute, which the app does not control. So a post the browser marks
 * `Sec-Fetch-Site: cross-site`, or whose `Origin` is not this app, is refused (403, `refusal`)
 * before anything is read or audited. Our pages send `Referrer-Policy: no-referrer`, under which
 * browsers send `Origin: null` even from our own form: that passes only when the browser also says
 * `Sec-Fetch-Site: same-origin`. A post with neither header is no current browser's; the form's
 * anti-forgery value still has to match.
 */
export function requireOwnOrigin(request: HttpRequest, publicBaseUrl: string, refusal: { title: string; message: string }): void {
  const site = request.headers.get('sec-fetch-site')?.trim().toLowerCase();
  const origin = request.headers.get('origin')?.trim().toLowerCase();
  const ownOrigins = [new URL(publicBaseUrl).origin, new URL(request.url).origin];
  const fromOwnPage = origin === undefined || ownOrigins.includes(origin) || (origin === 'null' && site === 'same-origin');
  if (site === 'cross-site' || !fromOwnPage) throw new HttpError('Forbidden', refusal.message, { title: refusal.title });
}
