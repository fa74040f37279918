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
  storageProvider?: { type?: string; connectionName?: string; connectionStringName?: string };
}

export interface DurableSettings {
  taskHubName: string;
  /** What the management links carry as `connection` (the extension's default is `Storage`). */
  connectionName: string;
  /** The value of the connection setting; `AzureWebJobsStorage` when host.json names none. */
  connectionString: string | undefined;
  maxConcurrentActivityFunctions: number;
  /** What the host should say about settings it used differently (another backend's). */
  warnings: string[];
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

/**
 * The hub name as the Azure Storage provider accepts it. `strict` is false when host.json names
 * another backend, which the host replaces with Azure Storage: an unresolved setting then falls
 * back to the default hub instead of stopping the start, and the name is not held to Azure
 * Storage's rules (its tables get a cleaned-up name).
 */
function resolveHubName(configured: string | undefined, settings: Record<string, string | undefined>, strict: boolean, warnings: string[]): string {
  if (configured === undefined || configured === null) return DEFAULT_TASK_HUB_NAME;
  const reference = wholeSettingReference(configured);
  let hubName = configured;
  if (reference !== undefined) {
    const value = settings[reference];
    if (value === undefined) {
      const unresolved = `host.json extensions.durableTask.hubName refers to the app setting '${reference}', which is not set (environment or local.settings.json Values).`;
      // The extension keeps the unresolved text, which then fails the name check; we say why.
      if (strict) throw new HostConfigurationError(`${hubNameError(configured)} ${unresolved}`);
      warnings.push(`${unresolved} The task hub is '${DEFAULT_TASK_HUB_NAME}'.`);
      return DEFAULT_TASK_HUB_NAME;
    }
    hubName = value;
  }
  if (hubName === '') throw new HostConfigurationError('A non-empty HubName configuration is required.');
  const valid = /^[A-Za-z][A-Za-z0-9]*$/.test(hubName) && hubName.length >= MIN_HUB_NAME_LENGTH && hubName.length <= MAX_HUB_NAME_LENGTH;
  if (!valid && strict) throw new HostConfigurationError(hubNameError(hubName));
  return hubName;
}

/** WebJobs looks a connection up under `AzureWebJobs<name>` first, then `<name>`. */
function resolveConnection(connectionName: string, settings: Record<string, string | undefined>): string | undefined {
  return settings[`AzureWebJobs${connectionName}`] ?? settings[connectionName];
}

/** `AzureStorage` (the default) in any spelling the extension's docs use. */
function isAzureStorage(type: string | undefined): boolean {
  return type === undefined || type.replace(/[^A-Za-z]/g, '').toLowerCase() === 'azurestorage';
}

export function resolveDurableSettings(durableTask: DurableTaskHostJson | undefined, settings: Record<string, string | undefined>): DurableSettings {
  const warnings: string[] = [];
  const provider = durableTask?.storageProvider;
  const azureStorage = isAzureStorage(provider?.type);
  // Another backend's connection (e.g. the Durable Task Scheduler's) is not a storage account.
  const configuredConnection = azureStorage ? (provider?.connectionName ?? provider?.connectionStringName) : undefined;
  const connectionName = configuredConnection ?? DEFAULT_CONNECTION_NAME;
  const connectionString = resolveConnection(connectionName, settings);
  if (configuredConnection !== undefined && connectionString === undefined) {
    throw new HostConfigurationError(
      `Unable to resolve the Azure Storage connection named '${connectionName}'. host.json extensions.durableTask.storageProvider names it; set 'AzureWebJobs${connectionName}' or '${connectionName}' to a connection string (identity-based connections are not supported by the local host).`,
    );
  }
  if (!azureStorage) {
    warnings.push(
      `host.json selects the Durable Functions storage provider '${String(provider?.type)}', which the local host does not emulate: orchestrations run on Azure Storage (AzureWebJobsStorage) instead.`,
    );
  }
  return {
    taskHubName: resolveHubName(durableTask?.hubName, settings, azureStorage, warnings),
    connectionName,
    connectionString,
    maxConcurrentActivityFunctions: durableTask?.maxConcurrentActivityFunctions ?? 10,
    warnings,
  };
}
