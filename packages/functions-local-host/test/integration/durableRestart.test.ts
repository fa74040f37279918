import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../../src/azurite.js';
import { buildCli } from '../support/buildCli.js';
import { startHostProcess, waitForExit } from '../support/hostProcess.js';

/**
 * A real host process is killed with SIGKILL while orchestrations wait for an event and for a
 * durable timer, then started again on the same data directory. The host's Azurite child, which
 * stands for Azure Table Storage, saves and stops by itself once its host is gone.
 */

const appDir = path.join(__dirname, '../apps', 'durable-basic');
const webhooks = '/runtime/webhooks/durabletask';

let dataDir: string;
let port: number;
let host: ChildProcess | undefined;

/** Children of a process (its Azurite), from /proc. */
function childPids(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** SIGKILL for the host; its storage child notices, saves and exits on its own. */
async function crashHost(child: ChildProcess): Promise<void> {
  const storage = childPids(child.pid!);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  for (const pid of storage) await waitForExit(pid);
}

async function status(instanceId: string): Promise<{ runtimeStatus: string; output: unknown; customStatus: unknown }> {
  const response = await fetch(`http://localhost:${port}${webhooks}/instances/${instanceId}`);
  return (await response.json()) as { runtimeStatus: string; output: unknown; customStatus: unknown };
}

async function waitUntil(instanceId: string, until: (s: Awaited<ReturnType<typeof status>>) => boolean) {
  for (;;) {
    const current = await status(instanceId);
    if (until(current)) return current;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A host of its own for a test, on the same data, whether or not the test before left one running. */
async function freshHost(): Promise<ChildProcess> {
  if (host && host.exitCode === null && host.signalCode === null) await crashHost(host);
  port = await freePort();
  return startHostProcess({ appDir, port, dataDir });
}

beforeAll(() => {
  buildCli();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'durable-restart-'));
}, 120_000);

afterAll(async () => {
  if (host && host.exitCode === null) await crashHost(host);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('orchestrations waiting for an event, a timer or an activity survive a host crash; completed activities do not run again', async () => {
  port = await freePort();
  host = await startHostProcess({ appDir, port, dataDir });
  const eventFile = path.join(dataDir, 'event.log');
  const timerFile = path.join(dataDir, 'timer.log');
  const timerSeconds = 4;
  const startOne = async (input: Record<string, unknown>) => {
    const orchestrator = 'gateFile' in input ? 'EventAfterActivity' : 'Durable';
    const response = await fetch(`http://localhost:${port}/api/start/${orchestrator}`, { method: 'POST', body: JSON.stringify(input) });
    return ((await response.json()) as { id: string }).id;
  };
  const gateFile = path.join(dataDir, 'gate');
  const inFlightId = await startOne({ gateFile });
  const eventId = await startOne({ file: eventFile, waitFor: 'event' });
  const timerId = await startOne({ file: timerFile, waitFor: 'timer', seconds: timerSeconds });
  await waitUntil(eventId, (s) => s.customStatus === 'waiting');
  await waitUntil(timerId, (s) => s.customStatus === 'waiting');
  // The timer was created before its instance said so: it is due at the latest this long from now.
  const timerDueBy = Date.now() + timerSeconds * 1000;
  // Its activity (blocked on the gate file) is running when the host dies: it must run again.
  await waitUntil(inFlightId, (s) => s.runtimeStatus === 'Running');

  await crashHost(host);
  // Let the timer come due while no host is running: it must fire late after the restart.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, timerDueBy + 500 - Date.now())));
  host = await startHostProcess({ appDir, port, dataDir });

  const raised = await fetch(`http://localhost:${port}${webhooks}/instances/${eventId}/raiseEvent/Go`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify('approved'),
  });
  expect(raised.status).toBe(202);
  const eventDone = await waitUntil(eventId, (s) => s.runtimeStatus !== 'Running');
  const timerDone = await waitUntil(timerId, (s) => s.runtimeStatus !== 'Running');
  expect(eventDone).toMatchObject({ runtimeStatus: 'Completed', output: 'approved' });
  expect(timerDone).toMatchObject({ runtimeStatus: 'Completed', output: 'timer' });
  fs.writeFileSync(gateFile, '');
  for (const value of [1, 2]) {
    await fetch(`http://localhost:${port}${webhooks}/instances/${inFlightId}/raiseEvent/Go`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(value),
    });
  }
  expect(await waitUntil(inFlightId, (s) => s.runtimeStatus !== 'Running')).toMatchObject({ runtimeStatus: 'Completed', output: [1, 2] });
  expect(fs.readFileSync(eventFile, 'utf8')).toBe('before\nafter\n');
  expect(fs.readFileSync(timerFile, 'utf8')).toBe('before\nafter\n');
});

test('an activity result not yet committed when the host dies is lost: the activity runs again and the orchestration completes', async () => {
  const file = path.join(dataDir, 'uncommitted.log');
  const gateFile = path.join(dataDir, 'uncommitted-gate');
  const blockedFile = path.join(dataDir, 'uncommitted-blocked');
  host = await freshHost();
  const response = await fetch(`http://localhost:${port}/api/start/BlocksAfterActivity`, { method: 'POST', body: JSON.stringify({ file, gateFile, blockedFile }) });
  const { id } = (await response.json()) as { id: string };
  // The activity ran and the episode that takes its result is blocked before committing it.
  while (!fs.existsSync(blockedFile)) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(fs.readFileSync(file, 'utf8')).toBe('ran\n');

  await crashHost(host);
  fs.writeFileSync(gateFile, '');
  host = await startHostProcess({ appDir, port, dataDir });

  expect(await waitUntil(id, (s) => s.runtimeStatus !== 'Running' && s.runtimeStatus !== 'Pending')).toMatchObject({ runtimeStatus: 'Completed', output: 'ran' });
  expect(fs.readFileSync(file, 'utf8')).toBe('ran\nran\n');
});

test('a host stopped gracefully keeps the results of the activities it let finish: they do not run again', async () => {
  const file = path.join(dataDir, 'stopped.log');
  const gateFile = path.join(dataDir, 'stopped-gate');
  host = await freshHost();
  const response = await fetch(`http://localhost:${port}/api/start/StoppedInActivity`, { method: 'POST', body: JSON.stringify({ file, gateFile }) });
  const { id } = (await response.json()) as { id: string };
  while (!fs.existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 50));

  // Once the host says it is stopping, no episode starts: the activity, which the stop waits
  // for, ends with its result not taken.
  const exited = new Promise<number | null>((resolve) => host!.once('exit', resolve));
  const stopping = new Promise<void>((resolve) => host!.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('stopping the host') && resolve()));
  host.kill('SIGINT');
  await stopping;
  fs.writeFileSync(gateFile, '');
  expect(await exited).toBe(0);
  host = await startHostProcess({ appDir, port, dataDir });

  expect(await waitUntil(id, (s) => s.runtimeStatus !== 'Running' && s.runtimeStatus !== 'Pending')).toMatchObject({ runtimeStatus: 'Completed', output: 'end' });
  expect(fs.readFileSync(file, 'utf8')).toBe('start\nend\n');
});
