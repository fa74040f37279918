import { TableClient } from '@azure/data-tables';
import { inject } from 'vitest';

/**
 * The persisted history of an instance in the shared Azurite, in order, as
 * [EventType, EventId, TaskScheduledId or TimerId]: what the host wrote, not what its API shows.
 */
export async function persistedHistory(instancesTable: string, instanceId: string): Promise<[number, number, number | undefined][]> {
  const table = TableClient.fromConnectionString(inject('azuriteConnectionString'), instancesTable, { allowInsecureConnection: true });
  const rows: [string, [number, number, number | undefined]][] = [];
  for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${instanceId}'` } })) {
    if (!row.rowKey!.startsWith('history-')) continue;
    const event = JSON.parse(String(row.Event0)) as { EventType: number; EventId: number; TaskScheduledId?: number; TimerId?: number };
    rows.push([row.rowKey!, [event.EventType, event.EventId, event.TaskScheduledId ?? event.TimerId]]);
  }
  return rows.sort(([a], [b]) => a.localeCompare(b)).map(([, event]) => event);
}
