import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * Email address syntax: what a mailbox address must look like for us to accept it, and the
 * stricter rules Microsoft Graph applies to an invitation address (the new sign-in email).
 */

export const MAX_EMAIL_LENGTH = 254;
export const MAX_LOCAL_PART_LENGTH = 64;

/** Why an address is not acceptable, as a closed set of codes; messages are built by the caller. */
export type EmailProblem = 'TooLong' | 'LocalPartTooLong' | 'Malformed' | 'HasSpace' | 'NonAsciiLocalPart';

export type ParsedEmail = { ok: true; email: string } | { ok: false; problem: EmailProblem };

/** RFC 5322 `atext` (unquoted local part characters) plus the dot between atoms. */
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/i;
/** A DNS host name label; a domain needs at least two of them, and a top-level label that is not all digits. */
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\u0000-\u007F]/;
/**
 * The ASCII a typed domain may hold besides its non-ASCII letters. `domainToASCII` parses a URL
 * host, so anything else (`/`, `?`, `#`, `:`) would be cut off or reinterpreted, not refused.
 */
const DOMAIN_ASCII_CHARACTER = /^[a-z0-9.-]$/i;

/** Splits at the last `@` (a quoted local part could hold one; we refuse those anyway). */
export function splitEmail(email: string): { local: string; domain: string } | undefined {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return undefined;
  return { local: email.slice(0, at), domain: email.slice(at + 1) };
}

/**
 * An internationalised domain in the form DNS, Graph and our store use: IDNA (UTS #46) mapping
 * and punycode, lower-case (`Bücher.example` → `xn--bcher-kva.example`). Undefined when the
 * domain cannot be one, e.g. invalid punycode after `xn--`.
 */
function asciiDomain(domain: string): string | undefined {
  if (!Array.from(domain).every((c) => NON_ASCII.test(c) || DOMAIN_ASCII_CHARACTER.test(c))) return undefined;
  return domainToASCII(domain) || undefined;
}

/**
 * Reads a typed address into the one spelling we store and send to Graph, or says what is wrong.
 * Mailbox matching in Entra is case-insensitive, so it is lower-cased; an internationalised domain
 * is stored as punycode (show it with `emailForDisplay`). The rules are RFC 5321's limits,
 * counted after that conversion, with the practical rules of Entra: a dot-atom ASCII local part
 * (no quoted strings or comments; Graph takes no SMTPUTF8 addresses), a host name with a dot (no
 * IP literals, no single-label hosts).
 */
export function parseEmail(typed: string): ParsedEmail {
  const fail = (problem: EmailProblem): ParsedEmail => ({ ok: false, problem });
  const text = typed.trim();
  if (/\s/.test(text)) return fail('HasSpace');
  const parts = splitEmail(text);
  if (!parts || parts.local.includes('@')) return fail('Malformed');
  if (NON_ASCII.test(parts.local)) return fail('NonAsciiLocalPart');
  const domain = asciiDomain(parts.domain);
  if (!domain) return fail('Malformed');
  const local = parts.local.toLowerCase();
  const email = `${local}@${domain}`;
  if (email.length > MAX_EMAIL_LENGTH) return fail('TooLong');
  if (local.length > MAX_LOCAL_PART_LENGTH) return fail('LocalPartTooLong');
  if (!LOCAL_PART.test(local)) return fail('Malformed');
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => DOMAIN_LABEL.test(l))) return fail('Malformed');
  if (/^\d+$/.test(labels[labels.length - 1])) return fail('Malformed');
  return { ok: true, email };
}

/**
 * The form in which two spellings of one mailbox compare equal: as `parseEmail` stores it (case
 * folded, the domain in punycode), or trimmed and lower-cased when it is not an address we accept.
 * For directory addresses, which Graph keeps as they were typed.
 */
export function mailboxKey(address: string): string {
  const parsed = parseEmail(address);
  return parsed.ok ? parsed.email : address.trim().toLowerCase();
}

/**
 * A stored address as a person reads it: the domain in Unicode (`xn--bcher-kva.example` →
 * `bücher.example`). For pages and mails only; Graph and the store keep the punycode.
 */
export function emailForDisplay(email: string): string {
  const parts = splitEmail(email);
  if (!parts) return email;
  return `${parts.local}@${domainToUnicode(parts.domain) || parts.domain}`;
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
