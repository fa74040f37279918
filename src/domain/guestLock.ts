/**
 * How long a guest's lock (one active request per guest, DESIGN §6) is held. Every final status
 * releases it; the expiry is only for an instance that died: its guest can ask again shortly after
 * the request's deadline would have passed.
 */
const GRACE_AFTER_DEADLINE_MS = 15 * 60_000;

/** An approved reset, with its retries and the restore of `mail` after a failure, may run for a day or more. */
const HOLD_AFTER_APPROVAL_MS = 48 * 3_600_000;

/** The lock's expiry for a request screened at `now` that waits at most `approvalTimeoutMs`. */
export function lockExpiryWhileAwaiting(now: Date, approvalTimeoutMs: number): string {
  return new Date(now.getTime() + approvalTimeoutMs + GRACE_AFTER_DEADLINE_MS).toISOString();
}

/** The lock's expiry once the request is approved at `now`. */
export function lockExpiryOnceApproved(now: Date): string {
  return new Date(now.getTime() + HOLD_AFTER_APPROVAL_MS).toISOString();
}
