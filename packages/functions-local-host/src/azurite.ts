import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import fs from 'node:fs';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Keeps data on disk in this folder; without it the data lives in memory only. */
  location?: string;
  /** The Table service's port; a free one when absent. */
  port?: number;
  /**
   * Also start the Blob and Queue services, on these ports (0 picks a free one). The host itself
   * needs only Table; a Functions host of Microsoft's (Core Tools) needs all three.
   */
  blobAndQueue?: { blobPort: number; queuePort: number };
}

export interface AzuriteProcess {
  /** Connection string for the endpoints started, usable as `AzureWebJobsStorage`. */
  connectionString: string;
  tableEndpoint: string;
  /** With `blobAndQueue` only. */
  blobEndpoint?: string;
  queueEndpoint?: string;
  stop(): Promise<void>;
}

export function connectionStringFor(tableEndpoint: string, others: { blobEndpoint?: string; queueEndpoint?: string } = {}): string {
  const blob = others.blobEndpoint ? `BlobEndpoint=${others.blobEndpoint};` : '';
  const queue = others.queueEndpoint ? `QueueEndpoint=${others.queueEndpoint};` : '';
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};${blob}${queue}TableEndpoint=${tableEndpoint};`;
}

/** Asks the OS for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Azurite saves its database on SIGINT (and every 5 s); SIGTERM would drop the last seconds of
 * writes. So stopping is SIGINT first, SIGKILL only if it hangs.
 */
async function stopGracefully(pid: number): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 15_000))) process.kill(pid, 'SIGKILL');
}

/**
 * A host killed without warning leaves its Azurite running with the data folder open. Stop that
 * orphan (which saves what it holds) before a new Azurite opens the same folder.
 */
async function stopOrphan(pidFile: string): Promise<void> {
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) await stopGracefully(pid);
  fs.rmSync(pidFile, { force: true });
}

/**
 * Starts Azurite's Table service (the npm package, telemetry off) as a child process on a free
 * port, or with `blobAndQueue` all three services. `location` keeps data on disk; without it the
 * data lives in memory only.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteProcess> {
  const require = createRequire(__filename);
  const azuriteDir = path.dirname(require.resolve('azurite/package.json'));
  const port = options.port || (await freePort());
  const others = options.blobAndQueue && { blobPort: options.blobAndQueue.blobPort || (await freePort()), queuePort: options.blobAndQueue.queuePort || (await freePort()) };
  const main = path.join(azuriteDir, others ? 'dist/src/azurite.js' : 'dist/src/table/main.js');
  const args = [main, '--tableHost', '127.0.0.1', '--tablePort', String(port), '--disableTelemetry', '--skipApiVersionCheck', '--loose', '--silent'];
  if (others) args.push('--blobHost', '127.0.0.1', '--blobPort', String(others.blobPort), '--queueHost', '127.0.0.1', '--queuePort', String(others.queuePort));
  // The Table-only entry point says "successfully started"; the all-in-one one starts Table last.
  const ready = others ? /Table service is successfully listening/ : /successfully started/;
  const pidFile = options.location && path.join(options.location, 'azurite.pid');
  if (options.location && pidFile) {
    fs.mkdirSync(options.location, { recursive: true });
    await stopOrphan(pidFile);
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  // Azurite outlives a host killed with SIGKILL unless told: the bootstrap below turns the end of
  // its stdin (the host's end of the pipe closes when the host dies) into the SIGINT on which
  // Azurite saves and stops. Azurite listens for one SIGINT only and a second one (Ctrl-C reaches
  // the whole process group, then the host stops it too) would kill it mid-save, so later ones
  // are absorbed (and stdin let go, so the process can end). In `-e` mode argv[1] is the script,
  // so Azurite sees its usual argv.
  const [script, ...rest] = args;
  const bootstrap = [
    "process.on('SIGINT', () => process.stdin.destroy());",
    "process.stdin.on('end', () => process.kill(process.pid, 'SIGINT'));",
    'process.stdin.resume();',
    'require(process.argv[1]);',
  ].join(' ');
  const child: ChildProcess = spawn(process.execPath, ['-e', bootstrap, script, ...rest], { cwd: options.location ?? process.cwd(), stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  if (pidFile && child.pid) fs.writeFileSync(pidFile, String(child.pid));
  const tableEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const endpoints = others ? { blobEndpoint: `http://127.0.0.1:${others.blobPort}/${AZURITE_ACCOUNT}`, queueEndpoint: `http://127.0.0.1:${others.queuePort}/${AZURITE_ACCOUNT}` } : {};
  return {
    tableEndpoint,
    ...endpoints,
    connectionString: connectionStringFor(tableEndpoint, endpoints),
    stop: async () => {
      if (child.pid && child.exitCode === null && child.signalCode === null) await stopGracefully(child.pid);
      if (pidFile) fs.rmSync(pidFile, { force: true });
    },
  };
}
