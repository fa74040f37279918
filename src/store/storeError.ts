/**
 * Everything the store refuses, as a closed set of codes so the HTTP layer can map each one to a
 * status (`InvalidContinuationToken` and `InvalidListQuery` → 400, `RequestNotFound` → 404,
 * `EntityTooLarge` and `Contention` → 500).
 */
export type StoreErrorCode =
  /** A list continuation token that this store did not issue for the same filters. */
  | 'InvalidContinuationToken'
  /** A list filter that cannot be applied, such as an unparseable `from`/`to`. */
  | 'InvalidListQuery'
  /** `updateRequest` for an id that was never created. */
  | 'RequestNotFound'
  /** An entity over Table Storage's 1 MiB limit even after splitting long properties. */
  | 'EntityTooLarge'
  /** Optimistic-concurrency retries ran out (many writers on one entity at once). */
  | 'Contention';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** HTTP status of a failed Table service call, if it is one. */
export function tableStatusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
