import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../../src/azurite.js';
import { buildCli } from '../support/buildCli.js';
import { isRunning, startHostProcess, waitForExit } from '../support/hostProcess.js';

/**
 * A real host process, leader of its own process group like a command started in a terminal, is
 * killed with `kill -9 -PGID` right after its answers to a start, a raised event and another
 * start, then started again on the same data folder: every acknowledged write is there (issue 9,
 * part 5). Its Azurite must survive the kill just long enough to save, and never stay behind.
 */

const appDir = path.join(__dirname, '../apps', 'durable-basic');
const webhooks = '/runtime/webhooks/durabletask';

let dataDir: string;
let port: number;
let host: ChildProcess | undefined;

/** The host's Azurite, from the pid file in its data folder (a bare pid in older versions). */
function azuritePid(): number {
  const entry = JSON.parse(fs.readFileSync(path.join(dataDir, 'azurite', 'azurite.pid'), 'utf8')) as number | { pid: number };
  return typeof entry === 'number' ? entry : entry.pid;
}

async function start(name: string): Promise<string> {
  const response = await fetch(`http://localhost:${port}/api/start/${name}`, { method: 'POST' });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function raise(instanceId: string, value: unknown): Promise<void> {
  const response = await fetch(`http://localhost:${port}${webhooks}/instances/${instanceId}/raiseEvent/Go`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
  expect(response.status).toBe(202);
}

async function status(instanceId: string): Promise<{ httpStatus: number; runtimeStatus?: string; output?: unknown }> {
  const response = await fetch(`http://localhost:${port}${webhooks}/instances/${instanceId}`);
  return { httpStatus: response.status, ...((await response.json()) as { runtimeStatus?: string; output?: unknown }) };
}

async function finished(instanceId: string): Promise<{ runtimeStatus?: string; output?: unknown }> {
  for (;;) {
    const current = await status(instanceId);
    expect(current.httpStatus, `instance ${instanceId} is known after the restart`).not.toBe(404);
    if (!['Pending', 'Running'].includes(current.runtimeStatus ?? '')) return current;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(() => {
  buildCli();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-group-kill-'));
}, 120_000);

afterAll(async () => {
  if (host?.pid && isRunning(host.pid)) {
    const exited = new Promise((resolve) => host!.once('exit', resolve));
    host.kill('SIGINT');
    await exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('kill -9 of the host process group loses no acknowledged write and leaves no Azurite running', async () => {
  port = await freePort();
  host = await startHostProcess({ appDir, port, dataDir, detached: true });
  const storage = azuritePid();

  // Acknowledged just before the kill, within Azurite's 5 s autosave interval.
  const raised = await start('Waiter');
  await raise(raised, 'approved');
  const waiting = await start('Waiter');

  const exited = new Promise((resolve) => host!.once('exit', resolve));
  process.kill(-host.pid!, 'SIGKILL');
  await exited;
  // Azurite saves and exits on its own once its host is gone.
  expect(await waitForExit(storage, 15_000)).toBe(true);

  host = await startHostProcess({ appDir, port, dataDir, detached: true });
  expect(await finished(raised)).toMatchObject({ runtimeStatus: 'Completed', output: 'approved' });
  expect((await status(waiting)).runtimeStatus).toMatch(/^(Pending|Running)$/);
  await raise(waiting, 'later');
  expect(await finished(waiting)).toMatchObject({ runtimeStatus: 'Completed', output: 'later' });

  const restartedStorage = azuritePid();
  const stopped = new Promise<number | null>((resolve) => host!.once('exit', resolve));
  host.kill('SIGINT');
  expect(await stopped).toBe(0);
  expect(isRunning(restartedStorage)).toBe(false);
});
