import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson, type RouteHandler } from './nodeHttp.js';

/**
 * Serves route handlers (e.g. an emulated tenant's) on their own loopback port, for running the
 * emulator beside a Functions host that is not ours (Core Tools' `func start`).
 */

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function serveRoutes(routes: RouteHandler[], options: { port: number; log?: (message: string) => void }): Promise<RunningServer> {
  const log = options.log ?? ((message: string) => console.error(message));
  const handler = (req: IncomingMessage, res: ServerResponse) => void serve(req, res, routes, log);
  const ipv4 = http.createServer(handler);
  await listen(ipv4, options.port, '127.0.0.1');
  const port = (ipv4.address() as AddressInfo).port;
  // `localhost` may resolve to ::1: listen there too when the machine has IPv6.
  const servers = [ipv4];
  const ipv6 = http.createServer(handler);
  await listen(ipv6, port, '::1').then(
    () => servers.push(ipv6),
    () => undefined,
  );
  return {
    url: `http://localhost:${port}`,
    port,
    stop: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, routes: RouteHandler[], log: (message: string) => void): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  try {
    for (const route of routes) {
      if (await route(req, res, url)) return;
    }
    sendJson(res, 404, { error: { code: 'NotFound', message: `Nothing is served at ${req.method ?? 'GET'} ${url.pathname}.` } });
  } catch (error) {
    log(`Request ${req.method ?? 'GET'} ${url.pathname} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (!res.headersSent) sendJson(res, 500, { error: 'InternalServerError' });
    else res.destroy();
  }
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
