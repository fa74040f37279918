/**
 * Email address syntax: what a mailbox address must look like for us to accept it, and the
 * stricter rules Microsoft Graph applies to an invitation address (the new sign-in email).
 */

export const MAX_EMAIL_LENGTH = 254;
export const MAX_LOCAL_PART_LENGTH = 64;

/** Why an address is not acceptable, as a closed set of codes; messages are built by the caller. */
export type EmailProblem = 'TooLong' | 'LocalPartTooLong' | 'Malformed' | 'HasSpace';

/** RFC 5322 `atext` (unquoted local part characters) plus the dot between atoms. */
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/i;
/** A DNS host name label; a domain needs at least two of them, and a top-level label that is not all digits. */
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Lower-cases and trims: mailbox matching in Entra is case-insensitive, so we store one spelling. */
export const normaliseEmail = (text: string): string => text.trim().toLowerCase();

/** Splits at the last `@` (a quoted local part could hold one; we refuse those anyway). */
export function splitEmail(email: string): { local: string; domain: string } | undefined {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return undefined;
  return { local: email.slice(0, at), domain: email.slice(at + 1) };
}

/**
 * Checks an (already normalised) address against RFC 5321 limits with the practical rules of
 * Entra: dot-atom local part only (no quoted strings or comments), a host name with a dot (no IP
 * literals, no single-label hosts), ASCII only.
 */
export function checkEmailSyntax(email: string): EmailProblem | undefined {
  if (/\s/.test(email)) return 'HasSpace';
  if (email.length > MAX_EMAIL_LENGTH) return 'TooLong';
  const parts = splitEmail(email);
  if (!parts || parts.local.includes('@')) return 'Malformed';
  if (parts.local.length > MAX_LOCAL_PART_LENGTH) return 'LocalPartTooLong';
  if (!LOCAL_PART.test(parts.local)) return 'Malformed';
  const labels = parts.domain.split('.');
  if (labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l))) return 'Malformed';
  if (/^\d+$/.test(labels[labels.length - 1])) return 'Malformed';
  return undefined;
}

/**
 * Characters Graph refuses in an invitation address's user name (graph-api.md §1.1): `+ # ! $ % &
 * * = / ?` and quotes. Graph's list says "including", so the remaining RFC specials (`^ { | } ~`
 * and the backtick) are refused too: failing at submission is kinder than failing after approval.
 */
const GRAPH_REFUSED_LOCAL_CHARACTERS = ['+', '#', '!', '$', '%', '&', '*', '=', '/', '?', '"', "'", '`', '^', '{', '|', '}', '~'];

/** What Graph objects to in an invitation address, with the offending character where there is one. */
export type InvitationAddressProblem =
  | { kind: 'RefusedCharacter'; character: string }
  | { kind: 'EdgeCharacter'; character: '.' | '-'; position: 'start' | 'end' };

/** Returns the first thing in the local part that Graph would refuse in `invitedUserEmailAddress`. */
export function checkInvitationLocalPart(email: string): InvitationAddressProblem | undefined {
  const local = splitEmail(email)?.local ?? email;
  for (const character of local) {
    if (GRAPH_REFUSED_LOCAL_CHARACTERS.includes(character)) return { kind: 'RefusedCharacter', character };
  }
  for (const character of ['.', '-'] as const) {
    if (local.startsWith(character)) return { kind: 'EdgeCharacter', character, position: 'start' };
    if (local.endsWith(character)) return { kind: 'EdgeCharacter', character, position: 'end' };
  }
  return undefined;
}
