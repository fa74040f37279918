import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { TimeSkippingClock } from '../../src/durable/clock.js';
import { persistedHistory } from '../support/persistedHistory.js';
import { startTestHost, type TestHost } from '../support/startTestHost.js';

/**
 * The Azure Storage backend's timer limit: a timer further away than 6 days runs as sub-timers of
 * at most 3 days (the extension's `CreateTimer`), and the orchestrator, told those limits, sees
 * one timer firing at the time it asked for. The host's clock is skipped, not waited for.
 */

const appDir = path.join(__dirname, '../apps', 'durable-settings');
const DAY_MS = 24 * 60 * 60 * 1000;
const webhooks = '/runtime/webhooks/durabletask';
const clock = new TimeSkippingClock();
let host: TestHost;

interface Status {
  runtimeStatus: string;
  output: unknown;
  historyEvents?: { EventType: string; FireAt?: string; Timestamp: string }[];
}

beforeAll(async () => {
  host = await startTestHost(appDir, { env: { SETTINGS_TEST_HUB: 'LongTimers', SettingsTestStorage: inject('azuriteConnectionString') }, clock });
});

afterAll(async () => {
  await host?.stop();
});

async function start(name: string, input: unknown): Promise<string> {
  const response = await fetch(`${host.url}${webhooks}/orchestrators/${name}`, { method: 'POST', body: JSON.stringify(input) });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function waitFor(instanceId: string, until: (status: Status) => boolean): Promise<Status> {
  for (;;) {
    const status = (await (await fetch(`${host.url}${webhooks}/instances/${instanceId}?showHistory=true`)).json()) as Status;
    if (until(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const timersCreated = (status: Status) => (status.historyEvents ?? []).filter((event) => event.EventType === 'TimerCreated');


describe('timers longer than six days (Azure Storage backend)', () => {
  test('a 7-day timer runs as sub-timers of 3, 3 and 1 days and fires once, at the time asked for', async () => {
    const id = await start('LongTimer', { days: 7 });
    const started = await waitFor(id, (s) => timersCreated(s).length === 1);
    const startedAt = Date.parse(started.historyEvents!.find((event) => event.EventType === 'ExecutionStarted')!.Timestamp);
    const finalFireAt = new Date(startedAt + 7 * DAY_MS).toISOString();
    expect(timersCreated(started)[0]!.FireAt).toBe(new Date(startedAt + 3 * DAY_MS).toISOString());

    clock.skip(3 * DAY_MS);
    const second = await waitFor(id, (s) => timersCreated(s).length === 2);
    const secondFireAt = Date.parse(timersCreated(second)[1]!.FireAt!);
    expect(secondFireAt - startedAt).toBeGreaterThanOrEqual(6 * DAY_MS);
    expect(secondFireAt - startedAt).toBeLessThan(6 * DAY_MS + 60_000);
    expect(second.runtimeStatus).toBe('Running');

    clock.skip(3 * DAY_MS);
    const third = await waitFor(id, (s) => timersCreated(s).length === 3);
    expect(timersCreated(third)[2]!.FireAt).toBe(finalFireAt);
    expect(third.runtimeStatus).toBe('Running');

    clock.skip(DAY_MS);
    const done = await waitFor(id, (s) => s.runtimeStatus !== 'Running');
    expect(done.runtimeStatus).toBe('Completed');
    const output = done.output as { fireAt: string; firedAt: string; after: string };
    expect(output.fireAt).toBe(finalFireAt);
    expect(Date.parse(output.firedAt)).toBeGreaterThanOrEqual(Date.parse(finalFireAt));
    expect(output.after).toBe('Hello after');
    // Each sub-timer took an id, as the library counts them: the activity after the timer is task 3.
    expect((await persistedHistory('LongTimersInstances', id)).filter(([type]) => [4, 5, 10, 11].includes(type))).toEqual([
      [10, 0, undefined],
      [11, -1, 0],
      [10, 1, undefined],
      [11, -1, 1],
      [10, 2, undefined],
      [11, -1, 2],
      [4, 3, undefined],
      [5, -1, 3],
    ]);
  });

  test('a timer of exactly six days is not split', async () => {
    const id = await start('LongTimer', { days: 6 });
    const started = await waitFor(id, (s) => timersCreated(s).length === 1);
    const startedAt = Date.parse(started.historyEvents!.find((event) => event.EventType === 'ExecutionStarted')!.Timestamp);
    expect(timersCreated(started)[0]!.FireAt).toBe(new Date(startedAt + 6 * DAY_MS).toISOString());
    clock.skip(6 * DAY_MS);
    expect(await waitFor(id, (s) => s.runtimeStatus !== 'Running')).toMatchObject({ runtimeStatus: 'Completed', output: { after: 'Hello after' } });
  });

  test('canceling a long timer cancels its current sub-timer: an event that wins completes the instance at once', async () => {
    const id = await start('LongTimerOrEvent', { days: 10 });
    await waitFor(id, (s) => timersCreated(s).length === 1);
    clock.skip(3 * DAY_MS);
    await waitFor(id, (s) => timersCreated(s).length === 2);
    const raised = await fetch(`${host.url}${webhooks}/instances/${id}/raiseEvent/Approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify('yes'),
    });
    expect(raised.status).toBe(202);
    expect(await waitFor(id, (s) => s.runtimeStatus !== 'Running')).toMatchObject({ runtimeStatus: 'Completed', output: { approved: 'yes' } });
  });
});
