import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectionStringFor, freePort, startAzurite, startHost, type RouteHandler, type RunningHost } from '@guest-email-change/functions-local-host';
import { createDevEndpoints, createDevTokenIssuer, createGraphEmulator, createTenantEasyAuth } from '@guest-email-change/graph-emulator';
import { csrfOf, postLinkForm } from '../e2e/support/flow.js';
import { cpuTime, type CpuTime } from './cpu.js';
import { samplePeakMemory } from './memory.js';
import { countsSince, countTableOperations, HOST_STEP, type TableOperationCounts } from './tableOperations.js';

/**
 * `npm run bench [-- --submissions 200 --rounds 4 --n 200 --concurrency 20]`, on one in-memory Azurite:
 *
 * 1. `POST /api/requests` latency of the floor app (test/bench/floor-app: the same route on the
 *    same local host, doing nothing but `startNew`) and of the product, both running in this
 *    process: `--submissions` at 1, 20 and 50 concurrent, from distinct addresses and from one
 *    shared address (the limiter raised so nothing is refused), in `--rounds` alternating between
 *    the floor and the product, printed as ratios to the floor; and the CPU time each submission
 *    costs, with the background work it starts, in this process and in Azurite.
 * 2. The product's full flow for `--n` requests, `--concurrency` at a time: submit → confirm from
 *    the mail to the new address (DESIGN §2 step 3) → approve as the signed-in sponsor →
 *    `Completed`; Table Storage operations per request by step and by table, Graph calls by route.
 *
 * Then 429s and 500s of every answer, and peak memory of the host process and of Azurite.
 */

const { values } = parseArgs({
  options: { n: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '20' }, submissions: { type: 'string', default: '200' }, rounds: { type: 'string', default: '4' } },
});
const N = Number(values.n);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const SUBMISSIONS = Math.ceil(Number(values.submissions) / ROUNDS) * ROUNDS;
const LATENCY_CONCURRENCIES = [1, 20, 50];
const SOURCES = ['distinct', 'shared'] as const;
type Source = (typeof SOURCES)[number];
/** Submissions per app not measured: the first calls create tables and warm the code paths. */
const WARM_UP = 20;
const SHARED_ADDRESS = '127.0.0.1';
const repoDir = path.resolve(__dirname, '../../..');
const floorDir = path.join(repoDir, 'test/bench/floor-app');

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const fixed = (v: number, digits = 1) => v.toFixed(digits);

interface Answer {
  status: number;
  ms: number;
  retryAfter?: string;
  body: string;
}

/** Every answer of the run, by status, so 429s and 500s are never missed. */
const statuses = new Map<string, number>();

/** POSTs JSON from one loopback address (Linux routes all of 127/8 to lo) on a fresh connection, as every sample does. */
function postJson(url: string, body: unknown, localAddress: string): Promise<Answer> {
  const payload = JSON.stringify(body);
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          statuses.set(`${status}`, (statuses.get(`${status}`) ?? 0) + 1);
          const retryAfter = response.headers['retry-after'];
          resolve({ status, ms: performance.now() - began, body: Buffer.concat(chunks).toString(), ...(retryAfter ? { retryAfter } : {}) });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

let nextAddress = 0;
/** A loopback address no earlier request came from. */
const distinctAddress = () => {
  const n = ++nextAddress;
  return `127.${10 + (n >> 16)}.${(n >> 8) & 255}.${n & 255 || 1}`;
};

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Waits until the host has had nothing to do for half a second, so one scenario's background work does not slow the next. */
async function settle(host: RunningHost): Promise<void> {
  const snapshot = () => JSON.stringify({ ...host.engine!.stats(), unfinishedInstances: 0 });
  let last = snapshot();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = snapshot();
    if (now === last) return;
    last = now;
  }
}

interface Measured {
  p50: number;
  p95: number;
  /** CPU ms per submission, with the background work it started. */
  hostCpuMs: number;
  azuriteCpuMs: number;
}

const expect202 = (answer: Answer) => {
  if (answer.status !== 202) throw new Error(`submit ${answer.status}: ${answer.body}`);
};

/** Not measured: the first calls create tables and warm the code paths. */
async function warmUp(host: RunningHost, body: () => unknown): Promise<void> {
  await inParallel(Array.from({ length: WARM_UP }), 5, async () => expect202(await postJson(`${host.url}/api/requests`, body(), SHARED_ADDRESS)));
  await settle(host);
}

interface Batch {
  /** Each submission's latency, ms. */
  samples: number[];
  /** CPU time the batch cost until the host was idle again: the submissions and the work they started. */
  cpu: CpuTime;
}

/** `count` submissions, `concurrency` at a time; `body()` is a new submission each call. */
async function submitBatch(host: RunningHost, body: () => unknown, count: number, concurrency: number, source: Source): Promise<Batch> {
  const samples: number[] = [];
  const before = cpuTime();
  await inParallel(Array.from({ length: count }), concurrency, async () => {
    const answer = await postJson(`${host.url}/api/requests`, body(), source === 'shared' ? SHARED_ADDRESS : distinctAddress());
    expect202(answer);
    samples.push(answer.ms);
  });
  await settle(host);
  const after = cpuTime();
  return { samples, cpu: { hostMs: after.hostMs - before.hostMs, azuriteMs: after.azuriteMs - before.azuriteMs } };
}

function measuredOf(batches: Batch[]): Measured {
  const sorted = batches.flatMap((batch) => batch.samples).sort((a, b) => a - b);
  const perSubmission = (ms: (cpu: CpuTime) => number) => batches.reduce((sum, batch) => sum + ms(batch.cpu), 0) / sorted.length;
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), hostCpuMs: perSubmission((cpu) => cpu.hostMs), azuriteCpuMs: perSubmission((cpu) => cpu.azuriteMs) };
}

async function main() {
  const azurite = await startAzurite();
  const storage = connectionStringFor(azurite.tableEndpoint);
  const log = (level: string, message: string) => level === 'error' && console.error(message);

  // 1. Both apps on one Azurite, in this process.
  const floorHost = await startHost({ appDir: floorDir, port: 0, inMemory: true, env: { AzureWebJobsStorage: storage }, log });
  const floorMemoryMiB = process.memoryUsage().rss / 2 ** 20;
  const memory = samplePeakMemory();
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const sample = JSON.parse(fs.readFileSync(path.join(repoDir, 'local.settings.sample.json'), 'utf8')).Values as Record<string, string>;
  const env: Record<string, string> = {};
  // The sample's app (7071) and Graph emulator (7072) URLs both move to the one port.
  for (const [k, v] of Object.entries(sample)) env[k] = String(v).split('http://localhost:7071').join(base).split('http://localhost:7072').join(base);
  Object.assign(env, { AzureWebJobsStorage: storage, RATE_LIMIT_PER_SOURCE: '1000000', RATE_LIMIT_PER_TARGET: '100', WEBSITE_AUTH_ENABLED: 'True' });

  const emulator = createGraphEmulator();
  const graphCalls = new Map<string, number>();
  const countingGraph: RouteHandler = async (req, res, url) => {
    if (url.pathname.startsWith('/v1.0/')) {
      const shape = `${req.method} ${url.pathname.replace(/\/v1\.0\//, '/').replace(/[0-9a-f]{8}-[0-9a-f-]{27}|[^/]+@[^/]+/g, '{id}')}`;
      graphCalls.set(shape, (graphCalls.get(shape) ?? 0) + 1);
    }
    return emulator.handle(req, res, url);
  };
  const tokenIssuer = createDevTokenIssuer({ issuer: env.ADMIN_TOKEN_ISSUER, audience: env.ADMIN_API_AUDIENCE, tenantId: env.ADMIN_TENANT_ID });
  const easyAuth = createTenantEasyAuth(emulator, env.ADMIN_TENANT_ID);
  const host = await startHost({ appDir: repoDir, port, inMemory: true, env, extraRoutes: [easyAuth.handle, createDevEndpoints({ emulator, tokenIssuer, easyAuth }), countingGraph], log });
  const counter = countTableOperations([floorHost, host], azurite.tableEndpoint);

  const sponsorMail = 'bench.sponsor@contoso.com';
  const sponsor = emulator.addUser({ displayName: 'Bench Sponsor', mail: sponsorMail, userType: 'Member' }) as { id: string };
  let guestSeq = 0;
  const newGuest = () => {
    const i = guestSeq++;
    const guest = emulator.addUser({ displayName: `Bench Guest ${i}`, mail: `bench.${i}@fabrikam.example`, userType: 'Guest', sponsors: [sponsor.id] }) as { mail: string };
    return { currentEmail: guest.mail, newEmail: `bench.${i}@northwind.example`, reason: 'MovedCompany' };
  };

  let floorSeq = 0;
  const floorSubmission = () => ({ currentEmail: `floor.${floorSeq}@fabrikam.example`, newEmail: `floor.${floorSeq++}@northwind.example`, reason: 'MovedCompany' });
  await warmUp(floorHost, floorSubmission);
  await warmUp(host, newGuest);
  const submitOpsBefore = counter.counts();
  const latencies: { concurrency: number; source: Source; floor: Measured; product: Measured }[] = [];
  for (const concurrency of LATENCY_CONCURRENCIES) {
    for (const source of SOURCES) {
      // In rounds, floor then product, so a change in the machine's other load falls on both.
      const floor: Batch[] = [];
      const product: Batch[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        floor.push(await submitBatch(floorHost, floorSubmission, SUBMISSIONS / ROUNDS, concurrency, source));
        product.push(await submitBatch(host, newGuest, SUBMISSIONS / ROUNDS, concurrency, source));
      }
      latencies.push({ concurrency, source, floor: measuredOf(floor), product: measuredOf(product) });
    }
  }
  const submitSteps = countsSince(submitOpsBefore, counter.counts()).get('submitRequest') ?? new Map<string, number>();
  const measuredSubmissions = SUBMISSIONS * latencies.length;
  await floorHost.stop();

  // 2. The full flow.
  const finished = new Map<string, (output: string) => void>();
  host.engine!.onInstanceFinished((record) => finished.get(record.instanceId)?.(String(record.output)));
  const waiters = new Map<string, (link: string) => void>();
  let seenMails = 0;
  const mailWatch = setInterval(() => {
    const outbox = emulator.outbox();
    for (const mail of outbox.slice(seenMails)) {
      for (const link of mail.links) {
        const kind = /\/api\/(confirmations|approvals)\/([0-9a-f-]{36})\./.exec(link);
        if (kind) waiters.get(`${kind[1]}/${kind[2]}`)?.(link);
      }
    }
    seenMails = outbox.length;
  }, 50);
  const linkFor = (kind: 'confirmations' | 'approvals', requestId: string) => new Promise<string>((resolve) => waiters.set(`${kind}/${requestId}`, resolve));

  const cookie = easyAuth.signIn({ mail: sponsorMail })!.setCookie.split(';')[0]!;
  const tablesBefore = counter.counts();
  const graphBefore = new Map(graphCalls);
  const endToEnd: number[] = [];
  const outcomes = new Map<string, number>();
  const flowStarted = performance.now();
  await inParallel(Array.from({ length: N }), CONCURRENCY, async () => {
    const began = performance.now();
    const submitted = await postJson(`${base}/api/requests`, newGuest(), distinctAddress());
    if (submitted.status !== 202) throw new Error(`submit ${submitted.status}: ${submitted.body}`);
    const { requestId } = JSON.parse(submitted.body) as { requestId: string };
    const outcome = new Promise<string>((resolve) => finished.set(requestId, resolve));
    const approvalLink = linkFor('approvals', requestId);
    const confirmed = await postLinkForm(await linkFor('confirmations', requestId));
    if (confirmed.status !== 200) throw new Error(`confirm ${confirmed.status}`);
    // Approve as the approver would: signed in, open the emailed link, post the form.
    const link = await approvalLink;
    const csrf = csrfOf(await (await fetch(link, { headers: { cookie } })).text()) ?? '';
    const approved = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams({ decision: 'approve', csrf }).toString() });
    if (approved.status !== 200) throw new Error(`approve ${approved.status}`);
    const output = await outcome;
    outcomes.set(output, (outcomes.get(output) ?? 0) + 1);
    endToEnd.push(performance.now() - began);
  });
  const flowSeconds = (performance.now() - flowStarted) / 1000;
  clearInterval(mailWatch);
  const flowTables = countsSince(tablesBefore, counter.counts());
  const flowGraph = [...graphCalls].map(([shape, count]) => [shape, count - (graphBefore.get(shape) ?? 0)] as const).filter(([, c]) => c > 0);
  await host.stop();
  counter.stop();
  const peak = memory.stop();
  await azurite.stop();

  // The report.
  console.log(`\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${fixed(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; in-memory Azurite`);
  console.log(`\nPOST /api/requests, ${SUBMISSIONS} submissions per row and app in ${ROUNDS} alternating rounds, ms (ratio = product / floor)`);
  console.log('  concurrency  source    floor p50 / p95   product p50 / p95   ratio p50 / p95');
  for (const { concurrency, source, floor, product } of latencies) {
    const cells = [`${concurrency}`.padStart(11), source.padEnd(8), `${fixed(floor.p50, 0)} / ${fixed(floor.p95, 0)}`.padStart(17), `${fixed(product.p50, 0)} / ${fixed(product.p95, 0)}`.padStart(19)];
    console.log(`  ${cells.join('  ')}   ${fixed(product.p50 / floor.p50, 2)}× / ${fixed(product.p95 / floor.p95, 2)}×`);
  }
  console.log('\nCPU time per submission, with the work it starts (until the host is idle again), ms: this process (host, Graph emulator, driver) + Azurite');
  console.log('  concurrency  source      floor        product      ratio');
  for (const { concurrency, source, floor, product } of latencies) {
    const cpu = ({ hostCpuMs, azuriteCpuMs }: Measured) => `${fixed(hostCpuMs)} + ${fixed(azuriteCpuMs)}`;
    const total = ({ hostCpuMs, azuriteCpuMs }: Measured) => hostCpuMs + azuriteCpuMs;
    console.log(`  ${`${concurrency}`.padStart(11)}  ${source.padEnd(8)}  ${cpu(floor).padStart(11)}  ${cpu(product).padStart(11)}   ${fixed(total(product) / total(floor), 2)}×`);
  }
  console.log(`  Table Storage operations per submission in the submitRequest function: ${fixed(sumOf(submitSteps) / measuredSubmissions, 2)}`);
  for (const [table, count] of sorted(submitSteps)) console.log(`    ${fixed(count / measuredSubmissions, 2).padStart(6)}  ${table}`);

  endToEnd.sort((a, b) => a - b);
  console.log(`\nFull flow: ${N} requests, ${CONCURRENCY} at a time (submit → confirm → approve → end): ${[...outcomes].map(([o, c]) => `${c} ${o}`).join(', ')}`);
  console.log(`  ${fixed(N / flowSeconds)} requests/s; submit to end p50 ${fixed(percentile(endToEnd, 50), 0)} ms, p95 ${fixed(percentile(endToEnd, 95), 0)} ms`);
  printTableOperations(flowTables);
  const graphTotal = flowGraph.reduce((sum, [, c]) => sum + c, 0);
  console.log(`  Graph calls per request: ${fixed(graphTotal / N)}`);
  for (const [shape, count] of flowGraph.sort((a, b) => b[1] - a[1])) console.log(`    ${fixed(count / N, 2).padStart(6)}  ${shape}`);

  console.log(`\nAnswers to POST /api/requests: ${[...statuses].sort().map(([s, c]) => `${c} × ${s}`).join(', ')}; 429: ${statuses.get('429') ?? 0}, 500: ${statuses.get('500') ?? 0}`);
  console.log(`Peak memory (RSS): host process ${fixed(peak.hostMiB, 0)} MiB (both apps, the Graph emulator and this driver; ${fixed(floorMemoryMiB, 0)} MiB with the floor app alone), Azurite ${fixed(peak.azuriteMiB, 0)} MiB`);

  if ((outcomes.get('"Completed"') ?? 0) < N || statuses.size > 1) process.exitCode = 1;
}

function printTableOperations(counts: TableOperationCounts): void {
  const byTable = new Map<string, number>();
  for (const tables of counts.values()) for (const [table, count] of tables) byTable.set(table, (byTable.get(table) ?? 0) + count);
  const hostOps = sumOf(counts.get(HOST_STEP) ?? new Map<string, number>());
  console.log(`  Table Storage operations per request: ${fixed(sumOf(byTable) / N)}: the app's functions ${fixed((sumOf(byTable) - hostOps) / N)}, the Durable host ${fixed(hostOps / N)} (a $batch, one entity-group transaction, counts once)`);
  console.log('  by table:');
  for (const [table, count] of sorted(byTable)) console.log(`    ${fixed(count / N, 2).padStart(6)}  ${table}`);
  console.log(`  by step (function, or ${HOST_STEP} for the host's own bookkeeping):`);
  for (const [step, tables] of [...counts].sort((a, b) => sumOf(b[1]) - sumOf(a[1]))) {
    console.log(`    ${fixed(sumOf(tables) / N, 2).padStart(6)}  ${step}: ${sorted(tables).map(([table, count]) => `${table} ${fixed(count / N, 2)}`).join(', ')}`);
  }
}

const sumOf = (counts: Map<string, number>) => [...counts.values()].reduce((sum, c) => sum + c, 0);
const sorted = (counts: Map<string, number>) => [...counts].sort((a, b) => b[1] - a[1]);

// Exits when done: `@azure/functions` serves the product's streamed HTTP from a server of its own
// (`enableHttpStream`), which nothing closes: in Azure the host ends the worker's process.
main().then(
  () => process.exit(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
