import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through proxy in front of Azurite's Table endpoint that can hold back the app's reads of
 * some tables until the test lets them go: a test then knows what the app has done before a given
 * store call answered, without timing anything.
 */
export interface StorageGate {
  /** The Azurite connection string with its Table endpoint replaced by the proxy. */
  connectionString: string;
  /** From now on, requests whose path contains `tableNamePart` wait until `release()`. */
  hold(tableNamePart: string): HeldRequests;
  close(): Promise<void>;
}

export interface HeldRequests {
  /** How many requests are waiting now. */
  readonly waiting: number;
  /** Lets every waiting request through and stops holding. */
  release(): void;
}

export async function startStorageGate(connectionString: string): Promise<StorageGate> {
  const tableEndpoint = new URL(/TableEndpoint=([^;]+)/.exec(connectionString)![1]!);
  let holding: { part: string; waiting: (() => void)[] } | undefined;

  const server = http.createServer((req, res) => {
    const forward = () => {
      const upstream = http.request({ host: tableEndpoint.hostname, port: tableEndpoint.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.once('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (holding && decodeURIComponent(req.url ?? '').includes(holding.part)) holding.waiting.push(forward);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(tableEndpoint.pathname, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);

  return {
    connectionString: connectionString.replace(/TableEndpoint=[^;]+/, `TableEndpoint=${proxied.href.replace(/\/$/, '')}`),
    hold(tableNamePart) {
      const current = { part: tableNamePart, waiting: [] as (() => void)[] };
      holding = current;
      return {
        get waiting() {
          return current.waiting.length;
        },
        release() {
          if (holding === current) holding = undefined;
          current.waiting.splice(0).forEach((forward) => forward());
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
