import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
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
 * host's functions runs with its name as the step; the Azure SDK sends each request on Node's
 * `http`, whose `http.client.request.start` channel sees it in the caller's async context.
 * A `$batch` (entity-group transaction) counts once, as one billed transaction.
 */
export function countTableOperations(host: RunningHost, tableEndpoint: string): TableOperationCounter {
  const endpoint = new URL(tableEndpoint);
  const counts: TableOperationCounts = new Map();
  const invoke = host.invoker.invoke.bind(host.invoker);
  host.invoker.invoke = (functionName, ...rest) => currentStep.run(functionName, () => invoke(functionName, ...rest));

  const onRequest = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    if (request.getHeader('host') !== endpoint.host) return;
    const step = currentStep.getStore() ?? HOST_STEP;
    const byTable = counts.get(step) ?? new Map<string, number>();
    const table = tableOf(request.path);
    byTable.set(table, (byTable.get(table) ?? 0) + 1);
    counts.set(step, byTable);
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

/** `/devstoreaccount1/Table(PartitionKey='x',...)?...` → `Table`; `$batch` → `$batch`. */
function tableOf(requestPath: string): string {
  const segment = requestPath.split('?')[0]!.split('/').filter(Boolean)[1] ?? '';
  return decodeURIComponent(segment.replace(/\(.*$/, '')) || '(account)';
}
