import { stripControlCharacters } from '../domain/validation.js';

/**
 * A sign-in's or token's text claim as the audit trail and the pages may show it: trimmed, without
 * control characters or invisible formatting (a right-to-left override would make
 * `moc.sotnoc@nagem` read as another address), or undefined when nothing visible is left.
 */
export function claimText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = stripControlCharacters(value, false).trim();
  return text === '' ? undefined : text;
}

/** The actors the workflow writes itself (`actorInWords`): a person's name may not pass for one of them. */
const WORKFLOW_ACTORS = new Set(['system', 'requester']);

/** A person's display name, unless it could be read as the workflow's own actor. */
export function personName(value: unknown): string | undefined {
  const name = claimText(value);
  return name && !WORKFLOW_ACTORS.has(name.toLowerCase()) ? name : undefined;
}
