import fs from 'node:fs';
import { test } from 'vitest';
import { startTestHost } from './support/startTestHost.js';
test('dbg', async () => {
  const host = await startTestHost('/work/main/test/devhost/apps/durable-basic', { log: (l, m) => console.log(l, m.slice(0, 800)) });
  const gate = '/tmp/dbg/gate-' + Date.now();
  const r = await fetch(`${host.url}/api/start/EventAfterActivity`, { method: 'POST', body: JSON.stringify({ gateFile: gate }) });
  const { id } = await r.json() as any;
  await new Promise((res) => setTimeout(res, 500));
  for (const v of [1, 2]) console.log((await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/Go`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: String(v) })).status);
  await new Promise((res) => setTimeout(res, 500));
  fs.writeFileSync(gate, '');
  await new Promise((res) => setTimeout(res, 1500));
  console.log(await (await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}`)).text());
  await host.stop();
});
