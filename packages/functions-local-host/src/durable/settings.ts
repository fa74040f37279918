/**
 * The Durable Task extension's settings from host.json (`extensions.durableTask`), resolved
 * against the app settings the way the extension does it at start-up: `hubName` may name an app
 * setting as `%Setting%` (`DurableTaskOptions.ResolveAppSettingOptions`), and
 * `storageProvider.connectionName` names the setting that holds the storage connection
 * (WebJobs' connection lookup: `AzureWebJobs<name>`, then `<name>`).
 */

export interface DurableTaskHostJson {
  hubName?: string;
  maxConcurrentActivityFunctions?: number;
  storageProvider?: { connectionName?: string; connectionStringName?: string };
}

export interface DurableSettings {
  taskHubName: string;
  /** What the management links carry as `connection` (the extension's default is `Storage`). */
  connectionName: string;
  /** The value of the connection setting; `AzureWebJobsStorage` when host.json names none. */
  connectionString: string | undefined;
  maxConcurrentActivityFunctions: number;
}

/** A host.json setting the real host would refuse at start-up. */
export class HostConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostConfigurationError';
  }
}

/** The task hub name the extension uses locally when host.json names none. */
export const DEFAULT_TASK_HUB_NAME = 'TestHubName';
const DEFAULT_CONNECTION_NAME = 'Storage';

/** `AzureStorageOptions.ValidateHubName`: what Blob, Queue and Table names all allow. */
const MIN_HUB_NAME_LENGTH = 3;
const MAX_HUB_NAME_LENGTH = 45;

function hubNameError(hubName: string): string {
  return `Task hub name '${hubName}' should contain only alphanumeric characters, start with a letter, and have length between ${MIN_HUB_NAME_LENGTH} and ${MAX_HUB_NAME_LENGTH}.`;
}

/** `%Name%` as the whole value (WebJobs' `TryResolveWholeString`); anything else is taken literally. */
function wholeSettingReference(value: string): string | undefined {
  return /^%([^%]+)%$/.exec(value)?.[1];
}

function resolveHubName(configured: string | undefined, settings: Record<string, string | undefined>): string {
  if (configured === undefined || configured === null) return DEFAULT_TASK_HUB_NAME;
  const reference = wholeSettingReference(configured);
  let hubName = configured;
  if (reference !== undefined) {
    const value = settings[reference];
    if (value === undefined) {
      // The extension keeps the unresolved text, which then fails the name check; we say why.
      throw new HostConfigurationError(
        `${hubNameError(configured)} host.json extensions.durableTask.hubName refers to the app setting '${reference}', which is not set (environment or local.settings.json Values).`,
      );
    }
    hubName = value;
  }
  if (hubName === '') throw new HostConfigurationError('A non-empty HubName configuration is required.');
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(hubName) || hubName.length < MIN_HUB_NAME_LENGTH || hubName.length > MAX_HUB_NAME_LENGTH) {
    throw new HostConfigurationError(hubNameError(hubName));
  }
  return hubName;
}

/** WebJobs looks a connection up under `AzureWebJobs<name>` first, then `<name>`. */
function resolveConnection(connectionName: string, settings: Record<string, string | undefined>): string | undefined {
  return settings[`AzureWebJobs${connectionName}`] ?? settings[connectionName];
}

export function resolveDurableSettings(durableTask: DurableTaskHostJson | undefined, settings: Record<string, string | undefined>): DurableSettings {
  const configuredConnection = durableTask?.storageProvider?.connectionName ?? durableTask?.storageProvider?.connectionStringName;
  const connectionName = configuredConnection ?? DEFAULT_CONNECTION_NAME;
  const connectionString = resolveConnection(connectionName, settings);
  if (configuredConnection !== undefined && connectionString === undefined) {
    throw new HostConfigurationError(
      `Unable to resolve the Azure Storage connection named '${connectionName}'. host.json extensions.durableTask.storageProvider names it; set 'AzureWebJobs${connectionName}' or '${connectionName}' to a connection string (identity-based connections are not supported by the local host).`,
    );
  }
  return {
    taskHubName: resolveHubName(durableTask?.hubName, settings),
    connectionName,
    connectionString,
    maxConcurrentActivityFunctions: durableTask?.maxConcurrentActivityFunctions ?? 10,
  };
}
