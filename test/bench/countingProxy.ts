import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of Azurite that counts Table Storage operations by table, so a
 * benchmark can report storage calls per request without touching the code under test.
 */
export interface CountingProxy {
  url: string;
  /** Operations per table name (`$batch` counted once, as one billed transaction). */
  counts(): Map<string, number>;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const targetUrl = new URL(target);
  const counts = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const table = tableOf(req.url ?? '/');
    counts.set(table, (counts.get(table) ?? 0) + 1);
    const upstream = http.request(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: { ...req.headers, host: targetUrl.host }, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => new Map(counts),
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `/devstoreaccount1/Table(PartitionKey='x',...)?...` → `Table`; `$batch` → `$batch`. */
function tableOf(url: string): string {
  const segment = url.split('?')[0].split('/').filter(Boolean)[1] ?? '';
  return decodeURIComponent(segment.replace(/\(.*$/, '')) || '(account)';
}
