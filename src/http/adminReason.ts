import type { HttpRequest } from '@azure/functions';
import { readBody } from './body.js';
import { HttpError } from './errors.js';

export const MAX_ADMIN_REASON_LENGTH = 500;

/**
 * The `reason` every admin action records: 1 to 500 characters, else 400 `ValidationFailed`,
 * also for a request with no body at all.
 */
export async function readAdminReason(request: HttpRequest): Promise<string> {
  const { fields } = await readBody(request, { emptyIsNoFields: true });
  return adminReasonOf(fields);
}

/** The required reason of a body already read (an action that takes more fields than the reason). */
export function adminReasonOf(fields: Record<string, unknown>): string {
  const reason = reasonText(fields.reason);
  if (!reason) throw invalidReason('A reason is required.');
  return reason;
}

/**
 * The reason of an action that does not need one (`resend`, `retry`): absent or blank is none,
 * anything else is held to the same 1 to 500 characters.
 */
export function optionalAdminReasonOf(fields: Record<string, unknown>): string | undefined {
  const given = fields.reason;
  if (given === undefined || given === null || (typeof given === 'string' && !given.trim())) return undefined;
  const reason = reasonText(given);
  if (!reason) throw invalidReason('The reason is not valid.');
  return reason;
}

/** The trimmed reason when it is text of 1 to 500 characters. */
function reasonText(value: unknown): string | undefined {
  const reason = typeof value === 'string' ? value.trim() : '';
  return reason && Array.from(reason).length <= MAX_ADMIN_REASON_LENGTH ? reason : undefined;
}

function invalidReason(message: string): HttpError {
  return new HttpError('ValidationFailed', message, { details: { reason: `Give a reason of 1 to ${MAX_ADMIN_REASON_LENGTH} characters.` } });
}
