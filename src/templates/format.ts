import type { ChangeReason, EmailChangeRequest } from '../domain/request.js';
import { stripInvisibleFormatting } from '../domain/validation.js';
import { shownEmailText } from './shownEmail.js';

/** Wording shared by pages and emails, so a reason reads the same everywhere. */

export const PRODUCT_NAME = 'Guest sign-in email change';

/** Human labels of the change reasons, in the order the form offers them. */
export const REASON_LABELS: Record<ChangeReason, string> = {
  ChangedProvider: 'I changed email provider',
  AccountRecreated: 'My account was deleted and re-created',
  MovedCompany: 'I moved to another company',
  ResponsibilitiesTransferred: 'My responsibilities passed to a colleague',
  Other: 'Other',
};

/** Falls back to the raw value so an unexpected reason is still shown rather than hidden. */
export const reasonLabel = (reason: string): string => REASON_LABELS[reason as ChangeReason] ?? reason;

/**
 * `2024-05-01 10:00 UTC`: unambiguous for readers in any country, and no locale data needed on
 * the server. Unparseable input is shown as it is.
 */
export function formatTimestamp(iso: string | undefined): string {
  if (!iso) return 'unknown';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The directory's name for the guest when known, else the email as addresses are shown. Never
 * the name the requester typed: that is unverified text, shown only in its labelled block.
 */
export const guestName = (request: EmailChangeRequest): string => request.guestDisplayName ?? shownEmailText(request.currentEmail);

/** Mail subjects are one line of plain text: no control or invisible formatting characters, no runs of spaces. */
export const oneLine = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  stripInvisibleFormatting(text).replace(/[\u0000-\u001F\u007F-\u009F]+/g, ' ').replace(/\s+/g, ' ').trim();
