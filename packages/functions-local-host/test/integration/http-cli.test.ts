import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, inject, test } from 'vitest';
import { freePort } from '../../src/azurite.js';
import { buildCli, cliPath, packageDir } from '../support/buildCli.js';

const appDir = path.join(__dirname, '../apps/http-basic');

interface RunningCli {
  child: ChildProcess;
  output: () => string;
  readyUrl: string;
}

/** Starts the compiled CLI and resolves once it prints its ready line. */
function startCli(args: string[], env: Record<string, string | undefined>): Promise<RunningCli> {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: packageDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^Host ready at (http:\/\/localhost:\d+)$/m.exec(output);
      if (ready) resolve({ child, output: () => output, readyUrl: ready[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`CLI exited with ${code} before it was ready:\n${output}`)));
  });
}

function exitCodeOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** The child's environment without settings a previous host in this process may have set. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const { AzureWebJobsStorage: _storage, WEBSITE_HOSTNAME: _hostname, ...rest } = process.env;
  return { ...rest, ...extra };
}

describe('devhost CLI', () => {
  beforeAll(() => {
    buildCli();
    expect(fs.existsSync(cliPath)).toBe(true);
  });

  test('lists functions, prints one ready line, serves, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const cli = await startCli(['--app', appDir, '--port', String(port), '--in-memory'], cleanEnv({ AzureWebJobsStorage: inject('azuriteConnectionString') }));
    expect(cli.readyUrl).toBe(`http://localhost:${port}`);
    expect(cli.output()).toContain(`hello: [GET] http://localhost:${port}/api/hello/{name?}`);
    expect(cli.output()).toContain('double: sampleTrigger');
    const hostKey = /^Host key \(.*\): (\S+)$/m.exec(cli.output())?.[1];
    expect(hostKey).toBeDefined();
    expect(await (await fetch(`${cli.readyUrl}/api/hello/CLI`)).text()).toBe('Hello, CLI!');
    expect((await fetch(`${cli.readyUrl}/api/secret?code=${hostKey!}`)).status).toBe(200);
    expect(cli.output().match(/Host ready at/g)).toHaveLength(1);

    cli.child.kill('SIGTERM');
    expect(await exitCodeOf(cli.child)).toBe(0);
  });

  test('keeps the host key and its own Azurite data under --data, and stops on SIGINT', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devhost-cli-'));
    const first = await startCli(['--app', appDir, '--port', String(await freePort()), '--data', dataDir], cleanEnv());
    const firstKey = /^Host key \(.*\): (\S+)$/m.exec(first.output())?.[1];
    first.child.kill('SIGINT');
    expect(await exitCodeOf(first.child)).toBe(0);
    expect(fs.readFileSync(path.join(dataDir, 'host-key'), 'utf8').trim()).toBe(firstKey);
    expect(fs.existsSync(path.join(dataDir, 'azurite'))).toBe(true);

    const second = await startCli(['--app', appDir, '--port', String(await freePort()), '--data', dataDir], cleanEnv());
    expect(/^Host key \(.*\): (\S+)$/m.exec(second.output())?.[1]).toBe(firstKey);
    second.child.kill('SIGTERM');
    expect(await exitCodeOf(second.child)).toBe(0);
  });

  test('fails to start, naming the file, when an entry point does not load', async () => {
    const child = spawn(process.execPath, [cliPath, '--app', path.join(__dirname, '../apps/load-error'), '--port', '0', '--in-memory'], {
      cwd: packageDir,
      env: cleanEnv({ AzureWebJobsStorage: inject('azuriteConnectionString') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await exitCodeOf(child)).toBe(1);
    expect(stderr).toContain('The host failed to start: Worker was unable to load entry point "src/broken.js": REPORT_CONTAINER is not set');
  });

  test('refuses to start without --app', async () => {
    const child = spawn(process.execPath, [cliPath], { cwd: packageDir, env: cleanEnv(), stdio: 'ignore' });
    expect(await exitCodeOf(child)).toBe(2);
  });
});
