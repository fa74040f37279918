/**
 * Every Graph call the emulator received, in order, so a test or a benchmark can count what one
 * request costs by route. Bounded: a long `npm start` session keeps only the newest calls.
 */

export interface GraphCall {
  method: string;
  /** The path as sent, e.g. `/v1.0/users/{id}/sponsors`. */
  path: string;
  /** The query string as sent, without the `?` (percent-encoding kept). */
  query: string;
  at: string;
}

const KEPT_CALLS = 10_000;

export class CallLog {
  private entries: GraphCall[] = [];

  record(method: string, url: URL, at: Date): void {
    this.entries.push({ method: method.toUpperCase(), path: url.pathname, query: url.search.replace(/^\?/, ''), at: at.toISOString() });
    if (this.entries.length > KEPT_CALLS) this.entries.splice(0, this.entries.length - KEPT_CALLS);
  }

  list(): GraphCall[] {
    return this.entries.map((call) => ({ ...call }));
  }

  clear(): void {
    this.entries = [];
  }
}
