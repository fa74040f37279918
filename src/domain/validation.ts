import { CHANGE_REASONS, type ChangeReason, type EmailChangeSubmission } from './request.js';
import { checkDomainPolicy, domainPolicyRefusalMessage, type DomainPolicy } from './emailPolicy.js';
import {
  MAX_EMAIL_LENGTH,
  MAX_LOCAL_PART_LENGTH,
  checkInvitationLocalPart,
  parseEmail,
  type EmailProblem,
  type InvitationAddressProblem,
} from './emailAddress.js';

/**
 * Validation of the public request form (HTML or JSON). Everything a requester can get wrong is
 * reported at once, one human message per field, so the form can show them next to the fields.
 * That includes the new email's domain policy (DESIGN §5: checked at submission): the policy is
 * the tenant's, not the directory's, so saying so reveals nothing about any guest, and a requester
 * who typed a refused domain learns it now instead of after confirming (the tracking page says
 * only "Closed").
 */

/** The form's fields, in the order the form shows them. */
export const SUBMISSION_FIELDS = ['currentEmail', 'newEmail', 'reason', 'reasonDetail', 'displayName'] as const;
export type SubmissionField = (typeof SUBMISSION_FIELDS)[number];
export type FieldErrors = Partial<Record<SubmissionField, string>>;
export type SubmissionValidation = { ok: true; value: EmailChangeSubmission } | { ok: false; errors: FieldErrors };

export const MAX_REASON_DETAIL_LENGTH = 1000;
export const MAX_DISPLAY_NAME_LENGTH = 256;

const NOT_TEXT = 'This field must be text.';

const EMAIL_PROBLEM_MESSAGES: Record<Exclude<EmailProblem, 'Malformed'>, string> = {
  HasSpace: 'An email address cannot contain spaces.',
  TooLong: `An email address can be at most ${MAX_EMAIL_LENGTH} characters, counting a domain with accents or other scripts in its longer "xn--" form.`,
  LocalPartTooLong: `The part before @ can be at most ${MAX_LOCAL_PART_LENGTH} characters.`,
  NonAsciiLocalPart:
    'Microsoft Entra ID cannot use this address: Microsoft Graph does not accept accented or non-Latin letters before the @. Use an address whose part before the @ has only the letters a to z, digits, dots, hyphens or underscores.',
};

/** Unusable whatever else is wrong with it, so this message wins over a refused character. */
const UNUSABLE_ANYWAY: EmailProblem[] = ['HasSpace', 'TooLong', 'NonAsciiLocalPart'];

const quoteCharacter = (c: string): string => (c === '"' ? `'"'` : `"${c}"`);

function invitationProblemMessage(problem: InvitationAddressProblem): string {
  if (problem.kind === 'RefusedCharacter') {
    return `The new email cannot contain the character ${quoteCharacter(problem.character)} before the @: Microsoft Entra does not accept it.`;
  }
  return `The part before @ in the new email cannot ${problem.position} with ${quoteCharacter(problem.character)}.`;
}

/**
 * Characters that change how text reads without being seen: bidirectional controls (U+061C,
 * U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which can make text shown to an approver read
 * differently from what it is, and zero-width characters and byte-order marks (U+180E,
 * U+200B–U+200D, U+2060–U+2064, U+FEFF), which hide words or split them past a reader's eye.
 */
const INVISIBLE_FORMATTING = /[\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001F\u007F-\u009F]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g;

/** Removes the invisible formatting characters above, and nothing else. */
export const stripInvisibleFormatting = (text: string): string => text.replace(INVISIBLE_FORMATTING, '');

/**
 * The one cleaning of free text a person typed (the requester's detail and name, the approver's
 * comment): control characters and invisible formatting go. Newlines survive only where asked for.
 */
export function stripControlCharacters(text: string, keepNewlines: boolean): string {
  const unified = text.replace(/\r\n?/g, '\n').replace(/\t/g, ' ');
  return stripInvisibleFormatting(unified.replace(keepNewlines ? CONTROLS_BUT_NEWLINE : CONTROLS, ''));
}

const characterCount = (text: string): number => Array.from(text).length;

type FieldRead = { kind: 'missing' } | { kind: 'notText' } | { kind: 'text'; text: string };

/** Absent, null and blank are all "missing": a form sends empty strings for empty fields. */
function readText(input: Record<string, unknown>, field: SubmissionField, clean: (raw: string) => string): FieldRead {
  const raw = input[field];
  if (raw === undefined || raw === null) return { kind: 'missing' };
  if (typeof raw !== 'string') return { kind: 'notText' };
  const text = clean(raw).trim();
  return text === '' ? { kind: 'missing' } : { kind: 'text', text };
}

function validateEmail(read: FieldRead, missingMessage: string, isNewEmail: boolean): { email?: string; error?: string } {
  if (read.kind === 'missing') return { error: missingMessage };
  if (read.kind === 'notText') return { error: NOT_TEXT };
  const parsed = parseEmail(read.text);
  // A refused character is the more useful message, unless the address is unusable anyway.
  const unusable = !parsed.ok && UNUSABLE_ANYWAY.includes(parsed.problem);
  if (isNewEmail && !unusable && read.text.includes('@')) {
    const invitationProblem = checkInvitationLocalPart(read.text);
    if (invitationProblem) return { error: invitationProblemMessage(invitationProblem) };
  }
  if (!parsed.ok) {
    const { problem } = parsed;
    // Both fields can be malformed: each says which it is, so a summary never lists one text twice.
    if (problem === 'Malformed') return { error: `The ${isNewEmail ? 'new' : 'current'} email is not a valid email address: enter one like name@example.com.` };
    return { error: EMAIL_PROBLEM_MESSAGES[problem] };
  }
  return { email: parsed.email };
}

const isChangeReason = (value: string): value is ChangeReason => (CHANGE_REASONS as readonly string[]).includes(value);

/** Validates and normalises a submission; unknown fields are ignored. `domains` is the policy the new email's domain must meet. */
export function validateSubmission(input: Record<string, unknown>, domains: DomainPolicy): SubmissionValidation {
  const errors: FieldErrors = {};
  const asIs = (raw: string) => raw;

  const current = validateEmail(readText(input, 'currentEmail', asIs), 'Enter the email address you sign in with now.', false);
  const next = validateEmail(readText(input, 'newEmail', asIs), 'Enter the new email address you want to sign in with.', true);
  if (current.error) errors.currentEmail = current.error;
  if (next.error) errors.newEmail = next.error;
  if (current.email && next.email && current.email === next.email) {
    errors.newEmail = 'The new email must be different from the current email.';
  } else if (next.email) {
    const domain = checkDomainPolicy(next.email, domains);
    if (!domain.allowed) errors.newEmail = domainPolicyRefusalMessage(domain.why, domains);
  }

  const reasonRead = readText(input, 'reason', asIs);
  let reason: ChangeReason | undefined;
  if (reasonRead.kind === 'missing') errors.reason = 'Choose a reason.';
  else if (reasonRead.kind === 'notText') errors.reason = NOT_TEXT;
  else if (!isChangeReason(reasonRead.text)) errors.reason = 'Choose one of the listed reasons.';
  else reason = reasonRead.text;

  const detailRead = readText(input, 'reasonDetail', (raw) => stripControlCharacters(raw, true));
  let reasonDetail: string | undefined;
  if (detailRead.kind === 'notText') errors.reasonDetail = NOT_TEXT;
  else if (detailRead.kind === 'missing') {
    if (reason === 'Other') errors.reasonDetail = 'Describe the reason: it is required when the reason is "Other".';
  } else if (characterCount(detailRead.text) > MAX_REASON_DETAIL_LENGTH) {
    errors.reasonDetail = `Keep the description to at most ${MAX_REASON_DETAIL_LENGTH} characters.`;
  } else reasonDetail = detailRead.text;

  const nameRead = readText(input, 'displayName', (raw) => stripControlCharacters(raw, false));
  let displayName: string | undefined;
  if (nameRead.kind === 'notText') errors.displayName = NOT_TEXT;
  else if (nameRead.kind === 'text') {
    if (characterCount(nameRead.text) > MAX_DISPLAY_NAME_LENGTH) errors.displayName = `The name can be at most ${MAX_DISPLAY_NAME_LENGTH} characters.`;
    else displayName = nameRead.text;
  }

  if (Object.keys(errors).length > 0 || !current.email || !next.email || !reason) return { ok: false, errors };
  const value: EmailChangeSubmission = { currentEmail: current.email, newEmail: next.email, reason };
  if (reasonDetail !== undefined) value.reasonDetail = reasonDetail;
  if (displayName !== undefined) value.displayName = displayName;
  return { ok: true, value };
}
