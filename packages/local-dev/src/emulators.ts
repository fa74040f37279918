import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startAzurite, type AzuriteProcess } from '@guest-email-change/functions-local-host';
import { createEmulatedTenant, serveRoutes, type RunningServer } from '@guest-email-change/graph-emulator';
import { defaultAppDir, localSettings, portArgument, SAMPLE_APP_URL, SAMPLE_GRAPH_URL } from './appSettings.js';

/**
 * `npm run emulators [-- --graph-port 7072] [--blob-port 10000 --queue-port 10001 --table-port 10002]
 * [--in-memory | --data <dir>]`: what the app needs beside Azure Functions Core Tools (`func start`):
 * Azurite with blob, queue and table on the standard ports (so `UseDevelopmentStorage=true`
 * works) and the emulated tenant (Graph, dev endpoints, token issuer, sign-in page) on its own
 * port, the one `local.settings.sample.json` names. Runs until SIGINT/SIGTERM.
 */

const USAGE = 'Usage: npm run emulators -- [--graph-port <port>] [--blob-port <port>] [--queue-port <port>] [--table-port <port>] [--in-memory | --data <dir>]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'graph-port': { type: 'string', default: new URL(SAMPLE_GRAPH_URL).port },
      'blob-port': { type: 'string', default: '10000' },
      'queue-port': { type: 'string', default: '10001' },
      'table-port': { type: 'string', default: '10002' },
      data: { type: 'string' },
      'in-memory': { type: 'boolean', default: false },
      app: { type: 'string' },
    },
  });
  const ports = { graph: portArgument(values['graph-port']), blob: portArgument(values['blob-port']), queue: portArgument(values['queue-port']), table: portArgument(values['table-port']) };
  if (Object.values(ports).some((port) => port === undefined) || (values['in-memory'] && values.data)) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  const appDir = path.resolve(values.app ?? defaultAppDir);
  const dataDir = values['in-memory'] ? undefined : path.resolve(values.data ?? path.join(appDir, '.devhost', 'emulators'));

  const running: { graph?: RunningServer; azurite?: AzuriteProcess } = {};
  let saveTenant = () => {};
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await running.graph?.stop();
      saveTenant();
      await running.azurite?.stop();
    })());
  const shutdown = (signal: string) => {
    console.log(`${signal} received, stopping the emulators...`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('The emulators did not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  try {
    // Settings (token issuer, JWKS) follow the Graph emulator's port, so it is chosen first.
    const graphUrl = `http://localhost:${ports.graph || (await freePort())}`;
    const { env, settings } = localSettings(appDir, { [SAMPLE_GRAPH_URL]: graphUrl });
    const tenant = createEmulatedTenant({
      tenantId: settings.ADMIN_TENANT_ID,
      tokenIssuer: settings.adminIssuer,
      tokenAudience: settings.ADMIN_API_AUDIENCE,
      appRoles: [settings.ADMIN_ROLE],
      stateFile: dataDir && path.join(dataDir, 'graph-emulator.json'),
    });
    saveTenant = () => tenant.save();
    running.graph = await serveRoutes(tenant.routes, { port: Number(new URL(graphUrl).port) });

    running.azurite = await startAzurite({
      location: dataDir && path.join(dataDir, 'azurite'),
      port: ports.table,
      blobAndQueue: { blobPort: ports.blob!, queuePort: ports.queue! },
    });
    const adminToken = await tenant.tokenIssuer.issue({ roles: [settings.ADMIN_ROLE], name: 'Local Admin', preferred_username: 'admin@contoso.com' });
    const appUrl = (env.PUBLIC_BASE_URL || SAMPLE_APP_URL).replace(/\/+$/, '');
    const sampleGraph = graphUrl === SAMPLE_GRAPH_URL;
    console.log(`
Emulators for \`func start\`${dataDir ? ` (state in ${dataDir})` : ' (in memory)'}
  Azurite:       blob ${running.azurite.blobEndpoint}, queue ${running.azurite.queueEndpoint}, table ${running.azurite.tableEndpoint}
                 ${ports.blob === 10000 && ports.queue === 10001 && ports.table === 10002 ? 'standard ports: AzureWebJobsStorage=UseDevelopmentStorage=true works' : `AzureWebJobsStorage=${running.azurite.connectionString}`}
  Graph:         ${graphUrl}/v1.0/ (GRAPH_BASE_URL${sampleGraph ? ', as in local.settings.sample.json' : `=${graphUrl}`})
  Outbox:        ${graphUrl}/_dev/outbox
  Tenant:        ${graphUrl}/_dev/tenant.json (POST /_dev/tenant/users adds a user)
  Faults:        POST|DELETE ${graphUrl}/_dev/graph/faults
  Admin tokens:  POST ${graphUrl}/_dev/token, keys at ${graphUrl}/_dev/jwks.json (ADMIN_JWKS_URI), issuer ${settings.adminIssuer}
  Sign in:       ${graphUrl}/.auth/login/aad, POST ${graphUrl}/_dev/session
  Admin API:     curl -H "Authorization: Bearer $TOKEN" ${appUrl}/api/admin/requests
  Admin token (1 h; POST /_dev/token for another):
    TOKEN=${adminToken}
Run the app beside them with Core Tools: func start (settings from local.settings.json, e.g. a copy of local.settings.sample.json).
${env.APPROVER_SIGN_IN === 'off' ? '' : 'Core Tools plays no App Service Authentication, so no approver can sign in to decide: for a Core Tools run set APPROVER_SIGN_IN=off in local.settings.json (the link alone then decides; never in Azure).\n'}`);
    console.log(`Emulators ready at ${graphUrl}`);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error('The emulators failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
