import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { InstanceRecord } from '../../src/durable/instanceStore.js';
import { persistedHistory } from '../support/persistedHistory.js';
import { startTestHost, type TestHost } from '../support/startTestHost.js';

/**
 * The Durable engine end to end: the sample app runs on the real `durable-functions` library in
 * the local host, state goes to the shared Azurite. Waiting is done by polling the status API
 * until the instance leaves the running states (no timed assertions).
 */

const appDir = path.join(__dirname, '../apps', 'durable-basic');
const webhooks = '/runtime/webhooks/durabletask';

interface Status {
  historyEvents?: Record<string, unknown>[];
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
}

let host: TestHost;

beforeAll(async () => {
  host = await startTestHost(appDir);
});

afterAll(async () => {
  await host?.stop();
});

async function start(name: string, input?: unknown): Promise<string> {
  const response = await fetch(`${host.url}/api/start/${name}`, { method: 'POST', body: input === undefined ? '' : JSON.stringify(input) });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function status(instanceId: string): Promise<Status> {
  const response = await fetch(`${host.url}${webhooks}/instances/${instanceId}`);
  expect([200, 202]).toContain(response.status);
  return (await response.json()) as Status;
}

async function waitFor(instanceId: string, until: (status: Status) => boolean = (s) => ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus)): Promise<Status> {
  for (;;) {
    const current = await status(instanceId);
    if (until(current)) return current;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function raise(instanceId: string, event: string, data: unknown): Promise<Response> {
  return fetch(`${host.url}${webhooks}/instances/${instanceId}/raiseEvent/${event}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(data),
  });
}

/** The persisted status row of an instance. */
async function readInstanceRow(instanceId: string): Promise<{ executionId: string }> {
  const table = TableClient.fromConnectionString(inject('azuriteConnectionString'), 'DurableBasicInstances', { allowInsecureConnection: true });
  return (await table.getEntity(instanceId, 'instance')) as unknown as { executionId: string };
}


describe('orchestrations on the real durable-functions library', () => {
  test('chains three activities, keeps the custom status and reports Azure-shaped status JSON', async () => {
    const id = await start('Chain');
    const done = await waitFor(id);
    expect(done).toMatchObject({
      name: 'Chain',
      instanceId: id,
      runtimeStatus: 'Completed',
      output: ['Hello Tokyo', 'Hello Seattle', 'Hello London'],
      customStatus: { step: 3 },
    });
    expect(done.createdTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(done.lastUpdatedTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('N chained activities and a raised event cost N + 4 Table operations: the start, one commit per episode, the event', async () => {
    const engine = host.engine!;
    const activities = 3;
    const before = engine.stats().tableOperations;
    const finished = new Promise<number>((resolve) => engine.onInstanceFinished((record) => record.name === 'ChainThenEvent' && resolve(engine.stats().tableOperations)));
    const id = await start('ChainThenEvent', activities);
    // Status reads of an unfinished instance come from memory: they cost nothing.
    await waitFor(id, (s) => s.customStatus === 'waiting');
    expect((await raise(id, 'Go', 'approved')).status).toBe(202);
    const operations = (await finished) - before;
    expect((await waitFor(id)).output).toEqual(['Hello 0', 'Hello 1', 'Hello 2', 'approved']);
    // 1 create + (N + 2) episode commits (the start, each result, the event) + 1 inbox row for the event.
    expect(operations).toBe(1 + (activities + 2) + 1);
  });

  test('fans out with Task.all', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const done = await waitFor(await start('FanOut', names));
    expect(done.output).toEqual(names.map((name) => `Hello ${name}`));
  });

  test('payloads larger than one Table property (64 KiB) are stored and replayed intact', async () => {
    const big = 'x'.repeat(70_000);
    const done = await waitFor(await start('FanOut', [big]));
    expect(done).toMatchObject({ runtimeStatus: 'Completed', input: [big], output: [`Hello ${big}`] });
  });

  test('runs activities concurrently, at most maxConcurrentActivityFunctions (4) at once', async () => {
    const done = await waitFor(await start('Parallel'));
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toBeGreaterThan(1);
    expect(done.output).toBeLessThanOrEqual(4);
  });

  test('retries a failing activity with the id sequence of the real extension', async () => {
    const done = await waitFor(await start('Retry', { key: `k-${Date.now()}`, failures: 2, attempts: 3 }));
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual(['ok after 2', 'Hello after']);
    const scheduling = (await persistedHistory('DurableBasicInstances', done.instanceId)).filter(([type]) => [4, 5, 6, 10, 11].includes(type));
    expect(scheduling).toEqual([
      [4, 0, undefined], // TaskScheduled 0
      [6, -1, 0], // TaskFailed(0)
      [10, 1, undefined], // TimerCreated 1 (retry timer)
      [11, -1, 1], // TimerFired(1)
      [4, 2, undefined], // TaskScheduled 2 (second attempt)
      [6, -1, 2],
      [10, 3, undefined],
      [11, -1, 3],
      [4, 4, undefined], // third attempt succeeds
      [5, -1, 4],
      [4, 5, undefined], // the next activity continues the sequence
      [5, -1, 5],
    ]);
  });

  test('fails the orchestration when the last retry fails, after the back-compat timer', async () => {
    const done = await waitFor(await start('Retry', { key: `k-${Date.now()}`, failures: 5, attempts: 2 }));
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toContain("Orchestrator function 'Retry' failed: Activity function 'Flaky' failed: flaky failure 2");
    const scheduling = (await persistedHistory('DurableBasicInstances', done.instanceId)).filter(([type]) => [4, 5, 6, 10, 11].includes(type));
    expect(scheduling).toEqual([
      [4, 0, undefined],
      [6, -1, 0],
      [10, 1, undefined],
      [11, -1, 1],
      [4, 2, undefined],
      [6, -1, 2],
      [10, 3, undefined],
      [11, -1, 3],
    ]);
  });

  test('an event that beats the timer completes the instance at once (the timer is canceled)', async () => {
    const id = await start('Approval', { timeoutSeconds: 3600 });
    await waitFor(id, (s) => s.runtimeStatus === 'Running');
    expect((await raise(id, 'Approve', { by: 'ada' })).status).toBe(202);
    const done = await waitFor(id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: { approved: { by: 'ada' } } });
  });

  test('a timer that beats the event fires and the instance completes', async () => {
    const done = await waitFor(await start('Approval', { timeoutSeconds: 1 }));
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: { approved: null, timedOut: true } });
  });

  test('events raised before the orchestrator waits are buffered and handed out in order', async () => {
    const gateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'durable-gate-')), 'open');
    const id = await start('EventAfterActivity', { gateFile });
    await waitFor(id, (s) => s.runtimeStatus === 'Running');
    expect((await raise(id, 'Go', 1)).status).toBe(202);
    expect((await raise(id, 'Go', 2)).status).toBe(202);
    fs.writeFileSync(gateFile, '');
    const done = await waitFor(id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: [1, 2] });
  });

  test('continueAsNew restarts the orchestration with the new input', async () => {
    const done = await waitFor(await start('Counter', 0));
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: 3, input: 3 });
  });

  test("an activity's result that arrives after continueAsNew does not answer the new execution's task of the same id", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-continued-'));
    const [file, gateFile, nextGateFile] = ['record.log', 'gate', 'next-gate'].map((name) => path.join(dir, name));
    const id = await start('ContinuesPastActivity', { file, gateFile, nextGateFile });
    await waitFor(id, (s) => s.customStatus === 'continued');
    fs.writeFileSync(gateFile, '');
    // The old execution's activity has returned (its result is handed over right after this line).
    while (!fs.readFileSync(file, 'utf8').includes('end')) await new Promise((resolve) => setTimeout(resolve, 25));
    fs.writeFileSync(nextGateFile, '');
    expect(await waitFor(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'released' });
  });

  test('sub-orchestrations return their output, and their failure reaches the parent', async () => {
    const done = await waitFor(await start('Parent', 'x'));
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toMatchObject({ child: 'Hello child x' });
    expect((done.output as { childError: string }).childError).toContain("Orchestrator function 'FailingChild' failed: child broke");
  });

  test('a failed sub-orchestration is retried as a new child', async () => {
    const done = await waitFor(await start('ParentRetry', { key: `child-${Date.now()}`, failures: 1 }));
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: 'ok after 1' });
    const scheduling = (await persistedHistory('DurableBasicInstances', done.instanceId)).filter(([type]) => [7, 8, 9, 10, 11].includes(type));
    expect(scheduling).toEqual([
      [7, 0, undefined], // SubOrchestrationInstanceCreated 0
      [9, -1, 0], // SubOrchestrationInstanceFailed(0)
      [10, 1, undefined],
      [11, -1, 1],
      [7, 2, undefined], // the second attempt
      [8, -1, 2],
    ]);
  });

  test('an orchestrator that throws fails with the message Azure gives', async () => {
    const done = await waitFor(await start('Fails'));
    expect(done).toMatchObject({ runtimeStatus: 'Failed', output: "Orchestrator function 'Fails' failed: boom" });
  });

  test('calling an activity that does not exist fails the orchestration with the extension\'s message and no host internals', async () => {
    const done = await waitFor(await start('CallsMissing'));
    expect(done.runtimeStatus).toBe('Failed');
    expect(String(done.output)).toContain("The function 'DoesNotExist' doesn't exist, is disabled, or is not an activity function.");
    expect(String(done.output)).not.toMatch(/StackTrace|runtime\.js/);
  });

  test('an unhandled activity failure fails the orchestration with the activity message', async () => {
    const done = await waitFor(await start('ActivityFails'));
    expect(done.runtimeStatus).toBe('Failed');
    expect(done.output).toMatch(/^Orchestrator function 'ActivityFails' failed: Activity function 'Broken' failed: kaput/);
  });
});

describe('Durable HTTP API', () => {
  test('status codes: 404 unknown, 202 + Location running, 200 done, 410 raising on a finished instance', async () => {
    expect((await fetch(`${host.url}${webhooks}/instances/nope`)).status).toBe(404);
    const id = await start('Waiter');
    const running = await fetch(`${host.url}${webhooks}/instances/${id}`);
    expect(running.status).toBe(202);
    expect(running.headers.get('location')).toContain(`${webhooks}/instances/${id}`);
    expect(running.headers.get('retry-after')).toBeTruthy();
    const wrongType = await fetch(`${host.url}${webhooks}/instances/${id}/raiseEvent/Go`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '1' });
    expect(wrongType.status).toBe(400);
    expect((await raise('nope', 'Go', 1)).status).toBe(404);
    expect((await raise(id, 'Go', 'done')).status).toBe(202);
    await waitFor(id);
    const done = await fetch(`${host.url}${webhooks}/instances/${id}`);
    expect(done.status).toBe(200);
    expect(((await done.json()) as Status).output).toBe('done');
    expect((await raise(id, 'Go', 'again')).status).toBe(410);
    expect((await fetch(`${host.url}${webhooks}/instances/${id}/terminate`, { method: 'POST' })).status).toBe(410);
    expect((await fetch(`${host.url}${webhooks}/instances/${id}/rewind`, { method: 'POST' })).status).toBe(410);
  });

  test('starts through the public endpoint with 202 and management links', async () => {
    const response = await fetch(`${host.url}${webhooks}/orchestrators/Chain/custom-id-${Date.now()}`, { method: 'POST', body: '' });
    expect(response.status).toBe(202);
    const payload = (await response.json()) as Record<string, string>;
    expect(response.headers.get('location')).toBe(payload.statusQueryGetUri);
    expect(payload.sendEventPostUri).toContain(`/instances/${payload.id}/raiseEvent/{eventName}`);
    expect(await waitFor(payload.id)).toMatchObject({ runtimeStatus: 'Completed', input: null });
    const withInput = await start('Chain', { hidden: true });
    await waitFor(withInput);
    expect(((await (await fetch(`${host.url}${webhooks}/instances/${withInput}`)).json()) as Status).input).toEqual({ hidden: true });
    expect(((await (await fetch(`${host.url}${webhooks}/instances/${withInput}?showInput=false`)).json()) as Status).input).toBeNull();
    const unknown = await fetch(`${host.url}${webhooks}/orchestrators/NoSuchOrchestrator`, { method: 'POST' });
    expect(unknown.status).toBe(400);
  });

  test('terminate ends a running instance as Terminated with the reason as output', async () => {
    const id = await start('Waiter');
    expect((await fetch(`${host.url}${webhooks}/instances/${id}/terminate?reason=enough`, { method: 'POST' })).status).toBe(202);
    expect(await waitFor(id)).toMatchObject({ runtimeStatus: 'Terminated', output: 'enough' });
  });

  test('suspend holds events until resume', async () => {
    const id = await start('Waiter');
    await waitFor(id, (s) => s.runtimeStatus === 'Running');
    expect((await fetch(`${host.url}${webhooks}/instances/${id}/suspend?reason=pause`, { method: 'POST' })).status).toBe(202);
    await waitFor(id, (s) => s.runtimeStatus === 'Suspended');
    expect((await raise(id, 'Go', 'later')).status).toBe(202);
    expect((await status(id)).runtimeStatus).toBe('Suspended');
    expect((await fetch(`${host.url}${webhooks}/instances/${id}/resume?reason=go`, { method: 'POST' })).status).toBe(202);
    expect(await waitFor(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'later' });
  });

  test('DurableClient in an HTTP function: getStatus, raiseEvent, terminate, getStatusBy and purge', async () => {
    const id = await start('Waiter');
    const viaClient = await fetch(`${host.url}/api/client/status/${id}`, { method: 'POST' });
    expect(((await viaClient.json()) as Status).name).toBe('Waiter');
    expect((await fetch(`${host.url}/api/client/raise/${id}?event=Go`, { method: 'POST', body: JSON.stringify({ ok: true }) })).status).toBe(202);
    expect(await waitFor(id)).toMatchObject({ runtimeStatus: 'Completed', output: { ok: true } });
    const listed = (await (await fetch(`${host.url}/api/client/list/all`, { method: 'POST' })).json()) as Status[];
    expect(listed.map((s) => s.instanceId)).toContain(id);
    expect(listed.every((s) => s.runtimeStatus === 'Completed')).toBe(true);

    const other = await start('Waiter');
    expect((await fetch(`${host.url}/api/client/terminate/${other}?reason=bye`, { method: 'POST' })).status).toBe(202);
    expect(await waitFor(other)).toMatchObject({ runtimeStatus: 'Terminated', output: 'bye' });

    const purge = await fetch(`${host.url}${webhooks}/instances/${id}`, { method: 'DELETE' });
    expect(await purge.json()).toEqual({ instancesDeleted: 1 });
    expect((await fetch(`${host.url}${webhooks}/instances/${id}`)).status).toBe(404);
  });

  test('DurableClient suspend, resume and purgeInstanceHistory', async () => {
    const id = await start('Waiter');
    await waitFor(id, (s) => s.runtimeStatus === 'Running');
    expect((await fetch(`${host.url}/api/client/suspend/${id}`, { method: 'POST' })).status).toBe(202);
    await waitFor(id, (s) => s.runtimeStatus === 'Suspended');
    expect((await fetch(`${host.url}/api/client/raise/${id}?event=Go`, { method: 'POST', body: JSON.stringify('held') })).status).toBe(202);
    expect((await status(id)).runtimeStatus).toBe('Suspended');
    expect((await fetch(`${host.url}/api/client/resume/${id}`, { method: 'POST' })).status).toBe(202);
    expect(await waitFor(id)).toMatchObject({ runtimeStatus: 'Completed', output: 'held' });
    const purged = await fetch(`${host.url}/api/client/purge/${id}`, { method: 'POST' });
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
    expect((await fetch(`${host.url}${webhooks}/instances/${id}`)).status).toBe(404);
  });

  test('createCheckStatusResponse links work as a browser follows them: status, then raise event', async () => {
    const started = await fetch(`${host.url}/api/start/Waiter`, { method: 'POST' });
    expect(started.status).toBe(202);
    const links = (await started.json()) as { id: string; statusQueryGetUri: string; sendEventPostUri: string };
    expect(new URL(links.statusQueryGetUri).origin).toBe(new URL(host.url).origin);
    const running = await fetch(links.statusQueryGetUri);
    expect(running.status).toBe(202);
    expect(((await running.json()) as Status).instanceId).toBe(links.id);
    const raised = await fetch(links.sendEventPostUri.replace('{eventName}', 'Go'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"from the link"' });
    expect(raised.status).toBe(202);
    await waitFor(links.id);
    const done = await fetch(links.statusQueryGetUri);
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ runtimeStatus: 'Completed', output: 'from the link' });
  });
});

describe('Durable HTTP API: listing, history, restart and rewind as in the reference', () => {
  const post = (path: string) => fetch(`${host.url}${webhooks}${path}`, { method: 'POST' });

  test('the instance list honours top, the x-ms-continuation-token header and the filters', async () => {
    const prefix = `page-${Date.now()}-`;
    for (const n of [3, 0, 4, 1, 2]) {
      expect((await fetch(`${host.url}${webhooks}/orchestrators/Chain/${prefix}${n}`, { method: 'POST', body: JSON.stringify({ n }) })).status).toBe(202);
    }
    for (const n of [0, 1, 2, 3, 4]) await waitFor(`${prefix}${n}`);
    const list = (query: string, token?: string) =>
      fetch(`${host.url}${webhooks}/instances?instanceIdPrefix=${prefix}&${query}`, token ? { headers: { 'x-ms-continuation-token': token } } : {});

    const first = await list('top=2');
    expect(first.status).toBe(200);
    expect(((await first.json()) as Status[]).map((s) => s.instanceId)).toEqual([`${prefix}0`, `${prefix}1`]);
    const firstToken = first.headers.get('x-ms-continuation-token');
    expect(firstToken).toBeTruthy();
    const second = await list('top=2', firstToken!);
    expect(((await second.json()) as Status[]).map((s) => s.instanceId)).toEqual([`${prefix}2`, `${prefix}3`]);
    const last = await list('top=2', second.headers.get('x-ms-continuation-token')!);
    expect(((await last.json()) as Status[]).map((s) => s.instanceId)).toEqual([`${prefix}4`]);
    expect(last.headers.get('x-ms-continuation-token')).toBeNull();

    const all = (await (await list('showInput=false')).json()) as Status[];
    expect(all).toHaveLength(5);
    expect(all.every((s) => s.input === null && s.runtimeStatus === 'Completed')).toBe(true);
    expect(await (await list('runtimeStatus=Running,Pending')).json()).toEqual([]);
    expect(await (await list('runtimeStatus=Completed&top=1')).json()).toHaveLength(1);
    expect(await (await list(`createdTimeFrom=${new Date(Date.now() + 60_000).toISOString()}`)).json()).toEqual([]);
    expect((await list('top=2', 'not-a-token')).status).toBe(400);
  });

  test('status honours showHistory, showHistoryOutput and showInput, with the extension\'s history shape', async () => {
    const id = await start('Chain', { city: 'Tokyo' });
    await waitFor(id);
    const plain = (await (await fetch(`${host.url}${webhooks}/instances/${id}`)).json()) as Status;
    expect(plain).not.toHaveProperty('historyEvents');

    const withHistory = (await (await fetch(`${host.url}${webhooks}/instances/${id}?showHistory=true`)).json()) as Status;
    const events = withHistory.historyEvents!;
    expect(events.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskCompleted', 'TaskCompleted', 'TaskCompleted', 'ExecutionCompleted']);
    expect(events[0]).toMatchObject({ FunctionName: 'Chain', Input: JSON.stringify({ city: 'Tokyo' }) });
    expect(events[1]).toMatchObject({ FunctionName: 'Hello', Input: '"Tokyo"' });
    expect(events[1]!.ScheduledTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(events[4]).toMatchObject({ OrchestrationStatus: 'Completed' });
    for (const event of events) {
      expect(event).not.toHaveProperty('EventId');
      expect(event).not.toHaveProperty('IsPlayed');
      expect(event).not.toHaveProperty('Result');
      expect(event).not.toHaveProperty('TaskScheduledId');
      expect(event.Timestamp).toEqual(expect.any(String));
    }

    const withOutput = (await (await fetch(`${host.url}${webhooks}/instances/${id}?showHistory=true&showHistoryOutput=true&showInput=false`)).json()) as Status;
    expect(withOutput.input).toBeNull();
    expect(withOutput.historyEvents!.map((e) => e.Result)).toEqual([undefined, 'Hello Tokyo', 'Hello Seattle', 'Hello London', ['Hello Tokyo', 'Hello Seattle', 'Hello London']]);
    expect(withOutput.historyEvents!.some((e) => 'Input' in e)).toBe(false);

    const failed = await waitFor(await start('ActivityFails'));
    const failedHistory = ((await (await fetch(`${host.url}${webhooks}/instances/${failed.instanceId}?showHistory=TRUE`)).json()) as Status).historyEvents!;
    expect(failedHistory.map((e) => e.EventType)).toEqual(['ExecutionStarted', 'TaskFailed', 'ExecutionCompleted']);
    expect(failedHistory[1]).toMatchObject({ FunctionName: 'Broken', Reason: "Activity function 'Broken' failed: kaput" });
    expect(failedHistory[2]).toMatchObject({ OrchestrationStatus: 'Failed' });
  });

  test('restart starts the same orchestration with the same input, under a new id by default or the same one', async () => {
    const id = await start('Chain', { run: 1 });
    const first = await waitFor(id);
    const firstExecutionId = (await readInstanceRow(id)).executionId;

    const restarted = await post(`/instances/${id}/restart`);
    expect(restarted.status).toBe(202);
    const links = (await restarted.json()) as { id: string; statusQueryGetUri: string };
    expect(links.id).not.toBe(id);
    expect(restarted.headers.get('location')).toBe(links.statusQueryGetUri);
    expect(await waitFor(links.id)).toMatchObject({ name: 'Chain', runtimeStatus: 'Completed', input: { run: 1 } });

    const finishedAgain = new Promise<InstanceRecord>((resolve) => host.engine!.onInstanceFinished((record) => record.instanceId === id && resolve(record)));
    const inPlace = await post(`/instances/${id}/restart?restartWithNewInstanceId=false`);
    expect(inPlace.status).toBe(202);
    expect(((await inPlace.json()) as { id: string }).id).toBe(id);
    const again = await finishedAgain;
    expect(again.executionId).not.toBe(firstExecutionId);
    expect(await status(id)).toMatchObject({ runtimeStatus: 'Completed', input: { run: 1 }, output: first.output });

    expect((await post('/instances/no-such-instance/restart')).status).toBe(400);
    const waiting = await start('Waiter');
    expect((await post(`/instances/${waiting}/restart?restartWithNewInstanceId=false`)).status).toBe(409);
  });

  test('rewind brings a failed instance back: the failed activity runs again and the orchestration completes', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'durable-rewind-')), 'fixed');
    const id = await start('Rewindable', file);
    expect(await waitFor(id)).toMatchObject({ runtimeStatus: 'Failed' });
    expect((await post(`/instances/${id}/rewind?reason=still%20missing`)).status).toBe(202);
    expect(await waitFor(id)).toMatchObject({ runtimeStatus: 'Failed', output: expect.stringContaining(`${file} is missing`) });

    fs.writeFileSync(file, '');
    expect((await post(`/instances/${id}/rewind?reason=fixed`)).status).toBe(202);
    const done = await waitFor(id);
    expect(done).toMatchObject({ runtimeStatus: 'Completed', output: ['Hello before', `found ${file}`, 'Hello after'] });
    // As Azure Storage rewrites it: each failure and the TaskScheduled of each failed attempt became
    // a GenericEvent (17) in place, the rewind itself arrived as one, and the task kept its id.
    const scheduling = (await persistedHistory('DurableBasicInstances', id)).filter(([type]) => [1, 4, 5, 6, 17].includes(type));
    expect(scheduling).toEqual([
      [4, 0, undefined], // TaskScheduled 0 (Hello before)
      [5, -1, 0],
      [17, 1, undefined], // was TaskScheduled 1 (first attempt)
      [17, -1, undefined], // was TaskFailed(1)
      [17, -1, undefined], // was ExecutionCompleted (Failed)
      [17, -1, undefined], // the first rewind
      [17, 1, undefined], // was TaskScheduled 1 (second attempt)
      [17, -1, undefined], // was TaskFailed(1)
      [17, -1, undefined], // was ExecutionCompleted (Failed)
      [17, -1, undefined], // the second rewind
      [4, 1, undefined], // TaskScheduled 1 again
      [5, -1, 1],
      [4, 2, undefined], // the next activity continues the sequence
      [5, -1, 2],
      [1, -1, undefined], // ExecutionCompleted
    ]);
  });

  test('rewind of a parent rewinds its failed sub-orchestration, which reports back', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'durable-rewind-')), 'fixed');
    const id = await start('RewindableParent', file);
    expect(await waitFor(id)).toMatchObject({ runtimeStatus: 'Failed' });
    fs.writeFileSync(file, '');
    expect((await fetch(`${host.url}/api/client/rewind/${id}`, { method: 'POST' })).status).toBe(202);
    expect(await waitFor(id)).toMatchObject({ runtimeStatus: 'Completed', output: { child: ['Hello before', `found ${file}`, 'Hello after'] } });
    expect(await status(`${id}:0`)).toMatchObject({ runtimeStatus: 'Completed' });
  });

  test('rewind answers as Azure does when it cannot rewind, and loudly for a retried failure', async () => {
    expect((await post('/instances/no-such-instance/rewind')).status).toBe(404);
    const running = await start('Waiter');
    await waitFor(running, (s) => s.runtimeStatus === 'Running');
    const notFailed = await post(`/instances/${running}/rewind`);
    expect(notFailed.status).toBe(500);
    expect(await notFailed.json()).toMatchObject({ message: 'The rewind operation is only supported on failed orchestration instances.' });
    const completed = await waitFor(await start('Chain'));
    expect((await post(`/instances/${completed.instanceId}/rewind`)).status).toBe(410);
    const retried = await waitFor(await start('Retry', { key: `k-${Date.now()}`, failures: 5, attempts: 2 }));
    expect(retried.runtimeStatus).toBe('Failed');
    const refused = await post(`/instances/${retried.instanceId}/rewind`);
    expect(refused.status).toBe(501);
    expect(((await refused.json()) as { message: string }).message).toContain('retried');
    expect((await status(retried.instanceId)).runtimeStatus).toBe('Failed');
  });
});
