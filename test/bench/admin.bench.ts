import { startAzurite } from '@guest-email-change/functions-local-host';
import type { EmailChangeRequest, RequestStatus } from '../../src/domain/request.js';
import type { RequestListQuery } from '../../src/store/requestStore.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';

/**
 * `npm run bench:admin` (`ADMIN_BENCH_SIZES=10000,25000` by default): seeds requests straight
 * through the store into one Azurite, growing to each size in turn, and prints p50/p95 of the
 * admin searches at each size, so the figures show whether a search stays flat as requests grow.
 * Requests arrive at a steady `ADMIN_BENCH_PER_MONTH` (default 1000): a tenant's history grows
 * by months, so 25,000 requests span two and a half times the months of 10,000.
 */

const SIZES = (process.env.ADMIN_BENCH_SIZES ?? '10000,25000').split(',').map(Number);
const RUNS = Number(process.env.ADMIN_BENCH_RUNS ?? 200);
const PER_MONTH = Number(process.env.ADMIN_BENCH_PER_MONTH ?? 1000);
const SEED_CONCURRENCY = 32;
const INTERVAL_MS = (30 * 24 * 3600 * 1000) / PER_MONTH;
/** Most end Completed, few Failed. */
const STATUS_MIX: RequestStatus[] = [...Array<RequestStatus>(14).fill('Completed'), 'Declined', 'Declined', 'Rejected', 'Expired', 'AwaitingApproval', 'Failed'];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function seededRequest(i: number, start: number): EmailChangeRequest {
  const submittedAt = new Date(start + Math.floor(i * INTERVAL_MS)).toISOString();
  // Unrelated names starting with any letter or digit, so a prefix search matches a handful of people at any size.
  const person = [...((i * 2654435761) % 2 ** 32).toString(36)].reverse().join('');
  return {
    id: `bench-${i}`,
    // One in a thousand is still Approved: a status so sparse that a page spans every month.
    status: i % 1000 === 999 ? 'Approved' : STATUS_MIX[i % STATUS_MIX.length]!,
    currentEmail: `${person}@fabrikam.example`,
    newEmail: `${person}.new@northwind.example`,
    reason: 'ChangedProvider',
    source: { ip: '198.51.100.7' },
    submittedAt,
    updatedAt: submittedAt,
    guestId: `guest-${i}`,
    approvers: [{ id: 'sponsor', displayName: 'Sponsor', mail: 'sponsor@contoso.example' }],
  };
}

async function main() {
  const azurite = await startAzurite();
  const store = createRequestStoreFromTables(createStoreTables({ connectionString: azurite.connectionString, tableNamePrefix: 'AdminBench' }));
  const start = Date.parse('2023-01-01T00:00:00Z');
  let seeded = 0;
  console.log(`Admin search latency through the store (Azurite, ${PER_MONTH} requests a month), ${RUNS} runs per search, on Node ${process.version}`);
  for (const size of SIZES) {
    const seedStarted = Date.now();
    let next = seeded;
    await Promise.all(
      Array.from({ length: SEED_CONCURRENCY }, async () => {
        while (next < size) {
          const request = seededRequest(next++, start);
          await store.createRequest(request, { requestId: request.id, id: 'created', at: request.submittedAt, type: 'Received', actor: 'requester' });
        }
      }),
    );
    seeded = size;
    console.log(`\n${size} requests stored (seeded in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s)`);
    const searches: [string, (run: number) => RequestListQuery][] = [
      ['list, newest first (top 50)', () => ({})],
      ['status=Failed (1 in 20)', () => ({ statuses: ['Failed'] })],
      ['status=Approved (1 in 1000)', () => ({ statuses: ['Approved'] })],
      ['status=Completed,Declined', () => ({ statuses: ['Completed', 'Declined'] })],
      ['email, one person by prefix', (run) => ({ email: seededRequest((run * 97) % size, start).currentEmail.slice(0, 5) })],
      ['email, a new address exactly', (run) => ({ email: seededRequest((run * 89) % size, start).newEmail })],
    ];
    for (const [name, queryFor] of searches) {
      const times: number[] = [];
      let found = 0;
      for (let run = -10; run < RUNS; run++) {
        const began = performance.now();
        const page = await store.listRequests(queryFor(Math.abs(run)));
        if (run >= 0) times.push(performance.now() - began);
        found += page.items.length;
      }
      times.sort((a, b) => a - b);
      const p = (n: number) => `${percentile(times, n).toFixed(1)} ms`;
      console.log(`  ${name.padEnd(32)} p50 ${p(50).padStart(9)}  p95 ${p(95).padStart(9)}  (${(found / (RUNS + 10)).toFixed(1)} items a page)`);
    }
  }
  await azurite.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
