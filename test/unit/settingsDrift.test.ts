import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseSettings, SETTING_NAMES } from '../../src/config/settings.js';

/**
 * Keeps three lists of app settings in step: the schema (src/config/settings.ts), what Azure gets
 * (the `appSettings` block of infra/app/api.bicep) and what a developer starts from
 * (local.settings.sample.json). A setting added to the code but not to the deployment fails here,
 * not at start-up in Azure.
 */

const repoRoot = path.resolve(__dirname, '../..');
const readRepoFile = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

/** Settings that only make sense on a developer machine; the deployment must not set them. */
const LOCAL_ONLY: Record<string, string> = {
  AzureWebJobsStorage: 'a connection string; Azure uses the identity-based AzureWebJobsStorage__* settings',
  GRAPH_STATIC_TOKEN: 'a fixed token for the Graph emulator; Azure uses the managed identity',
  ADMIN_TOKEN_ISSUER: 'derived from ADMIN_TENANT_ID in Azure',
  ADMIN_JWKS_URI: 'derived from ADMIN_TENANT_ID in Azure',
};

/** Settings the local sample leaves out, with the reason. */
const AZURE_ONLY: Record<string, string> = {};

/** Host and platform settings that the app itself does not read. */
const PLATFORM_SETTINGS = [
  /^FUNCTIONS_WORKER_RUNTIME$/,
  /^FUNCTIONS_EXTENSION_VERSION$/,
  /^AzureWebJobsStorage__(credential|clientId|blobServiceUri|queueServiceUri|tableServiceUri)$/,
  /^APPLICATIONINSIGHTS_[A-Z_]+$/,
  /^WEBSITE_[A-Z_]+$/,
  // App Service Authentication's secretless credential: the managed identity's client id.
  /^OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID$/,
];

/** Flex Consumption rejects these as app settings: the runtime is part of functionAppConfig. */
const REFUSED_BY_FLEX = ['FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING'];

const schemaNames = new Set<string>(SETTING_NAMES);
const isKnown = (name: string) => schemaNames.has(name) || PLATFORM_SETTINGS.some((p) => p.test(name));

/**
 * Reads the `var appSettings = {` block of a Bicep file. Expected format: one `NAME: value` per
 * line (NAME bare or single-quoted), the value on that line, blank lines and `//` comment lines
 * allowed, the block ended by `}` in the first column. Any other line is an error, so a format
 * change fails loudly instead of hiding settings.
 */
function readBicepAppSettings(bicep: string): Map<string, string> {
  const lines = bicep.split(/\r?\n/);
  const start = lines.findIndex((l) => /^var appSettings = \{\s*$/.test(l));
  if (start < 0) throw new Error('no `var appSettings = {` block');
  const settings = new Map<string, string>();
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '}') return settings;
    if (/^\s*(\/\/.*)?$/.test(line)) continue;
    const m = /^\s+'?([A-Za-z_][A-Za-z0-9_]*)'?\s*:\s*(\S.*?)\s*$/.exec(line);
    if (!m) throw new Error(`line ${i + 1} of the appSettings block is not \`NAME: value\`: ${line}`);
    if (settings.has(m[1])) throw new Error(`${m[1]} is set twice`);
    settings.set(m[1], m[2]);
  }
  throw new Error('the appSettings block has no closing `}` in the first column');
}

/** Schema settings a deployment needs that the Bicep block lacks. */
function missingFromDeployment(deployed: Iterable<string>): string[] {
  const have = new Set(deployed);
  return SETTING_NAMES.filter((n) => !(n in LOCAL_ONLY) && !have.has(n));
}

const bicepSettings = readBicepAppSettings(readRepoFile('infra/app/api.bicep'));
const sample = JSON.parse(readRepoFile('local.settings.sample.json')) as { IsEncrypted: boolean; Values: Record<string, string> };

describe('infra/app/api.bicep app settings', () => {
  test('the block is found and parsed', () => {
    expect(bicepSettings.size).toBeGreaterThan(20);
  });

  test('set every setting a deployment needs', () => {
    expect(missingFromDeployment(bicepSettings.keys())).toEqual([]);
  });

  test('the drift check notices a setting removed from the Bicep block', () => {
    const bicep = readRepoFile('infra/app/api.bicep').replace(/^\s+MAIL_SENDER:.*\n/m, '');
    expect(missingFromDeployment(readBicepAppSettings(bicep).keys())).toEqual(['MAIL_SENDER']);
  });

  test('contain nothing unknown to the schema or the platform', () => {
    expect([...bicepSettings.keys()].filter((n) => !isKnown(n))).toEqual([]);
  });

  test('leave out the local-only settings', () => {
    expect(Object.keys(LOCAL_ONLY).filter((n) => bicepSettings.has(n))).toEqual([]);
  });

  test('leave out the settings Flex Consumption refuses', () => {
    expect(REFUSED_BY_FLEX.filter((n) => bicepSettings.has(n))).toEqual([]);
  });

  test('reach storage with the managed identity', () => {
    expect(bicepSettings.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(bicepSettings.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
    expect(bicepSettings.get('AZURE_CLIENT_ID')).toBe('identityClientId');
    for (const service of ['blob', 'queue', 'table']) {
      expect(bicepSettings.get(`AzureWebJobsStorage__${service}ServiceUri`)).toBe(`storage.properties.primaryEndpoints.${service}`);
    }
  });

  test('carry no connection strings or keys', () => {
    const secretLooking = /AccountKey|DefaultEndpointsProtocol|SharedAccessSignature|SharedAccessKey|listKeys\(|InstrumentationKey=/i;
    const offenders = [...bicepSettings].filter(
      ([name, value]) =>
        secretLooking.test(value) ||
        (/ConnectionString/i.test(value) && name !== 'APPLICATIONINSIGHTS_CONNECTION_STRING'),
    );
    expect(offenders).toEqual([]);
  });

  test('send telemetry with Entra auth and read the form secret from Key Vault', () => {
    expect(bicepSettings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe("'ClientId=${identityClientId};Authorization=AAD'");
    expect(bicepSettings.get('APPROVAL_FORM_SECRET')).toMatch(/^'@Microsoft\.KeyVault\(SecretUri=\$\{\w+\}\)'$/);
  });
});

describe('local.settings.sample.json', () => {
  test('lists every setting of the schema', () => {
    const listed = new Set(Object.keys(sample.Values));
    expect(SETTING_NAMES.filter((n) => !(n in AZURE_ONLY) && !listed.has(n))).toEqual([]);
  });

  test('lists nothing unknown to the schema or the platform', () => {
    expect(Object.keys(sample.Values).filter((n) => !isKnown(n))).toEqual([]);
  });

  test('is a working local configuration', () => {
    expect(sample.IsEncrypted).toBe(false);
    expect(sample.Values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    expect(Object.values(sample.Values).every((v) => typeof v === 'string')).toBe(true);
    const settings = parseSettings(sample.Values);
    expect(settings.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
    expect(settings.adminIssuer).toBe(sample.Values.ADMIN_TOKEN_ISSUER);
    expect(settings.APPROVAL_REMINDER_AFTER).toBeLessThan(settings.APPROVAL_TIMEOUT);
  });
});

describe('the lists of exceptions', () => {
  test('name only real settings', () => {
    expect([...Object.keys(LOCAL_ONLY), ...Object.keys(AZURE_ONLY)].filter((n) => !schemaNames.has(n))).toEqual([]);
  });
});
