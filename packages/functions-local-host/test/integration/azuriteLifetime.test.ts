import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { afterAll, expect, test } from 'vitest';
import { startAzurite } from '../../src/azurite.js';

const packageDir = path.resolve(__dirname, '../..');
const location = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-lifetime-'));
afterAll(() => fs.rmSync(location, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts Azurite on `folder` from another process, writes one row, and resolves with both pids. */
async function parentWithAzurite(folder: string, options: { ownGroup?: boolean } = {}): Promise<{ parent: ChildProcess; azuritePid: number }> {
  const parentScript = `
    const fs = require('node:fs');
    const { startAzurite } = require(${JSON.stringify(path.join(packageDir, 'dist/azurite.js'))});
    const { TableClient } = require('@azure/data-tables');
    (async () => {
      const azurite = await startAzurite({ location: ${JSON.stringify(folder)} });
      const table = TableClient.fromConnectionString(azurite.connectionString, 'Lifetime', { allowInsecureConnection: true });
      await table.createTable();
      await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 'kept' });
      const entry = JSON.parse(fs.readFileSync(${JSON.stringify(path.join(folder, 'azurite.pid'))}, 'utf8'));
      console.log('ready ' + (typeof entry === 'number' ? entry : entry.pid));
      setInterval(() => {}, 1000);
    })();`;
  const parent = spawn(process.execPath, ['-e', parentScript], { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'], detached: options.ownGroup });
  const azuritePid = await new Promise<number>((resolve, reject) => {
    let out = '';
    parent.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    parent.once('exit', (code) => reject(new Error(`parent exited early (${code}): ${out}`)));
  });
  parent.removeAllListeners('exit');
  return { parent, azuritePid };
}

/** SIGKILL for the child, or with `group` for the whole process group it leads. */
async function killed(child: ChildProcess, options: { group?: boolean } = {}): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (options.group) process.kill(-child.pid!, 'SIGKILL');
  else child.kill('SIGKILL');
  await exited;
}

async function keptRow(folder: string): Promise<string> {
  const again = await startAzurite({ location: folder });
  try {
    const table = TableClient.fromConnectionString(again.connectionString, 'Lifetime', { allowInsecureConnection: true });
    return (await table.getEntity<{ value: string }>('p', 'r')).value;
  } finally {
    await again.stop();
  }
}

/**
 * A host killed with SIGKILL gets no chance to stop its Azurite. The child must notice (its stdin
 * closes), save what it holds and exit, so nothing leaks and nothing written is lost.
 */
test('Azurite saves and exits when the process that started it is killed', async () => {
  const { parent, azuritePid } = await parentWithAzurite(location);
  expect(alive(azuritePid)).toBe(true);

  await killed(parent);
  const deadline = Date.now() + 15_000;
  while (alive(azuritePid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(alive(azuritePid)).toBe(false);

  expect(await keptRow(location)).toBe('kept');
});

test('a kill of the starter\'s whole process group does not reach Azurite before it saved', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-group-'));
  try {
    const { parent, azuritePid } = await parentWithAzurite(folder, { ownGroup: true });
    await killed(parent, { group: true });
    // Started again at once, on the same folder: the new Azurite waits for the old one to save.
    expect(await keptRow(folder)).toBe('kept');
    expect(alive(azuritePid)).toBe(false);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test('a folder whose Azurite still serves a running process is refused; a stale pid file naming another program is ignored', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-owner-'));
  const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  let parent: ChildProcess | undefined;
  try {
    const started = await parentWithAzurite(folder);
    parent = started.parent;
    await expect(startAzurite({ location: folder })).rejects.toThrow(`The Azurite data folder ${folder} is in use by process ${parent.pid}`);
    expect(alive(started.azuritePid)).toBe(true);
    await killed(parent);

    fs.writeFileSync(path.join(folder, 'azurite.pid'), JSON.stringify({ pid: bystander.pid, owner: 1 }));
    expect(await keptRow(folder)).toBe('kept');
    expect(alive(bystander.pid!)).toBe(true);
  } finally {
    if (parent?.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    bystander.kill('SIGKILL');
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
