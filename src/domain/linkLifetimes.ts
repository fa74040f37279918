/**
 * How long the requester's and the owner's links work. Both must outlive the request: the
 * tracking page says how it ended, and a "this wasn't me" on a request already completed still
 * alerts the admins. A month after the last deadline is long enough to read a late mail.
 */
const AFTERLIFE_MS = 30 * 24 * 60 * 60 * 1000;

/** The tracking link: to a month after the latest the request can still be waiting. */
export function trackLinkExpiry(now: Date, durations: { confirmationTimeoutMs: number; approvalTimeoutMs: number }): string {
  return new Date(now.getTime() + durations.confirmationTimeoutMs + durations.approvalTimeoutMs + AFTERLIFE_MS).toISOString();
}

/** The owner's "this wasn't me" link: to a month after the approval deadline. */
export function reportLinkExpiry(approvalDeadline: string): string {
  return new Date(Date.parse(approvalDeadline) + AFTERLIFE_MS).toISOString();
}
