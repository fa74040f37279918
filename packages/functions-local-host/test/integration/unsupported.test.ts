import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestHost, type TestHost } from '../support/startTestHost.js';

/**
 * What the host does not run is loud: one warning per function at load, and at run time an
 * invocation or orchestration that uses it fails with a message naming the feature (issue 9,
 * part 4). Nothing is dropped while the orchestration reports Completed.
 */

const appDir = path.join(__dirname, '../apps', 'unsupported');
const webhooks = '/runtime/webhooks/durabletask';

let host: TestHost;

beforeAll(async () => {
  host = await startTestHost(appDir);
});

afterAll(async () => {
  await host?.stop();
});

interface Status {
  runtimeStatus: string;
  output: unknown;
}

async function run(orchestration: string): Promise<Status> {
  const started = await fetch(`${host.url}/api/start/${orchestration}`, { method: 'POST' });
  expect(started.status).toBe(202);
  const { id } = (await started.json()) as { id: string };
  for (;;) {
    const status = (await (await fetch(`${host.url}${webhooks}/instances/${id}`)).json()) as Status;
    if (!['Pending', 'Running'].includes(status.runtimeStatus)) return status;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const warnings = () => host.logs.filter((entry) => entry.level === 'warn').map((entry) => entry.message);

describe('at load', () => {
  test('one line per function the host does not fully run, naming what it does not run', () => {
    const lines = warnings().filter((message) => message.startsWith('Function '));
    const about = (name: string) => lines.filter((message) => message.startsWith(`Function '${name}':`));
    expect(about('cleanup')).toEqual([
      "Function 'cleanup': trigger 'timerTrigger' (schedule '0 */5 * * * *') is not supported by the local host; the function never runs.",
    ]);
    expect(about('onJob')).toEqual(["Function 'onJob': trigger 'queueTrigger' (queueName 'jobs') is not supported by the local host; the function never runs."]);
    expect(about('counter')).toEqual([
      "Function 'counter': Durable entities are not supported by the local host; this entity never runs, and an orchestration that calls or signals an entity fails.",
    ]);
    expect(about('saveReport')).toHaveLength(1);
    expect(about('saveReport')[0]).toMatch(
      /^Function 'saveReport': output binding '\w+' \(blob, path 'reports\/\{rand-guid\}\.json'\) is not supported by the local host; an invocation that sets it fails \(nothing is written\)\.$/,
    );
    expect(about('skipReport')).toHaveLength(1);
    expect(about('readConfig')[0]).toMatch(/^Function 'readConfig': input binding '\w+' \(blob, path 'config\/settings\.json'\) is not supported by the local host; an invocation that reads it fails/);
    expect(about('enqueue')[0]).toMatch(/^Function 'enqueue': output binding '\w+' \(queue, queueName 'outbox'\) is not supported/);
    // HTTP triggers with their response and durableClient input, orchestrations and plain activities are run.
    for (const supported of ['start', 'signalFromClient', 'SaveReport', 'CallsEntity', 'CallsHttp', 'startAnother']) expect(about(supported)).toEqual([]);
    expect(lines).toHaveLength(7);
  });
});

describe('at run time', () => {
  test('an activity that sets an output binding fails, and so does its orchestration', async () => {
    const status = await run('SaveReport');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatch(
      /^Orchestrator function 'SaveReport' failed: Activity function 'saveReport' failed: Function 'saveReport': output binding '\w+' \(blob, path 'reports\/\{rand-guid\}\.json'\) is not supported by the local host; it did not write the value the function set\./,
    );
  });

  test('an activity that has such an output but does not set it runs', async () => {
    expect(await run('SkipReport')).toMatchObject({ runtimeStatus: 'Completed', output: 'skipped' });
  });

  test('an activity gets its durableClient input, as in Azure', async () => {
    const started = await run('StartsAnother');
    expect(started.runtimeStatus).toBe('Completed');
    const child = (await (await fetch(`${host.url}${webhooks}/instances/${String(started.output)}`)).json()) as Status & { name: string };
    expect(child.name).toBe('SkipReport');
  });

  test('reading an input binding the host cannot provide fails the invocation, even when the handler catches it', async () => {
    const status = await run('ReadConfig');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatch(/Function 'readConfig': input binding '\w+' \(blob, path 'config\/settings\.json'\) is not supported by the local host; it cannot provide the value the function read\./);
  });

  test('an entity call fails the orchestration, naming entities, the orchestration and the entity', async () => {
    const status = await run('CallsEntity');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatch(
      /^Orchestrator function 'CallsEntity' failed: Durable entities are not supported by the local host \(orchestration 'CallsEntity' \(instance '[\w-]+'\) called entity 'counter' with key 'visits', operation 'add'\)\.$/,
    );
    expect(host.logs.some((entry) => entry.level === 'error' && entry.message.includes("Orchestrator function 'CallsEntity' failed: Durable entities are not supported"))).toBe(true);
  });

  test('an entity signal fails the orchestration', async () => {
    const status = await run('SignalsEntity');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatch(/Durable entities are not supported by the local host \(orchestration 'SignalsEntity' \(instance '[\w-]+'\) signaled entity 'counter' with key 'visits', operation 'add'\)/);
  });

  test('callHttp fails the orchestration, naming callHttp and the request', async () => {
    const status = await run('CallsHttp');
    expect(status.runtimeStatus).toBe('Failed');
    expect(status.output).toMatch(
      /^Orchestrator function 'CallsHttp' failed: callHttp \(durable HTTP requests\) is not supported by the local host \(orchestration 'CallsHttp' \(instance '[\w-]+'\) called GET https:\/\/example\.com\/api\/status\)\.$/,
    );
  });

  test('a client signalEntity is answered 501 naming entities, so the HTTP function fails', async () => {
    const response = await fetch(`${host.url}/api/signalFromClient`, { method: 'POST' });
    expect(response.status).toBe(500);
    const failure = host.logs.find((entry) => entry.level === 'error' && entry.message.startsWith('Function "signalFromClient" failed'));
    expect(failure?.message).toContain("Durable entities are not supported by the local host (signalEntity on entity 'counter' with key 'visits', operation 'add')");
  });

  test('an HTTP function that sets an output binding answers 500, with the binding named in the log', async () => {
    const response = await fetch(`${host.url}/api/enqueue`, { method: 'POST', body: 'hello' });
    expect(response.status).toBe(500);
    const failure = host.logs.find((entry) => entry.level === 'error' && entry.message.startsWith('Function "enqueue" failed'));
    expect(failure?.message).toMatch(/output binding '\w+' \(queue, queueName 'outbox'\) is not supported by the local host; it did not write the value the function set/);
  });
});
