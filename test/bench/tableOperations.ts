import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import http, { type ClientRequest } from 'node:http';
import type { RunningHost } from '@guest-email-change/functions-local-host';

/** What the Durable host does outside any function: instance rows, history, work items. */
export const HOST_STEP = '(Durable host)';

/** Table Storage requests by step (the function that sent them, or the host) and by table. */
export type TableOperationCounts = Map<string, Map<string, number>>;

export interface TableOperationCounter {
  counts(): TableOperationCounts;
  stop(): void;
}

const currentStep = new AsyncLocalStorage<string>();

/**
 * Counts the Table Storage requests this process sends to `tableEndpoint`, so a benchmark can
 * report storage calls per request without touching the code under test. Every invocation of the
 * hosts' functions runs with its name as the step; the Azure SDK sends each request on Node's
 * `http`, whose `http.client.request.start` channel sees it in the caller's async context.
 * A `$batch` (entity-group transaction) counts once, as one billed transaction, under its table.
 */
export function countTableOperations(hosts: RunningHost[], tableEndpoint: string): TableOperationCounter {
  const endpoint = new URL(tableEndpoint);
  const counts: TableOperationCounts = new Map();
  keepBatchBodies();
  for (const { invoker } of hosts) {
    const invoke = invoker.invoke.bind(invoker);
    invoker.invoke = (functionName, ...rest) => currentStep.run(functionName, () => invoke(functionName, ...rest));
  }

  const count = (step: string, table: string) => {
    const byTable = counts.get(step) ?? new Map<string, number>();
    byTable.set(table, (byTable.get(table) ?? 0) + 1);
    counts.set(step, byTable);
  };
  const onRequest = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    if (request.getHeader('host') !== endpoint.host) return;
    const step = currentStep.getStore() ?? HOST_STEP;
    const table = tableOf(request.path);
    count(step, table === '$batch' ? `${tableInBatch(request)} ($batch)` : table);
  };
  diagnosticsChannel.subscribe('http.client.request.start', onRequest);
  return {
    counts: () => new Map([...counts].map(([step, byTable]) => [step, new Map(byTable)])),
    stop: () => diagnosticsChannel.unsubscribe('http.client.request.start', onRequest),
  };
}

/** The counts of `after` not yet in `before`. */
export function countsSince(before: TableOperationCounts, after: TableOperationCounts): TableOperationCounts {
  const since: TableOperationCounts = new Map();
  for (const [step, byTable] of after) {
    for (const [table, count] of byTable) {
      const added = count - (before.get(step)?.get(table) ?? 0);
      if (added > 0) since.set(step, (since.get(step) ?? new Map<string, number>()).set(table, added));
    }
  }
  return since;
}

/**
 * An entity-group transaction names its table only in its body (one partition of one table), and
 * the channel speaks once the body is sent: keep the body of every `$batch` as it is written.
 */
const batchBodies = new WeakMap<ClientRequest, string>();
let keepingBatchBodies = false;
function keepBatchBodies(): void {
  if (keepingBatchBodies) return;
  keepingBatchBodies = true;
  const prototype = http.ClientRequest.prototype;
  for (const method of ['write', 'end'] as const) {
    const original = prototype[method] as (this: ClientRequest, ...args: unknown[]) => unknown;
    (prototype[method] as unknown) = function (this: ClientRequest, chunk: unknown, ...rest: unknown[]) {
      if (this.path.includes('$batch') && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) batchBodies.set(this, (batchBodies.get(this) ?? '') + chunk.toString());
      return original.call(this, chunk, ...rest);
    };
  }
}

function tableInBatch(request: ClientRequest): string {
  return /^(?:POST|PUT|PATCH|MERGE|DELETE|GET) \S*?\/devstoreaccount1\/([A-Za-z][A-Za-z0-9]*)/m.exec(batchBodies.get(request) ?? '')?.[1] ?? '(unknown)';
}

/** `/devstoreaccount1/Table(PartitionKey='x',...)?...` → `Table`; `$batch` → `$batch`. */
function tableOf(requestPath: string): string {
  const segment = requestPath.split('?')[0]!.split('/').filter(Boolean)[1] ?? '';
  return decodeURIComponent(segment.replace(/\(.*$/, '')) || '(account)';
}
