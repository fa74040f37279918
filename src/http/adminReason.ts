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
  return adminReasonOf(fields.reason);
}

/** The reason field of an admin action already read (the console's forms), checked the same way. */
export function adminReasonOf(value: unknown): string {
  const reason = typeof value === 'string' ? value.trim() : '';
  if (!reason || Array.from(reason).length > MAX_ADMIN_REASON_LENGTH) {
    throw new HttpError('ValidationFailed', 'A reason is required.', {
      details: { reason: `Give a reason of 1 to ${MAX_ADMIN_REASON_LENGTH} characters.` },
    });
  }
  return reason;
}
