import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { OutboxMessage } from '@guest-email-change/graph-emulator';
import { responseChecker } from './openApi.js';

export type { OutboxMessage };

const repoRoot = path.resolve(__dirname, '../../..');

export interface LocalApp {
  url: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Kills the process without a chance to clean up (a crash). */
  kill(): Promise<void>;
  json<T = unknown>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: T }>;
  adminToken(roles?: string[]): Promise<string>;
  outbox(): Promise<OutboxMessage[]>;
  addUser(user: Record<string, unknown>): Promise<{ id: string; mail: string; displayName: string }>;
}

/**
 * Runs the product the way a developer does (`npm start`), as a real child process: the compiled
 * app on the local host with Azurite and the Graph emulator. Needs `npm run build` first (which
 * `npm test` does).
 */
export async function startLocalApp(options: { env?: Record<string, string>; args?: string[]; port?: number } = {}): Promise<LocalApp> {
  const args = [path.join(repoRoot, 'packages/local-dev/dist/start.js'), '--port', String(options.port ?? 0), ...(options.args ?? ['--in-memory'])];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local app did not start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Host ready at (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local app exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const app: LocalApp = {
    url,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async json(method, route, body, headers = {}) {
      const res = await fetch(url + route, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      // Every admin answer a test gets is checked against the OpenAPI document, whoever asked.
      if (new URL(route, url).pathname.startsWith('/api/admin/')) (await responseChecker(app))(method, route, { status: res.status, headers: res.headers, body: parsed });
      return { status: res.status, headers: res.headers, body: parsed as never };
    },
    async adminToken(roles = ['GuestReset.Admin']) {
      const res = await app.json<{ token: string }>('POST', '/_dev/token', { roles });
      if (res.status !== 200 && res.status !== 201) throw new Error(`token: ${res.status}`);
      return res.body.token;
    },
    async outbox() {
      return (await app.json<OutboxMessage[]>('GET', '/_dev/outbox.json')).body;
    },
    async addUser(user) {
      const res = await app.json<{ id: string; mail: string; displayName: string }>('POST', '/_dev/tenant/users', user);
      if (res.status >= 300) throw new Error(`addUser: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
  return app;
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
