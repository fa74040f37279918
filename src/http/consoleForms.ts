import { createAntiForgeryValue, verifyAntiForgeryValue } from '../domain/linkToken.js';
import type { ConsoleAdmin } from './consoleSession.js';

/**
 * The anti-forgery value of a console form: an HMAC (APPROVAL_FORM_SECRET, as the link pages use)
 * of what the form does (`<requestId>|<action>`) and the admin it was shown to. Another site
 * cannot read it, another admin's value does not pass for this one, and a form for one request
 * or action does not post another. The `admin-console|` prefix keeps these values apart from the
 * link pages', which bind a hex token hash.
 */
const purposeOf = (requestId: string, action: string) => `admin-console|${requestId}|${action}`;

export function consoleFormValue(secret: string, admin: ConsoleAdmin, requestId: string, action: string): string {
  return createAntiForgeryValue(secret, purposeOf(requestId, action), admin.objectId);
}

export function isConsoleFormValue(secret: string, admin: ConsoleAdmin, requestId: string, action: string, value: unknown): boolean {
  return typeof value === 'string' && verifyAntiForgeryValue(secret, purposeOf(requestId, action), admin.objectId, value);
}
