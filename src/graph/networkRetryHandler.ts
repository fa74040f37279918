import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/**
 * Retries calls that never got an HTTP answer (connection refused or reset, DNS, timeout): the
 * SDK's RetryHandler only looks at statuses. Each attempt gets its own timeout so a hung
 * connection cannot stall an activity. A POST may therefore reach Graph twice; the calls the
 * product makes tolerate that (a second reset re-issues the invitation; mail is at-least-once).
 */
export interface NetworkRetryOptions {
  /** Total attempts, the first included. */
  attempts: number;
  /** Delay before the first retry; doubled for each later one. */
  baseDelayMs: number;
  timeoutMs: number;
}

export class NetworkRetryHandler implements Middleware {
  private next: Middleware | undefined;

  constructor(private readonly options: NetworkRetryOptions) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    if (!this.next) throw new Error('NetworkRetryHandler has no next middleware');
    for (let attempt = 1; ; attempt++) {
      try {
        context.options = { ...context.options, signal: AbortSignal.timeout(this.options.timeoutMs) };
        await this.next.execute(context);
        return;
      } catch (error) {
        // Everything below this handler is transport: an exception here means no HTTP answer.
        if (attempt >= this.options.attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.options.baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}
