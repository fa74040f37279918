import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { cliPath } from './buildCli.js';

/**
 * The host's CLI as a real process on `appDir` with a data folder, for tests that kill it and start
 * it again. It gets the test runner's environment without the shared Azurite, so it starts its own.
 * `detached` makes it the leader of its own process group, like a command started in a terminal.
 */
export async function startHostProcess(options: { appDir: string; port: number; dataDir: string; detached?: boolean }): Promise<ChildProcess> {
  const env = { ...process.env };
  delete env.AzureWebJobsStorage;
  delete env.WEBSITE_HOSTNAME;
  const args = [cliPath, '--app', options.appDir, '--port', String(options.port), '--data', options.dataDir];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Host ready at')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`The host exited (${code}):\n${output}`)));
  });
  child.removeAllListeners('exit');
  return child;
}

/** Whether a process is alive (a zombie waiting for its parent counts as gone), from /proc. */
export function isRunning(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** Waits until the process is gone; false when it still runs after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
