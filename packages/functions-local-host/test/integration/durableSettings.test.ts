import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { startTestHost, type TestHost } from '../support/startTestHost.js';

/**
 * host.json's `extensions.durableTask` resolved against the app settings as the extension does:
 * `hubName: "%SETTINGS_TEST_HUB%"` and `storageProvider.connectionName: "SettingsTestStorage"`.
 */

const appDir = path.join(__dirname, '../apps', 'durable-settings');
const SETTINGS = ['SETTINGS_TEST_HUB', 'SettingsTestStorage', 'AzureWebJobsSettingsTestStorage'];
let host: TestHost | undefined;

/** The host copies settings into process.env; each test starts from none of the app's own. */
function startWith(env: Record<string, string>): Promise<TestHost> {
  for (const name of SETTINGS) delete process.env[name];
  return startTestHost(appDir, { env });
}

afterEach(async () => {
  await host?.stop();
  host = undefined;
});

describe('Durable settings from host.json', () => {
  test('an unresolved %Setting% in hubName is a start-up error naming the setting', async () => {
    await expect(startWith({ SettingsTestStorage: inject('azuriteConnectionString') })).rejects.toThrow(
      /Task hub name '%SETTINGS_TEST_HUB%' should contain only alphanumeric characters.*app setting 'SETTINGS_TEST_HUB', which is not set/,
    );
  });

  test('a resolved hub name that Azure Storage cannot use is refused as the extension refuses it', async () => {
    await expect(startWith({ SETTINGS_TEST_HUB: 'bad-hub', SettingsTestStorage: inject('azuriteConnectionString') })).rejects.toThrow(
      "Task hub name 'bad-hub' should contain only alphanumeric characters, start with a letter, and have length between 3 and 45.",
    );
  });

  test('a storage connection name that resolves to nothing is a start-up error naming it', async () => {
    await expect(startWith({ SETTINGS_TEST_HUB: 'SettingsHub' })).rejects.toThrow("Unable to resolve the Azure Storage connection named 'SettingsTestStorage'.");
  });

  test('the resolved hub name and the connection name are in every link, and state lives in that hub', async () => {
    host = await startWith({ SETTINGS_TEST_HUB: 'SettingsHub', AzureWebJobsSettingsTestStorage: inject('azuriteConnectionString') });
    const query = 'taskHub=SettingsHub&connection=SettingsTestStorage';

    const viaClient = await fetch(`${host.url}/api/start/Greet`, { method: 'POST', body: JSON.stringify('Ada') });
    expect(viaClient.status).toBe(202);
    const clientLinks = (await viaClient.json()) as Record<string, string>;
    for (const [name, link] of Object.entries(clientLinks)) {
      if (name !== 'id') expect(link, name).toContain(query);
    }

    const viaApi = await fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/Greet`, { method: 'POST', body: '"Bo"' });
    const apiLinks = (await viaApi.json()) as Record<string, string>;
    expect(apiLinks.statusQueryGetUri).toBe(`${host.url}/runtime/webhooks/durabletask/instances/${apiLinks.id}?${query}`);
    expect(viaApi.headers.get('location')).toBe(apiLinks.statusQueryGetUri);

    let status: { runtimeStatus: string; output: unknown };
    do status = (await (await fetch(clientLinks.statusQueryGetUri!)).json()) as typeof status;
    while (status.runtimeStatus !== 'Completed');
    expect(status.output).toBe('Hello Ada');

    const table = TableClient.fromConnectionString(inject('azuriteConnectionString'), 'SettingsHubInstances', { allowInsecureConnection: true });
    expect((await table.getEntity(clientLinks.id!, 'instance')).runtimeStatus).toBe('Completed');
  });
});

describe('an app configured for another Durable backend (the azd quickstarts\' Durable Task Scheduler)', () => {
  const schedulerApp = path.join(__dirname, '../apps', 'durable-scheduler-backend');

  async function links(env: Record<string, string>): Promise<Record<string, string>> {
    delete process.env.SCHEDULER_TEST_HUB;
    host = await startTestHost(schedulerApp, { env });
    const response = await fetch(`${host.url}/api/orchestrators/Noop`);
    expect(response.status).toBe(202);
    return (await response.json()) as Record<string, string>;
  }

  test('runs on Azure Storage, says so, and does not take the scheduler\'s connection for a storage account', async () => {
    const payload = await links({ SCHEDULER_TEST_HUB: 'default', SCHEDULER_TEST_CONNECTION_STRING: 'Endpoint=http://localhost:8080;Authentication=None' });
    expect(payload.statusQueryGetUri).toContain('taskHub=default&connection=Storage');
    expect(host!.logs.some((entry) => entry.level === 'warn' && entry.message.includes("storage provider 'azureManaged'"))).toBe(true);
    let status: { runtimeStatus: string; output: unknown };
    do status = (await (await fetch(payload.statusQueryGetUri!)).json()) as typeof status;
    while (status.runtimeStatus !== 'Completed');
    expect(status.output).toBe('done');
  });

  test('an unset hub setting falls back to the default hub, with a warning naming the setting', async () => {
    const payload = await links({});
    expect(payload.statusQueryGetUri).toContain('taskHub=TestHubName&connection=Storage');
    expect(host!.logs.some((entry) => entry.level === 'warn' && entry.message.includes("app setting 'SCHEDULER_TEST_HUB', which is not set"))).toBe(true);
  });
});
