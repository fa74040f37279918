import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startHost, type RunningHost } from '@guest-email-change/functions-local-host';
import { createEmulatedTenant } from '@guest-email-change/graph-emulator';
import { defaultAppDir, localSettings, portArgument, SAMPLE_APP_URL, SAMPLE_GRAPH_URL } from './appSettings.js';

/**
 * `npm start [-- --port <n>] [--in-memory] [--data <dir>] [--app <dir>]`: the product on the
 * Functions local host with Azurite, and the emulated tenant (Graph, sign-in emulation, dev
 * endpoints) on the host's own port, with working local settings (`local.settings.json` if
 * present, else `local.settings.sample.json`; the environment wins).
 */

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '7071' },
      data: { type: 'string' },
      'in-memory': { type: 'boolean', default: false },
      app: { type: 'string' },
    },
  });
  const requested = portArgument(values.port);
  if (requested === undefined) {
    console.error('Usage: npm start -- [--port <port>] [--in-memory] [--data <dir>]');
    process.exitCode = 2;
    return;
  }
  const appDir = path.resolve(values.app ?? defaultAppDir);
  const port = requested === 0 ? await freePort() : requested;
  const inMemory = values['in-memory'];
  const dataDir = inMemory ? undefined : path.resolve(values.data ?? path.join(appDir, '.devhost'));

  // One port for all: the sample's app and Graph emulator URLs both move to it.
  const here = `http://localhost:${port}`;
  const { env, settings } = localSettings(appDir, { [SAMPLE_APP_URL]: here, [SAMPLE_GRAPH_URL]: here });
  const tenant = createEmulatedTenant({
    tenantId: settings.ADMIN_TENANT_ID,
    tokenIssuer: settings.adminIssuer,
    tokenAudience: settings.ADMIN_API_AUDIENCE,
    appRoles: [settings.ADMIN_ROLE],
    stateFile: dataDir && path.join(dataDir, 'graph-emulator.json'),
  });
  // The local host plays App Service Authentication as deployed with a sign-in app registration:
  // always on (whatever APPROVER_SIGN_IN says), over the emulated tenant.
  env.WEBSITE_AUTH_ENABLED = 'True';

  // Signal handlers go in before the host starts; they stop whatever is running by then.
  const running: { host?: RunningHost } = {};
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, stopping...`);
    const done = (code: number) => {
      tenant.save();
      process.exit(code);
    };
    if (!running.host) return done(0);
    running.host.stop().then(
      () => done(0),
      (error: unknown) => {
        console.error('Did not stop cleanly:', error);
        done(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const host = await startHost({ appDir, port, dataDir, inMemory, env, extraRoutes: tenant.routes });
  running.host = host;
  const adminToken = await tenant.tokenIssuer.issue({ roles: [settings.ADMIN_ROLE], name: 'Local Admin', preferred_username: 'admin@contoso.com' });
  const signIn = settings.APPROVER_SIGN_IN === 'off' ? 'approvers do not sign in: APPROVER_SIGN_IN is off' : 'approvers sign in to decide';
  const guests = tenant.emulator
    .snapshot()
    .users.filter((u) => u.userType === 'Guest')
    .map((u) => `    ${String(u.mail).padEnd(36)} ${String(u.displayName)}`);

  console.log(`
Guest sign-in email change, running locally${inMemory ? ' (in memory)' : ` (state in ${dataDir})`}
  Request form:  ${host.url}/api/requests/new
  Outbox:        ${host.url}/_dev/outbox
  Sign in:       ${host.url}/.auth/login/aad (pick a user of the emulated tenant; ${signIn})
  Tenant:        ${host.url}/_dev/tenant.json
  Admin console: ${host.url}/api/admin/ (Sign in, pick a member and tick ${settings.ADMIN_ROLE})
  Admin API:     curl -H "Authorization: Bearer $TOKEN" ${host.url}/api/admin/requests
  Admin token (1 h; POST /_dev/token for another):
    TOKEN=${adminToken}
  Seeded guests (use one as the current email, and a new email outside ${settings.TENANT_VERIFIED_DOMAINS.join(', ')}):
${guests.join('\n')}
  ${settings.REQUIRE_NEW_EMAIL_CONFIRMATION ? 'The new address confirms first (its mail is in the outbox).' : 'REQUIRE_NEW_EMAIL_CONFIRMATION is off: approvers are asked at once.'}
  Approval deadline ${env.APPROVAL_TIMEOUT}, reminder after ${env.APPROVAL_REMINDER_AFTER}.
`);
  // On stdout with the rest, so it is read before "Host ready".
  if (settings.APPROVER_SIGN_IN === 'off') console.log('Warning: APPROVER_SIGN_IN is off: an approval link alone decides, whoever opens it. Keep it required in Azure.\n');
  console.log(`Host ready at ${host.url}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
