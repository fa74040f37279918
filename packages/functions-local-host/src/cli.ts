import { parseArgs } from 'node:util';
import { startHost, type RunningHost } from './host.js';
import { isTriggerRun } from './support.js';

/**
 * `npm run devhost -- --app <dir> [--port 7071] [--data <dir>] [--in-memory] [--key <key>]`:
 * hosts any Node.js v4-programming-model app directory until SIGINT/SIGTERM/SIGHUP.
 */

const USAGE = 'Usage: node packages/functions-local-host/dist/cli.js --app <dir> [--port <port>] [--data <dir>] [--in-memory] [--key <hostKey>]';

function describeFunctions(host: RunningHost): string[] {
  const lines = ['Functions:'];
  const routes = new Map(host.routes.map((route) => [route.functionName, route]));
  for (const fn of host.invoker.functions()) {
    const route = routes.get(fn.name);
    if (!route) {
      lines.push(`  ${fn.name}: ${fn.triggerType}${isTriggerRun(fn) ? '' : ' (not run by the local host)'}`);
      continue;
    }
    const methods = route.methods.length > 0 ? route.methods.join(',') : 'ALL';
    const keyed = route.authLevel.toLowerCase() !== 'anonymous';
    lines.push(`  ${fn.name}: [${methods}] ${host.url}${route.path}${keyed ? ` (authLevel ${route.authLevel}: needs the host key)` : ''}`);
  }
  if (host.routes.some((route) => route.authLevel.toLowerCase() !== 'anonymous')) {
    lines.push(`Host key (code query or x-functions-key header): ${host.hostKey}`);
  }
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string' },
      port: { type: 'string', default: '7071' },
      data: { type: 'string' },
      'in-memory': { type: 'boolean', default: false },
      key: { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!values.app || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  // Handlers go in before anything is printed: a supervisor may signal as soon as it reads the ready line.
  const started: { host?: RunningHost } = {};
  let stopRequested = false;
  const stopAndExit = (running: RunningHost) => {
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('The host did not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  const shutdown = (signal: string) => {
    if (stopRequested) return;
    stopRequested = true;
    console.log(`${signal} received, stopping the host...`);
    if (started.host) stopAndExit(started.host);
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // A closed terminal: stop as on Ctrl-C rather than die (Azurite would still save, see azurite.ts).
  process.on('SIGHUP', () => shutdown('SIGHUP'));

  const host = await startHost({ appDir: values.app, port, dataDir: values.data, inMemory: values['in-memory'], hostKey: values.key });
  started.host = host;
  if (stopRequested) {
    stopAndExit(host);
    return;
  }
  console.log(describeFunctions(host).join('\n'));
  console.log(`Host ready at ${host.url}`);
}

main().catch((error: unknown) => {
  console.error('The host failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
