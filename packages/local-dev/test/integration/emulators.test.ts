import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/**
 * `npm run emulators`' program as a child process (as beside Core Tools): Azurite's three
 * services and the emulated tenant's dev endpoints on its own port, then a clean stop on SIGINT.
 * Free ports instead of the defaults (10000–10002, 7072), which another Azurite may hold.
 */

const repoRoot = path.resolve(__dirname, '../../../..');
const program = path.join(repoRoot, 'packages/local-dev/dist/emulators.js');

let child: ChildProcess;
let output = '';
let exited: Promise<number | null>;
let graph: string;
const azurite: Record<'blob' | 'queue' | 'table', string> = { blob: '', queue: '', table: '' };

beforeAll(async () => {
  const { AzureWebJobsStorage: _storage, ...env } = process.env;
  child = spawn(process.execPath, [program, '--in-memory', '--graph-port', '0', '--blob-port', '0', '--queue-port', '0', '--table-port', '0'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  graph = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /Emulators ready at (http:\/\/\S+)/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  const endpoints = /Azurite: +blob (\S+), queue (\S+), table (\S+)/.exec(output);
  expect(endpoints, output).not.toBeNull();
  [, azurite.blob, azurite.queue, azurite.table] = endpoints!;
});

afterAll(() => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const json = async (method: string, route: string, body?: unknown) => {
  const res = await fetch(graph + route, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.text()) as string };
};

describe('npm run emulators', () => {
  test('prints the URLs and how to run the app with Core Tools', () => {
    for (const route of ['/_dev/outbox', '/_dev/tenant.json', '/_dev/graph/faults', '/_dev/token', '/_dev/jwks.json', '/.auth/login/aad', '/_dev/session']) expect(output).toContain(graph + route);
    expect(output).toContain('func start');
    expect(output).toContain('APPROVER_SIGN_IN=off');
  });

  test("serves the emulated tenant's dev endpoints and Graph on its own port", async () => {
    expect((await json('GET', '/_dev/outbox')).status).toBe(200);
    expect(JSON.parse((await json('GET', '/_dev/outbox.json')).body)).toEqual([]);
    const tenant = JSON.parse((await json('GET', '/_dev/tenant.json')).body) as { users: { mail: string; userType: string }[] };
    expect(tenant.users.some((u) => u.mail === 'adele.vance@fabrikam.com' && u.userType === 'Guest')).toBe(true);
    const token = await json('POST', '/_dev/token', { roles: ['GuestReset.Admin'] });
    expect(token.status).toBe(200);
    expect(JSON.parse(token.body)).toHaveProperty('token');
    expect(JSON.parse((await json('GET', '/_dev/jwks.json')).body).keys).toHaveLength(1);
    const session = await json('POST', '/_dev/session', { mail: 'megan.bowen@contoso.com' });
    expect(session.status).toBe(200);
    expect(session.headers.get('set-cookie')).toContain('AppServiceAuthSession=');
    expect((await json('GET', '/.auth/login/aad')).body).toContain('Megan Bowen');
    expect((await json('POST', '/_dev/graph/faults', { path: '/v1.0/invitations', status: 503, count: 1 })).status).toBeLessThan(300);
    expect((await json('DELETE', '/_dev/graph/faults')).status).toBeLessThan(300);
    const users = await fetch(`${graph}/v1.0/users?$filter=${encodeURIComponent("mail eq 'adele.vance@fabrikam.com'")}`, { headers: { authorization: 'Bearer local-dev-token' } });
    expect(users.status).toBe(200);
    expect(((await users.json()) as { value: unknown[] }).value).toHaveLength(1);
  });

  test("serves Azurite's blob, queue and table services", async () => {
    for (const [service, endpoint] of Object.entries(azurite)) {
      const res = await fetch(`${endpoint}?comp=list`);
      expect(res.headers.get('server') ?? '', service).toMatch(new RegExp(`^Azurite-${service}/`, 'i'));
    }
    const connectionString = /AzureWebJobsStorage=(\S+)/.exec(output)?.[1];
    expect(connectionString).toContain(`BlobEndpoint=${azurite.blob};`);
    const table = TableClient.fromConnectionString(connectionString!, 'EmulatorsCheck', { allowInsecureConnection: true });
    await table.createTable();
    await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 'kept' });
    expect((await table.getEntity<{ value: string }>('p', 'r')).value).toBe('kept');
  });

  test('stops cleanly on SIGINT: exit code 0, every port closed', async () => {
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const url of [graph, azurite.blob, azurite.queue, azurite.table]) {
      const { port } = new URL(url);
      const open = await new Promise<boolean>((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
      expect(open, url).toBe(false);
    }
  });
});
