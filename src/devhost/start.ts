import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseSettings } from '../config/settings.js';
import { parseIsoDuration } from '../domain/duration.js';
import { freePort } from './azurite.js';
import { createDevEndpoints } from './devEndpoints.js';
import { createGraphEmulator } from './graph-emulator/graphEmulator.js';
import { createDevTokenIssuer } from './graph-emulator/devTokenIssuer.js';
import { startHost, type RunningHost } from './host.js';
import { openEmulatorState } from './emulatorState.js';
import { createTenantEasyAuth } from './tenantSignIn.js';

/**
 * `npm start [-- --port <n>] [--in-memory] [--data <dir>]`: the product on the local host with
 * Azurite, the Graph emulator and the dev endpoints, all on one port, with working local settings
 * (`local.settings.json` if present, else `local.settings.sample.json`; the environment wins).
 */

const appDir = path.resolve(__dirname, '../../..');
const LOCAL_PORT_IN_SAMPLE = 'http://localhost:7071';

function localSettings(port: number): Record<string, string> {
  const own = path.join(appDir, 'local.settings.json');
  const file = fs.existsSync(own) ? own : path.join(appDir, 'local.settings.sample.json');
  const values = (JSON.parse(fs.readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> }).Values ?? {};
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    // The sample's URLs point at the default port; follow the chosen one.
    settings[name] = String(value ?? '').split(LOCAL_PORT_IN_SAMPLE).join(`http://localhost:${port}`);
  }
  for (const name of Object.keys(settings)) {
    const fromEnv = process.env[name];
    if (fromEnv !== undefined) settings[name] = fromEnv;
  }
  // `APPROVAL_TIMEOUT=PT30S npm start` alone must work: the sample's reminder would come after
  // such a deadline, so the reminder follows the timeout (halfway) unless it is given too.
  const timeout = parseIsoDuration(settings.APPROVAL_TIMEOUT ?? '');
  if (process.env.APPROVAL_TIMEOUT !== undefined && process.env.APPROVAL_REMINDER_AFTER === undefined && timeout) {
    const reminder = parseIsoDuration(settings.APPROVAL_REMINDER_AFTER ?? '');
    if (reminder === undefined || reminder >= timeout) settings.APPROVAL_REMINDER_AFTER = `PT${(timeout / 2000).toFixed(3).replace(/\.?0+$/, '')}S`;
  }
  return settings;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '7071' },
      data: { type: 'string' },
      'in-memory': { type: 'boolean', default: false },
    },
  });
  const requested = Number(values.port);
  if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
    console.error('Usage: npm start -- [--port <port>] [--in-memory] [--data <dir>]');
    process.exitCode = 2;
    return;
  }
  const port = requested === 0 ? await freePort() : requested;
  const inMemory = values['in-memory'];
  const dataDir = inMemory ? undefined : path.resolve(values.data ?? path.join(appDir, '.devhost'));

  const env = localSettings(port);
  const settings = parseSettings({ ...process.env, ...env }); // fail here, with every problem named
  const emulator = createGraphEmulator();
  const state = dataDir ? openEmulatorState(emulator, path.join(dataDir, 'graph-emulator.json')) : undefined;
  const tokenIssuer = createDevTokenIssuer({ issuer: settings.adminIssuer, audience: settings.ADMIN_API_AUDIENCE, tenantId: settings.ADMIN_TENANT_ID });
  // The local host plays App Service Authentication as deployed with a sign-in app registration:
  // always on (whatever APPROVER_SIGN_IN says), over the emulated tenant.
  const easyAuth = createTenantEasyAuth(emulator, settings.ADMIN_TENANT_ID);
  env.WEBSITE_AUTH_ENABLED = 'True';
  const devEndpoints = createDevEndpoints({ emulator, tokenIssuer, easyAuth });

  // Signal handlers go in before the host starts; they stop whatever is running by then.
  const running: { host?: RunningHost } = {};
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, stopping...`);
    const done = (code: number) => {
      state?.save();
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

  const host = await startHost({
    appDir,
    port,
    dataDir,
    inMemory,
    env,
    extraRoutes: [easyAuth.handle, ...(state ? [state.handle] : []), devEndpoints, emulator.handle],
  });
  running.host = host;
  const adminToken = await tokenIssuer.issue({ roles: [settings.ADMIN_ROLE], name: 'Local Admin', preferred_username: 'admin@contoso.com' });
  const guests = emulator
    .snapshot()
    .users.filter((u) => u.userType === 'Guest')
    .map((u) => `    ${String(u.mail).padEnd(36)} ${String(u.displayName)}`);

  console.log(`
Guest sign-in email change, running locally${inMemory ? ' (in memory)' : ` (state in ${dataDir})`}
  Request form:  ${host.url}/api/requests/new
  Outbox:        ${host.url}/_dev/outbox
  Sign in:       ${host.url}/.auth/login/aad (pick a user of the emulated tenant; approvers sign in to decide)
  Tenant:        ${host.url}/_dev/tenant.json
  Admin API:     curl -H "Authorization: Bearer $TOKEN" ${host.url}/api/admin/requests
  Admin token (1 h; POST /_dev/token for another):
    TOKEN=${adminToken}
  Seeded guests (use one as the current email, and a new email outside ${settings.TENANT_VERIFIED_DOMAINS.join(', ')}):
${guests.join('\n')}
  Approval deadline ${env.APPROVAL_TIMEOUT}, reminder after ${env.APPROVAL_REMINDER_AFTER}.
`);
  console.log(`Host ready at ${host.url}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
