import { TableClient } from '@azure/data-tables';
import { expect, inject, test } from 'vitest';

test('the global setup provides a working Azurite table endpoint', async () => {
  const table = TableClient.fromConnectionString(inject('azuriteConnectionString'), 'SmokeTest', { allowInsecureConnection: true });
  await table.createTable();
  await table.upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 42 });
  const entity = await table.getEntity<{ value: number }>('p', 'r');
  expect(entity.value).toBe(42);
});
