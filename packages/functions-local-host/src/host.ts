import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startAzurite, type AzuriteProcess } from './azurite.js';
import type { FunctionInvoker, RouteHandler } from './contracts.js';
import type { DurableClock } from './durable/clock.js';
import { createDurableEngine, type LocalDurableEngine } from './durable/engine.js';
import { resolveDurableSettings, type DurableTaskHostJson } from './durable/settings.js';
import { resolveHostKey } from './http/hostKey.js';
import { createHttpTriggerHandler, httpRoutes, type HttpRoute } from './http/httpTriggers.js';
import { sendJson } from './nodeHttp.js';
import { loadWarning } from './support.js';
import { loadApp } from './worker/loadApp.js';

export type HostLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface HostOptions {
  appDir: string;
  /** 0 picks a free port. */
  port: number;
  /** Where Azurite data and the host key live; default `<appDir>/.devhost/`. Ignored with `inMemory`. */
  dataDir?: string;
  /** Keeps no state: in-memory Azurite and a fresh host key. */
  inMemory?: boolean;
  /** Tried before the Durable API and the HTTP triggers (Graph emulator, `/_dev` endpoints). */
  extraRoutes?: RouteHandler[];
  /** App settings; they override the process environment and local.settings.json. */
  env?: Record<string, string>;
  /** A fixed key for `function`/`admin` triggers instead of the generated one. */
  hostKey?: string;
  /** The Durable engine's time; a `TimeSkippingClock` lets a test run long timers at once. */
  clock?: DurableClock;
  log?: HostLog;
}

export interface RunningHost {
  url: string;
  port: number;
  hostKey: string;
  invoker: FunctionInvoker;
  routes: HttpRoute[];
  /** The Durable Task part, when the app registered orchestrations or activities (counters for benchmarks). */
  engine?: LocalDurableEngine;
  stop(): Promise<void>;
}

interface HostJson {
  extensions?: {
    http?: { routePrefix?: string };
    durableTask?: DurableTaskHostJson;
  };
}

const DURABLE_TRIGGERS = new Set(['orchestrationtrigger', 'activitytrigger', 'entitytrigger']);

const consoleLog: HostLog = (level, message) => {
  const write = level === 'error' ? console.error : level === 'warn' ? console.warn : console.log;
  write(message);
};

/**
 * Runs a Node.js v4-programming-model app like Azure Functions does locally: worker, HTTP triggers,
 * Durable Task extension and storage on one loopback port (DESIGN.md §7).
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const log = options.log ?? consoleLog;
  const appDir = path.resolve(options.appDir);
  const dataDir = options.inMemory ? undefined : path.resolve(options.dataDir ?? path.join(appDir, '.devhost'));
  const hostJson = readJson<HostJson>(path.join(appDir, 'host.json')) ?? {};

  let route: RouteHandler = async (_req, res) => {
    sendJson(res, 503, { error: 'Starting' });
    return true;
  };
  const servers = await listenOnLoopback(options.port, (req, res) => void serve(req, res, route, log));
  const port = (servers[0]!.address() as AddressInfo).port;
  const baseUrl = `http://localhost:${port}`;

  let azurite: AzuriteProcess | undefined;
  let engine: LocalDurableEngine | undefined;
  let invoker: FunctionInvoker | undefined;
  let stopping: Promise<void> | undefined;
  // The engine stops first: its activities may still call back into this server (Graph emulator).
  const stop = () =>
    (stopping ??= (async () => {
      await engine?.stop();
      await Promise.all(servers.map(closeServer));
      await invoker?.terminate();
      await azurite?.stop();
    })());

  // Development storage is this host's own Azurite, started once when a connection asks for it.
  const connectionStringOf = async (given: string | undefined): Promise<string> => {
    if (given && !/UseDevelopmentStorage=true/i.test(given)) return given;
    azurite ??= await startAzurite({ location: dataDir && path.join(dataDir, 'azurite') });
    return azurite.connectionString;
  };

  try {
    applySettings(appDir, options.env ?? {});
    process.env.WEBSITE_HOSTNAME = `localhost:${port}`;
    process.env.AzureWebJobsStorage = await connectionStringOf(process.env.AzureWebJobsStorage);
    const hostKey = resolveHostKey({ key: options.hostKey, dataDir });

    invoker = await loadApp(appDir, log);
    const functions = invoker.functions();
    for (const fn of functions) {
      const warning = loadWarning(fn);
      if (warning) log('warn', warning);
    }
    if (functions.some((fn) => DURABLE_TRIGGERS.has(fn.triggerType.toLowerCase()))) {
      const durable = resolveDurableSettings(hostJson.extensions?.durableTask, process.env);
      for (const warning of durable.warnings) log('warn', warning);
      engine = createDurableEngine({
        invoker,
        storageConnectionString: await connectionStringOf(durable.connectionString),
        taskHubName: durable.taskHubName,
        connectionName: durable.connectionName,
        baseUrl,
        maxConcurrentActivityFunctions: durable.maxConcurrentActivityFunctions,
        clock: options.clock,
        log,
      });
      await engine.start();
    }

    const routePrefix = hostJson.extensions?.http?.routePrefix ?? 'api';
    const triggers = createHttpTriggerHandler({ invoker, routePrefix, hostKey, engine, log });
    const handlers = [...(options.extraRoutes ?? []), ...(engine ? [engine.handleHttp] : []), triggers];
    route = async (req, res, url) => {
      for (const handler of handlers) {
        if (await handler(req, res, url)) return true;
      }
      // Azure answers an unmatched route or method with a bare 404; the body only helps a developer.
      sendJson(res, 404, { error: { code: 'NotFound', message: `Nothing is served at ${req.method ?? 'GET'} ${url.pathname}.` } });
      return true;
    };
    return { url: baseUrl, port, hostKey, invoker, routes: httpRoutes(functions, routePrefix), engine, stop };
  } catch (error) {
    await stop().catch((stopError: unknown) => log('error', `Stopping after a failed start also failed: ${String(stopError)}`));
    throw error;
  }
}

/**
 * Explicit settings win; local.settings.json `Values` fill only what the environment lacks, like
 * Core Tools does.
 */
function applySettings(appDir: string, env: Record<string, string>): void {
  const localSettings = readJson<{ Values?: Record<string, unknown> }>(path.join(appDir, 'local.settings.json'));
  for (const [name, value] of Object.entries(localSettings?.Values ?? {})) {
    if (process.env[name] === undefined && value !== null && value !== undefined) process.env[name] = String(value);
  }
  Object.assign(process.env, env);
}

function readJson<T>(file: string): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

async function serve(req: IncomingMessage, res: ServerResponse, route: RouteHandler, log: HostLog): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  try {
    await route(req, res, url);
  } catch (error) {
    log('error', `Request ${req.method ?? 'GET'} ${url.pathname} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (!res.headersSent) sendJson(res, 500, { error: 'InternalServerError' });
    else res.destroy();
  }
}

/** Listens on 127.0.0.1 and, when the machine has IPv6, on ::1 with the same port (`localhost` may resolve to either). */
async function listenOnLoopback(port: number, handler: http.RequestListener): Promise<http.Server[]> {
  const ipv4 = http.createServer(handler);
  await listen(ipv4, port, '127.0.0.1');
  const chosenPort = (ipv4.address() as AddressInfo).port;
  const ipv6 = http.createServer(handler);
  try {
    await listen(ipv6, chosenPort, '::1');
    return [ipv4, ipv6];
  } catch {
    return [ipv4];
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

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
