import { expect, test } from 'vitest';
import { clientBindingData } from '../../src/durable/bindingData.js';

test('the durableClient binding data has the extension shape and points rpcBaseUrl at the same port', () => {
  const data = clientBindingData('http://localhost:7123', 'MyHub');
  expect(data).toMatchObject({
    taskHubName: 'MyHub',
    baseUrl: 'http://localhost:7123/runtime/webhooks/durabletask',
    rpcBaseUrl: 'http://localhost:7123/durabletask/',
    requiredQueryStringParameters: '',
  });
  expect(data.creationUrls.createNewInstancePostUri).toBe(
    'http://localhost:7123/runtime/webhooks/durabletask/orchestrators/{functionName}[/{instanceId}]?taskHub=MyHub&connection=Storage',
  );
  expect(data.managementUrls.id).toBe('INSTANCEID');
  expect(data.managementUrls.statusQueryGetUri).toBe('http://localhost:7123/runtime/webhooks/durabletask/instances/INSTANCEID?taskHub=MyHub&connection=Storage');
  expect(data.managementUrls.sendEventPostUri).toContain('/instances/INSTANCEID/raiseEvent/{eventName}?');
  // DF resolves relative paths against rpcBaseUrl: the trailing slash keeps `/durabletask/`.
  expect(new URL('instances/abc', data.rpcBaseUrl).pathname).toBe('/durabletask/instances/abc');
});
