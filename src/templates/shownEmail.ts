import { emailForDisplay } from '../domain/emailAddress.js';
import { html, type SafeHtml } from './escape.js';

/**
 * How pages and mails show a stored address (stored, like Graph keeps it, with its domain in
 * punycode): the domain in Unicode, as people read it, and when that differs the punycode beside
 * it, so a look-alike letter (a Cyrillic "а" for a Latin "a") cannot pass for a domain the reader
 * knows. Both return text the templates escape when they print it.
 */

/** For mails and other plain text: `ada@bücher.example (ada@xn--bcher-kva.example)`. */
export function shownEmailText(email: string): string {
  const display = emailForDisplay(email);
  return display === email ? email : `${display} (${email})`;
}

/** For pages: the same, the punycode set as a hint. */
export function shownEmail(email: string): SafeHtml {
  const display = emailForDisplay(email);
  return display === email ? html`${email}` : html`${display} <span class="hint">(${email})</span>`;
}
