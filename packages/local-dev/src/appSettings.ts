import fs from 'node:fs';
import path from 'node:path';

/**
 * The app's local settings for `npm start` and `npm run emulators`: `local.settings.json` if
 * present, else `local.settings.sample.json`, with the sample's local URLs moved to the ports in
 * use and the environment winning. Checked by the app's own settings schema, loaded from the app's
 * build output (`dist/src/config/settings.js`; both commands build first), so a setting the app
 * would refuse stops the command with every problem named. This package is the product's local
 * run: it knows the app's layout; the host and the emulator packages do not.
 */

/** In `local.settings.sample.json`: where the app listens under Core Tools, and the Graph emulator's own port. */
export const SAMPLE_APP_URL = 'http://localhost:7071';
export const SAMPLE_GRAPH_URL = 'http://localhost:7072';

/** What this package reads of the app's validated settings. */
export interface AppSettings {
  adminIssuer: string;
  ADMIN_API_AUDIENCE: string;
  ADMIN_TENANT_ID: string;
  ADMIN_ROLE: string;
  TENANT_VERIFIED_DOMAINS: string[];
  APPROVER_SIGN_IN: 'required' | 'off';
  REQUIRE_NEW_EMAIL_CONFIRMATION: boolean;
}

interface AppModules {
  parseSettings(env: Record<string, string | undefined>): AppSettings;
  parseIsoDuration(text: string): number | undefined;
}

/** The app is the workspace root: packages/local-dev/dist/ → ../../.. */
export const defaultAppDir = path.resolve(__dirname, '../../..');

function appModules(appDir: string): AppModules {
  const built = (file: string) => path.join(appDir, 'dist/src', file);
  if (!fs.existsSync(built('config/settings.js'))) throw new Error(`The app is not built (no ${built('config/settings.js')}): run \`npm run build\`.`);
  /* eslint-disable @typescript-eslint/no-require-imports -- the app's build output, found at run time */
  const { parseSettings } = require(built('config/settings.js')) as Pick<AppModules, 'parseSettings'>;
  const { parseIsoDuration } = require(built('domain/duration.js')) as Pick<AppModules, 'parseIsoDuration'>;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { parseSettings, parseIsoDuration };
}

/**
 * The settings to run with; `urls` maps the sample's local URLs to the ones in use (npm start puts
 * both on its one port). Throws the app's own configuration error for bad settings.
 */
export function localSettings(appDir: string, urls: Record<string, string>): { env: Record<string, string>; settings: AppSettings } {
  const { parseSettings, parseIsoDuration } = appModules(appDir);
  const own = path.join(appDir, 'local.settings.json');
  const file = fs.existsSync(own) ? own : path.join(appDir, 'local.settings.sample.json');
  const values = (JSON.parse(fs.readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> }).Values ?? {};
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    let text = String(value ?? '');
    for (const [from, to] of Object.entries(urls)) text = text.split(from).join(to);
    env[name] = text;
  }
  for (const name of Object.keys(env)) {
    const fromEnv = process.env[name];
    if (fromEnv !== undefined) env[name] = fromEnv;
  }
  // `APPROVAL_TIMEOUT=PT30S npm start` alone must work: the sample's reminder would come after
  // such a deadline, so the reminder follows the timeout (halfway) unless it is given too.
  const timeout = parseIsoDuration(env.APPROVAL_TIMEOUT ?? '');
  if (process.env.APPROVAL_TIMEOUT !== undefined && process.env.APPROVAL_REMINDER_AFTER === undefined && timeout) {
    const reminder = parseIsoDuration(env.APPROVAL_REMINDER_AFTER ?? '');
    if (reminder === undefined || reminder >= timeout) env.APPROVAL_REMINDER_AFTER = `PT${(timeout / 2000).toFixed(3).replace(/\.?0+$/, '')}S`;
  }
  const settings = parseSettings({ ...process.env, ...env }); // fail here, with every problem named
  return { env, settings };
}

/** `port` as given on the command line: an integer 0–65535 (0: a free one), else undefined. */
export function portArgument(value: string | undefined): number | undefined {
  const port = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
}
