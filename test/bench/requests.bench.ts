import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectionStringFor, freePort, startAzurite, startHost, type RouteHandler } from '@guest-email-change/functions-local-host';
import { createDevEndpoints, createDevTokenIssuer, createGraphEmulator, createTenantEasyAuth } from '@guest-email-change/graph-emulator';
import { startCountingProxy } from './countingProxy.js';

/**
 * `npm run bench [-- --n 200 --concurrency 20]`: pushes N requests through
 * submit → approve → Completed on the local host (real app, real durable-functions, Azurite,
 * Graph emulator with its real /invitations throttle) and prints throughput, latencies and the
 * Graph and Table Storage calls each request costs.
 */

const { values } = parseArgs({ options: { n: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '20' } } });
const N = Number(values.n);
const CONCURRENCY = Number(values.concurrency);
const appDir = path.resolve(__dirname, '../../..');

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (v: number) => `${v.toFixed(0)} ms`;

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

async function main() {
  const azurite = await startAzurite();
  const proxy = await startCountingProxy(azurite.tableEndpoint.replace(/\/devstoreaccount1$/, ''));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const sample = JSON.parse(fs.readFileSync(path.join(appDir, 'local.settings.sample.json'), 'utf8')).Values as Record<string, string>;
  const env: Record<string, string> = {};
  // The sample's app (7071) and Graph emulator (7072) URLs both move to the one port.
  for (const [k, v] of Object.entries(sample)) env[k] = String(v).split('http://localhost:7071').join(base).split('http://localhost:7072').join(base);
  Object.assign(env, {
    AzureWebJobsStorage: connectionStringFor(`${proxy.url}/devstoreaccount1`),
    RATE_LIMIT_PER_SOURCE: String(N * 10),
    RATE_LIMIT_PER_TARGET: '100',
  });

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
  env.WEBSITE_AUTH_ENABLED = 'True';
  const host = await startHost({
    appDir,
    port,
    inMemory: true,
    env,
    extraRoutes: [easyAuth.handle, createDevEndpoints({ emulator, tokenIssuer, easyAuth }), countingGraph],
    log: (level, message) => level === 'error' && console.error(message),
  });

  const sponsor = emulator.addUser({ displayName: 'Bench Sponsor', mail: 'bench.sponsor@contoso.com', userType: 'Member' }) as { id: string };
  const guests = Array.from({ length: N }, (_, i) => {
    const guest = emulator.addUser({ displayName: `Bench Guest ${i}`, mail: `bench.${i}@fabrikam.example`, userType: 'Guest', sponsors: [sponsor.id] }) as { id: string; mail: string };
    return { ...guest, newEmail: `bench.${i}@northwind.example` };
  });
  const tablesBefore = proxy.counts();
  const graphBefore = new Map(graphCalls);

  const memory = { peak: 0 };
  const sampler = setInterval(() => (memory.peak = Math.max(memory.peak, process.memoryUsage().rss)), 100);
  const started = Date.now();
  const submitLatency: number[] = [];
  const approveToCompleted: number[] = [];
  const requestIds = new Map<string, string>();

  await inParallel(guests, CONCURRENCY, async (guest) => {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ currentEmail: guest.mail, newEmail: guest.newEmail, reason: 'MovedCompany' }),
    });
    submitLatency.push(performance.now() - t0);
    if (res.status !== 202) throw new Error(`submit ${res.status}: ${await res.text()}`);
    requestIds.set(guest.mail, ((await res.json()) as { requestId: string }).requestId);
  });
  const submitted = Date.now();

  // Approve as the approver would: signed in, open the emailed link, post the form.
  const cookie = easyAuth.signIn({ mail: 'bench.sponsor@contoso.com' })!.setCookie.split(';')[0]!;
  const approved = new Set<string>();
  const approvedAt = new Map<string, number>();
  const completedAt = new Map<string, number>();
  const deadline = Date.now() + 15 * 60_000;
  while (completedAt.size < N && Date.now() < deadline) {
    const outbox = emulator.outbox();
    const pending = outbox.filter((m) => m.to.includes('bench.sponsor@contoso.com') && m.links.some((l) => l.includes('/api/approvals/')) && !approved.has(m.id));
    await inParallel(pending, CONCURRENCY, async (mail) => {
      approved.add(mail.id);
      const link = mail.links.find((l) => l.includes('/api/approvals/'))!;
      const requestId = /approvals\/([0-9a-f-]{36})\./.exec(link)![1];
      const page = await (await fetch(link, { headers: { cookie } })).text();
      const csrf = /name="csrf"\s+value="([^"]+)"/.exec(page)?.[1] ?? /value="([^"]+)"\s+name="csrf"/.exec(page)?.[1] ?? '';
      approvedAt.set(requestId, performance.now());
      const res = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams({ decision: 'approve', csrf }).toString() });
      if (res.status !== 200) throw new Error(`approve ${res.status}`);
    });
    for (const mail of outbox) {
      const guest = guests.find((g) => mail.to.includes(g.newEmail));
      const id = guest && requestIds.get(guest.mail);
      if (id && !completedAt.has(id) && approvedAt.has(id)) {
        completedAt.set(id, performance.now());
        approveToCompleted.push(performance.now() - approvedAt.get(id)!);
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const finished = Date.now();
  clearInterval(sampler);

  const tableOps = [...proxy.counts()].map(([table, count]) => [table, count - (tablesBefore.get(table) ?? 0)] as const).filter(([, c]) => c > 0);
  const totalTableOps = tableOps.reduce((sum, [, c]) => sum + c, 0);
  const graphOps = [...graphCalls].map(([shape, count]) => [shape, count - (graphBefore.get(shape) ?? 0)] as const).filter(([, c]) => c > 0);
  const totalGraph = graphOps.reduce((sum, [, c]) => sum + c, 0);
  submitLatency.sort((a, b) => a - b);
  approveToCompleted.sort((a, b) => a - b);

  console.log(`\nRequests: ${N} (concurrency ${CONCURRENCY}), completed ${completedAt.size}, on Node ${process.version}`);
  console.log(`Throughput: ${((completedAt.size / (finished - started)) * 1000).toFixed(1)} requests/s end to end (submit phase ${((N / (submitted - started)) * 1000).toFixed(1)}/s)`);
  console.log(`POST /api/requests latency: p50 ${ms(percentile(submitLatency, 50))}, p95 ${ms(percentile(submitLatency, 95))}`);
  console.log(`Approve → Completed latency: p50 ${ms(percentile(approveToCompleted, 50))}, p95 ${ms(percentile(approveToCompleted, 95))}`);
  console.log(`Graph calls per request: ${(totalGraph / N).toFixed(1)}`);
  for (const [shape, count] of graphOps.sort((a, b) => b[1] - a[1])) console.log(`  ${(count / N).toFixed(2).padStart(6)}  ${shape}`);
  console.log(`Table Storage operations per request: ${(totalTableOps / N).toFixed(1)} (an entity-group $batch counts once)`);
  for (const [table, count] of tableOps.sort((a, b) => b[1] - a[1])) console.log(`  ${(count / N).toFixed(2).padStart(6)}  ${table}`);
  console.log(`Peak RSS of the host process: ${(memory.peak / 1024 / 1024).toFixed(0)} MiB`);

  await host.stop();
  await proxy.close();
  await azurite.stop();
  if (completedAt.size < N) {
    console.error(`Only ${completedAt.size} of ${N} requests completed.`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
