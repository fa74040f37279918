import { RetryOptions } from 'durable-functions';

/**
 * Durable retry policies. Retries run as durable timers, so they survive restarts; the
 * activities throw only for faults worth retrying (transient Graph errors, storage hiccups).
 */

function policy(firstRetryMs: number, attempts: number, maxRetryMs: number): RetryOptions {
  const options = new RetryOptions(firstRetryMs, attempts);
  options.backoffCoefficient = 2;
  options.maxRetryIntervalInMilliseconds = maxRetryMs;
  return options;
}

/** Book-keeping steps (store and mail): a few quick attempts. */
export const STEP_RETRY = policy(2_000, 4, 30_000);

/** The Graph reset: Graph throttles `/invitations`, so back off longer (5 s, 10 s, 20 s, 40 s). */
export const RESET_RETRY = policy(5_000, 5, 60_000);
