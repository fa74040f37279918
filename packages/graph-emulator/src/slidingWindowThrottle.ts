/**
 * Graph's invitation-manager limit: a fixed number of requests per sliding window per tenant
 * (150 per 5 s, graph-api.md §6). Only admitted requests count.
 */
export class SlidingWindowThrottle {
  private admitted: number[] = [];

  constructor(private readonly limit: number, private readonly windowMs: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive whole number');
    if (!(windowMs > 0)) throw new RangeError('windowMs must be positive');
  }

  /** Admits the call, or says in how many whole seconds to retry. */
  tryAdmit(nowMs: number): { admitted: true } | { admitted: false; retryAfterSeconds: number } {
    this.admitted = this.admitted.filter((t) => t > nowMs - this.windowMs);
    if (this.admitted.length >= this.limit) {
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((this.admitted[0] + this.windowMs - nowMs) / 1000)) };
    }
    this.admitted.push(nowMs);
    return { admitted: true };
  }
}
