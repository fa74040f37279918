import { spawn } from 'node:child_process';
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

/**
 * A host killed with SIGKILL gets no chance to stop its Azurite. The child must notice (its stdin
 * closes), save what it holds and exit, so nothing leaks and nothing written is lost.
 */
test('Azurite saves and exits when the process that started it is killed', async () => {
  const parentScript = `
    const { startAzurite } = require(${JSON.stringify(path.join(packageDir, 'dist/azurite.js'))});
    const { TableClient } = require('@azure/data-tables');
    (async () => {
      const azurite = await startAzurite({ location: ${JSON.stringify(location)} });
      const table = TableClient.fromConnectionString(azurite.connectionString, 'Lifetime', { allowInsecureConnection: true });
      await table.createTable();
      await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 'kept' });
      console.log('ready ' + fs.readFileSync(${JSON.stringify(path.join(location, 'azurite.pid'))}, 'utf8'));
      setInterval(() => {}, 1000);
    })();`;
  const parent = spawn(process.execPath, ['-e', `const fs = require('node:fs');${parentScript}`], { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'] });
  const azuritePid = await new Promise<number>((resolve, reject) => {
    let out = '';
    parent.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    parent.once('exit', (code) => reject(new Error(`parent exited early (${code}): ${out}`)));
  });
  expect(alive(azuritePid)).toBe(true);

  parent.removeAllListeners('exit');
  parent.kill('SIGKILL');
  const deadline = Date.now() + 15_000;
  while (alive(azuritePid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(alive(azuritePid)).toBe(false);

  const again = await startAzurite({ location });
  try {
    const table = TableClient.fromConnectionString(again.connectionString, 'Lifetime', { allowInsecureConnection: true });
    expect((await table.getEntity<{ value: string }>('p', 'r')).value).toBe('kept');
  } finally {
    await again.stop();
  }
});
