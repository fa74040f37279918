import type { ChangeReason, EmailChangeRequest } from '../domain/request.js';

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

/** The directory's name for the guest when known, else what the requester typed, else the email. */
export const guestName = (request: EmailChangeRequest): string => request.guestDisplayName ?? request.displayName ?? request.currentEmail;

/** Mail subjects are one line of plain text: no control characters, no runs of spaces. */
export const oneLine = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim();
