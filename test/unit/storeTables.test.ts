import { ManagedIdentityCredential, DefaultAzureCredential } from '@azure/identity';
import { describe, expect, test } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { storeTablesOptionsFrom } from '../../src/store/tables.js';

const required = {
  TENANT_VERIFIED_DOMAINS: 'contoso.example',
  PUBLIC_BASE_URL: 'https://app.example',
  APPROVAL_FORM_SECRET: 's'.repeat(32),
  ORG_NAME: 'Contoso',
  MAIL_SENDER: 'noreply@contoso.example',
  ADMIN_TENANT_ID: 'tenant',
  ADMIN_API_AUDIENCE: 'api://guest-reset',
};

describe('store tables from settings', () => {
  test('use the AzureWebJobsStorage connection string and the table prefix', () => {
    const settings = parseSettings({ ...required, AzureWebJobsStorage: 'UseDevelopmentStorage=true', TABLE_NAME_PREFIX: 'Gec' });
    expect(storeTablesOptionsFrom(settings)).toMatchObject({ connectionString: 'UseDevelopmentStorage=true', tableNamePrefix: 'Gec' });
  });

  test('use the table service URI with the user-assigned managed identity in Azure', () => {
    const settings = parseSettings({
      ...required,
      AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
      AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-000000000001',
    });
    const options = storeTablesOptionsFrom(settings);
    expect(options).toMatchObject({ tableServiceUri: 'https://acct.table.core.windows.net', tableNamePrefix: 'GuestEmailChange' });
    expect(options.connectionString).toBeUndefined();
    expect(options.credential).toBeInstanceOf(ManagedIdentityCredential);
  });

  test('fall back to DefaultAzureCredential without a client id', () => {
    const settings = parseSettings({ ...required, AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net' });
    expect(storeTablesOptionsFrom(settings).credential).toBeInstanceOf(DefaultAzureCredential);
  });
});
