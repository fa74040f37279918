import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
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

/** What `azurite.pid` in the data folder records: the Azurite process and the process that started it. */
interface PidFileEntry {
  pid: number;
  owner?: number;
}

function readPidFile(pidFile: string): PidFileEntry | undefined {
  if (!fs.existsSync(pidFile)) return undefined;
  const text = fs.readFileSync(pidFile, 'utf8').trim();
  try {
    const entry = JSON.parse(text) as PidFileEntry | number;
    // Older hosts wrote the bare pid.
    if (typeof entry === 'number') return Number.isInteger(entry) && entry > 0 ? { pid: entry } : undefined;
    return Number.isInteger(entry.pid) && entry.pid > 0 ? entry : undefined;
  } catch {
    return undefined;
  }
}

interface ProcessInfo {
  ppid?: number;
  /** The command line, when the platform tells it. */
  command?: string;
}

/** A live process's parent and command line (from /proc, or `ps` elsewhere); undefined when it is not running. */
function processInfo(pid: number): ProcessInfo | undefined {
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || state === 'X') return undefined;
      return { ppid: Number(ppid), command: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ') };
    } catch {
      return undefined;
    }
  }
  if (!isAlive(pid)) return undefined;
  try {
    const line = execFileSync('ps', ['-o', 'ppid=,command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const match = /^(\d+)\s+(.*)$/s.exec(line);
    return match ? { ppid: Number(match[1]), command: match[2] } : {};
  } catch {
    return {};
  }
}

/**
 * A host killed without warning may leave its Azurite still saving (it stops itself once its
 * host is gone, see the bootstrap in `startAzurite`). Wait for that one to finish (a SIGINT makes
 * it save and exit if it has not noticed yet) before a new Azurite opens the same folder. A pid
 * that now names another program is left alone; an Azurite whose host is still running means the
 * folder is in use.
 */
async function stopOrphan(pidFile: string, location: string): Promise<void> {
  const entry = readPidFile(pidFile);
  const info = entry && entry.pid !== process.pid ? processInfo(entry.pid) : undefined;
  const ours = info !== undefined && (info.command === undefined || (info.command.includes('azurite') && info.command.includes(location)));
  if (entry && info && ours) {
    const owner = entry.owner;
    if (owner !== undefined && owner !== process.pid && info.ppid === owner && isAlive(owner)) {
      throw new Error(`The Azurite data folder ${location} is in use by process ${owner}, which is still running; stop it or use another data folder.`);
    }
    await stopGracefully(entry.pid);
  }
  fs.rmSync(pidFile, { force: true });
}

/**
 * Runs in the Azurite process before Azurite itself (`-e` mode, so argv[1] is Azurite's script and
 * Azurite sees its usual argv). Azurite saves its database every 5 s and on SIGINT, so it must
 * neither die with its host nor outlive it:
 * - it runs in its own process group (`detached`), so a kill of the host's group (`kill -9 -PGID`,
 *   a closed terminal) does not reach it;
 * - when the host is gone (its end of the stdin pipe closes, or the parent pid changes) it sends
 *   itself the SIGINT on which Azurite saves and stops;
 * - Azurite listens for one SIGINT only, and a second one would kill it mid-save, so later ones are
 *   absorbed; stdin is let go so the process can end, and should something still hold it open
 *   once Azurite has saved, it exits after 30 s.
 */
const BOOTSTRAP = [
  'const parent = process.ppid;',
  'let stopping = false;',
  "const stop = () => { if (!stopping) process.kill(process.pid, 'SIGINT'); };",
  'const watch = setInterval(() => { if (process.ppid !== parent) stop(); }, 500);',
  'watch.unref();',
  "process.on('SIGINT', () => {",
  '  if (stopping) return;',
  '  stopping = true;',
  '  clearInterval(watch);',
  '  process.stdin.destroy();',
  '  setTimeout(() => process.exit(0), 30000).unref();',
  '});',
  "process.stdin.on('end', stop);",
  "process.stdin.on('error', stop);",
  'process.stdin.resume();',
  'require(process.argv[1]);',
].join('\n');

/**
 * Starts Azurite's Table service (the npm package, telemetry off) as a child process on a free
 * port, or with `blobAndQueue` all three services. `location` keeps data on disk; without it the
 * data lives in memory only. The child runs in its own process group and stops itself, after
 * saving, once the process that started it is gone (see `BOOTSTRAP`).
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
    await stopOrphan(pidFile, path.resolve(options.location));
    args.push('--location', path.resolve(options.location));
  } else {
    args.push('--inMemoryPersistence');
  }
  const [script, ...rest] = args;
  const child: ChildProcess = spawn(process.execPath, ['-e', BOOTSTRAP, script, ...rest], {
    cwd: options.location ?? process.cwd(),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    windowsHide: true,
  });
  if (pidFile && child.pid) fs.writeFileSync(pidFile, JSON.stringify({ pid: child.pid, owner: process.pid } satisfies PidFileEntry));
  let output = '';
  const started = new Promise<void>((resolve, reject) => {
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
  try {
    await started;
  } catch (error) {
    // Never leave a half-started Azurite behind.
    if (child.pid && child.exitCode === null && child.signalCode === null) await stopGracefully(child.pid);
    if (pidFile) fs.rmSync(pidFile, { force: true });
    throw error;
  }
  child.removeAllListeners('exit');
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
