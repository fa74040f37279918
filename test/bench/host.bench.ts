import path from 'node:path';
import { parseArgs } from 'node:util';
import { startHost } from '@guest-email-change/functions-local-host';
import { childMemoryMiB } from './memory.js';

/**
 * `npm run bench:host [-- --n 500]`: N approval-style orchestrations (three chained activities,
 * then an event raised once the approval request "mail" went out) on the local host with an
 * in-memory Azurite. Prints throughput, start-to-completed latency, Table Storage operations per
 * orchestration and peak memory of the host and of Azurite.
 */

declare global {
  // Set by the benchmark, called by the sample app's SendApprovalRequest activity.
  var onApprovalRequested: ((instanceId: string) => void) | undefined;
}

const repoDir = path.resolve(__dirname, '../../..');
const appDir = path.join(repoDir, 'packages/functions-local-host/test/apps/durable-bench');
const START_CONCURRENCY = 50;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { n: { type: 'string', default: '500' } } });
  const count = Number(values.n);
  const host = await startHost({ appDir, port: 0, inMemory: true, log: (level, message) => level === 'error' && console.error(message) });
  const engine = host.engine;
  if (!engine) throw new Error('The host started no Durable engine.');

  const startedAt = new Map<string, number>();
  const latencies: number[] = [];
  let allDone: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const failures: string[] = [];
  engine.onInstanceFinished((record) => {
    const began = startedAt.get(record.instanceId);
    if (began === undefined) return;
    latencies.push(performance.now() - began);
    if (record.runtimeStatus !== 'Completed') failures.push(`${record.instanceId}: ${record.runtimeStatus} ${record.output}`);
    if (latencies.length === count) allDone();
  });
  globalThis.onApprovalRequested = (instanceId) => {
    void fetch(`${host.url}/runtime/webhooks/durabletask/instances/${instanceId}/raiseEvent/Approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approved: true }),
    });
  };

  const operationsBefore = engine.stats().tableOperations;
  const began = performance.now();
  let next = 0;
  const starter = async () => {
    while (next < count) {
      const instanceId = `bench-${next++}`;
      startedAt.set(instanceId, performance.now());
      const response = await fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/BenchApproval/${instanceId}`, {
        method: 'POST',
        body: JSON.stringify({ user: instanceId }),
      });
      if (response.status !== 202) throw new Error(`Start of ${instanceId} answered ${response.status}: ${await response.text()}`);
    }
  };
  await Promise.all(Array.from({ length: START_CONCURRENCY }, starter));
  await finished;
  const elapsedSeconds = (performance.now() - began) / 1000;
  const operations = engine.stats().tableOperations - operationsBefore;
  const azuritePeak = childMemoryMiB('VmHWM');
  await host.stop();

  latencies.sort((a, b) => a - b);
  const hostPeak = process.resourceUsage().maxRSS / 1024;
  const report = {
    orchestrations: count,
    failed: failures.length,
    elapsedSeconds: round(elapsedSeconds),
    throughputPerSecond: round(count / elapsedSeconds),
    latencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), max: round(latencies[latencies.length - 1]!) },
    tableOperationsPerOrchestration: round(operations / count),
    peakMemoryMiB: { host: round(hostPeak), azurite: round(azuritePeak), total: round(hostPeak + azuritePeak) },
  };
  console.log(JSON.stringify(report, null, 2));
  if (failures.length > 0) {
    console.error(failures.slice(0, 5).join('\n'));
    process.exitCode = 1;
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
