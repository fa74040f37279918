import { randomUUID } from 'node:crypto';
import type { DurableEngine, DurableEngineOptions } from '../contracts.js';
import { clientBindingData } from './bindingData.js';
import { systemClock } from './clock.js';
import { createDurableHttpApi } from './httpApi.js';
import { InstanceStore, instancesTableName, type InstanceRecord } from './instanceStore.js';
import { OrchestrationRuntime } from './runtime.js';

export interface DurableEngineStats {
  /** Table Storage requests since creation (a transaction or a result page counts as one). */
  tableOperations: number;
  episodes: number;
  activityExecutions: number;
  unfinishedInstances: number;
}

/** The engine plus what in-process observers (tests, the benchmark) may read. */
export interface LocalDurableEngine extends DurableEngine {
  stats(): DurableEngineStats;
  onInstanceFinished(listener: (record: InstanceRecord) => void): void;
}

/** The Durable Task extension of the local host (DESIGN.md §7). */
export function createDurableEngine(options: DurableEngineOptions): LocalDurableEngine {
  const clock = options.clock ?? systemClock;
  const store = new InstanceStore(options.storageConnectionString, instancesTableName(options.taskHubName), () => clock.now());
  const bindingJson = JSON.stringify(clientBindingData(options.baseUrl, options.taskHubName, options.connectionName));
  const runtime = new OrchestrationRuntime({
    invoker: options.invoker,
    store,
    maxConcurrentActivityFunctions: Math.max(1, options.maxConcurrentActivityFunctions),
    clientBindingData: { string: bindingJson },
    log: options.log,
    clock,
  });
  const engine: LocalDurableEngine = {
    async start() {
      await runtime.start();
    },
    async stop() {
      await runtime.stop();
    },
    clientBindingData: () => ({ string: bindingJson }),
    handleHttp: createDurableHttpApi(runtime, {
      baseUrl: options.baseUrl,
      taskHubName: options.taskHubName,
      connectionName: options.connectionName,
      newInstanceId: randomUUID,
    }),
    stats: () => ({
      tableOperations: store.operations,
      episodes: runtime.episodes,
      activityExecutions: runtime.activityExecutions,
      unfinishedInstances: runtime.activeCount(),
    }),
    onInstanceFinished: (listener) => runtime.onFinished(listener),
  };
  return engine;
}
