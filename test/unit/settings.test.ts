import fs from 'node:fs';
import { expect, test } from 'vitest';
import { ConfigurationError, parseSettings } from '../../src/config/settings.js';

const sample = JSON.parse(fs.readFileSync('local.settings.sample.json', 'utf8')).Values as Record<string, string>;

test('the sample settings parse, with defaults and derived values filled in', () => {
  const s = parseSettings({ ...sample, ADMIN_TOKEN_ISSUER: '', ADMIN_JWKS_URI: '', APPROVAL_TIMEOUT: '' });
  expect(s.APPROVAL_TIMEOUT).toBe(7 * 86_400_000);
  expect(s.APPROVAL_REMINDER_AFTER).toBe(5 * 60_000);
  expect(s.TENANT_VERIFIED_DOMAINS).toEqual(['contoso.com', 'contoso.onmicrosoft.com']);
  expect(s.adminIssuer).toBe(`https://login.microsoftonline.com/${sample.ADMIN_TENANT_ID}/v2.0`);
  expect(s.adminJwksUri).toBe(`https://login.microsoftonline.com/${sample.ADMIN_TENANT_ID}/discovery/v2.0/keys`);
  expect(s.SEND_INVITATION_MESSAGE).toBe(false);
});

test('one error names every missing or bad setting', () => {
  const env = { ...sample, MAIL_SENDER: '', APPROVAL_TIMEOUT: 'seven days', RATE_LIMIT_PER_SOURCE: '-1', PUBLIC_BASE_URL: 'ftp://x' };
  delete (env as Record<string, string | undefined>).ADMIN_TENANT_ID;
  let error: unknown;
  try {
    parseSettings(env);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigurationError);
  const message = (error as Error).message;
  for (const name of ['MAIL_SENDER', 'APPROVAL_TIMEOUT', 'RATE_LIMIT_PER_SOURCE', 'PUBLIC_BASE_URL', 'ADMIN_TENANT_ID']) expect(message).toContain(name);
});

test('URL settings say whether they are missing or malformed', () => {
  const messageFor = (values: Record<string, string | undefined>) => {
    try {
      parseSettings({ ...sample, ...values });
    } catch (error) {
      return (error as Error).message;
    }
    return '';
  };
  expect(messageFor({ PUBLIC_BASE_URL: undefined })).toContain('PUBLIC_BASE_URL is required (the https address of this app');
  expect(messageFor({ PUBLIC_BASE_URL: '' })).toContain('PUBLIC_BASE_URL is required');
  expect(messageFor({ PUBLIC_BASE_URL: 'guest-reset.contoso.com' })).toContain('PUBLIC_BASE_URL must be an http(s) URL');
  expect(messageFor({ GRAPH_BASE_URL: 'ftp://graph' })).toContain('GRAPH_BASE_URL must be an http(s) URL');
});

test('the reminder must come before the deadline', () => {
  expect(() => parseSettings({ ...sample, APPROVAL_TIMEOUT: 'PT1M', APPROVAL_REMINDER_AFTER: 'PT2M' })).toThrow(/APPROVAL_REMINDER_AFTER/);
});

test('an unresolved Key Vault reference is refused as the form secret', () => {
  expect(() => parseSettings({ ...sample, APPROVAL_FORM_SECRET: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x)' })).toThrow(/Key Vault/);
});

test('storage is required in one of its two forms', () => {
  const { AzureWebJobsStorage: _omit, ...rest } = sample;
  expect(() => parseSettings(rest)).toThrow(/AzureWebJobsStorage/);
  expect(parseSettings({ ...rest, AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net' }).AzureWebJobsStorage__tableServiceUri).toBe('https://acct.table.core.windows.net');
});

test('the organisation: a name is required, the logo must be https, the support contact an address or an https URL', () => {
  const problems = (values: Record<string, string | undefined>) => {
    try {
      return parseSettings({ ...sample, ...values });
    } catch (error) {
      return (error as Error).message;
    }
  };
  expect(problems({ ORG_NAME: ' ' })).toContain('ORG_NAME is required');
  expect(problems({ ORG_NAME: undefined })).toContain('ORG_NAME is required');
  expect(problems({ ORG_LOGO_URL: 'http://cdn.contoso.com/logo.png' })).toContain('ORG_LOGO_URL must be an https URL');
  for (const contact of ['javascript:alert(1)', 'http://help.contoso.com', 'help desk']) {
    expect(problems({ SUPPORT_CONTACT: contact })).toContain('SUPPORT_CONTACT must be an email address or an https URL');
  }
  expect(problems({ ORG_LOGO_URL: 'https://cdn.contoso.com/logo.png', SUPPORT_CONTACT: 'https://help.contoso.com/guests' })).toMatchObject({
    ORG_NAME: 'Contoso',
    ORG_LOGO_URL: 'https://cdn.contoso.com/logo.png',
    SUPPORT_CONTACT: 'https://help.contoso.com/guests',
  });
  expect(problems({ ORG_LOGO_URL: '', SUPPORT_CONTACT: '' })).toMatchObject({ ORG_LOGO_URL: undefined, SUPPORT_CONTACT: undefined });
});

test('admin alerts: each by default, digest or both in any case; the digest time a UTC HH:MM, its period an ISO duration', () => {
  const s = parseSettings({ ...sample, ADMIN_NOTIFICATIONS: '', ADMIN_DIGEST_TIME: '', ADMIN_DIGEST_EVERY: '' });
  expect([s.ADMIN_NOTIFICATIONS, s.ADMIN_DIGEST_TIME, s.ADMIN_DIGEST_EVERY]).toEqual(['each', '08:00', 86_400_000]);
  expect(parseSettings({ ...sample, ADMIN_NOTIFICATIONS: ' Digest ', ADMIN_DIGEST_TIME: '23:59:30', ADMIN_DIGEST_EVERY: 'PT5S' })).toMatchObject({ ADMIN_NOTIFICATIONS: 'digest', ADMIN_DIGEST_TIME: '23:59:30', ADMIN_DIGEST_EVERY: 5000 });
  expect(() => parseSettings({ ...sample, ADMIN_NOTIFICATIONS: 'daily', ADMIN_DIGEST_TIME: '24:00', ADMIN_DIGEST_EVERY: 'P1M' })).toThrow(
    /ADMIN_NOTIFICATIONS must be each, digest or both[\s\S]*ADMIN_DIGEST_TIME must be a UTC time of day such as 08:00[\s\S]*ADMIN_DIGEST_EVERY/,
  );
});
