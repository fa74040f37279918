/**
 * The `durableClient` binding data (reference §5.1) and the management links the HTTP API
 * returns. `rpcBaseUrl` points the client library at our own port; the trailing slash matters
 * because the library resolves relative paths against it.
 */

export const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';

export interface ManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

export interface ClientBindingData {
  taskHubName: string;
  connectionName: null;
  creationUrls: { createNewInstancePostUri: string; createAndWaitOnNewInstancePostUri: string };
  managementUrls: ManagementUrls;
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
  httpBaseUrl: null;
}

export function webhookBaseUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/$/, '')}/runtime/webhooks/durabletask`;
}

/** `taskHub=…&connection=…`, the query every link carries (`HttpApiHandler.GetClientResponseLinks`). */
function hubQuery(taskHubName: string, connectionName: string): string {
  return `taskHub=${encodeURIComponent(taskHubName)}&connection=${encodeURIComponent(connectionName)}`;
}

export function managementUrls(baseUrl: string, taskHubName: string, instanceId: string, connectionName = 'Storage'): ManagementUrls {
  const instance = `${webhookBaseUrl(baseUrl)}/instances/${encodeURIComponent(instanceId)}`.replace(encodeURIComponent(INSTANCE_ID_PLACEHOLDER), INSTANCE_ID_PLACEHOLDER);
  const qs = hubQuery(taskHubName, connectionName);
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${qs}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${qs}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${qs}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${qs}`,
    purgeHistoryDeleteUri: `${instance}?${qs}`,
    restartPostUri: `${instance}/restart?${qs}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${qs}`,
    resumePostUri: `${instance}/resume?reason={text}&${qs}`,
  };
}

export function clientBindingData(baseUrl: string, taskHubName: string, connectionName = 'Storage'): ClientBindingData {
  const webhooks = webhookBaseUrl(baseUrl);
  const qs = hubQuery(taskHubName, connectionName);
  return {
    taskHubName,
    connectionName: null,
    creationUrls: {
      createNewInstancePostUri: `${webhooks}/orchestrators/{functionName}[/{instanceId}]?${qs}`,
      createAndWaitOnNewInstancePostUri: `${webhooks}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${qs}`,
    },
    managementUrls: managementUrls(baseUrl, taskHubName, INSTANCE_ID_PLACEHOLDER, connectionName),
    baseUrl: webhooks,
    requiredQueryStringParameters: '',
    rpcBaseUrl: `${baseUrl.replace(/\/$/, '')}/durabletask/`,
    httpBaseUrl: null,
  };
}
