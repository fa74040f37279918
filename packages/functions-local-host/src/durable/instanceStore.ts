import { TableClient, type TableEntity, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import type { Completion, HistoryEvent } from './history.js';
import type { ExecutionState } from './replay.js';

/**
 * Durable state in Table Storage. Everything about one instance (its status row, its history
 * and its inbox of not-yet-applied messages) lives in ONE partition of ONE table, so that an
 * episode commits atomically with an entity-group transaction: history appended, inbox
 * messages consumed and status updated together, or not at all.
 */

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

const TERMINAL: readonly RuntimeStatus[] = ['Completed', 'Failed', 'Canceled', 'Terminated'];

export function isTerminal(status: RuntimeStatus): boolean {
  return TERMINAL.includes(status);
}

export interface InstanceRecord {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  /** JSON text of the current execution's input. */
  input: string;
  /** JSON text of the output (for Failed: the failure message as a JSON string). */
  output: string | null;
  customStatus: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  executionId: string;
  /** Incremented by continueAsNew; history rows are keyed by it. */
  generation: number;
  historyLength: number;
  parentInstanceId: string | null;
  parentTaskId: number | null;
  execution: ExecutionState;
}

export type InboxMessage =
  | { type: 'completion'; completion: Completion }
  | { type: 'terminate' | 'suspend' | 'resume' | 'rewind'; reason: string | null };

export interface InboxEntry {
  key: string;
  message: InboxMessage;
  /**
   * Only on a task result held in memory and never written (the runtime's `deliverResult`): the
   * execution whose task it answers. It is lost with the process, whose restart runs the task again.
   */
  memoryOnly?: { executionId: string };
}

export interface StoredInstance {
  record: InstanceRecord;
  history: HistoryEvent[];
  inbox: InboxEntry[];
}

const STATE_ROW = 'instance';
const MAX_BATCH = 100;
/** Table string properties hold 64 KiB (32K UTF-16 chars); longer JSON is split over columns. */
const CHUNK = 30_000;

/** Table names allow only letters and digits (3–63, starting with a letter). */
export function instancesTableName(taskHubName: string): string {
  const cleaned = taskHubName.replace(/[^A-Za-z0-9]/g, '');
  const name = /^[A-Za-z]/.test(cleaned) ? cleaned : `Hub${cleaned}`;
  return `${name.slice(0, 54)}Instances`;
}

function historyKey(generation: number, index: number): string {
  return `history-${String(generation).padStart(6, '0')}-${String(index).padStart(8, '0')}`;
}

function writeText(entity: Record<string, unknown>, column: string, text: string | null): void {
  if (text === null) return;
  for (let part = 0; part * CHUNK < text.length || part === 0; part++) {
    entity[`${column}${part}`] = text.slice(part * CHUNK, (part + 1) * CHUNK);
  }
}

function readText(entity: Record<string, unknown>, column: string): string | null {
  if (typeof entity[`${column}0`] !== 'string') return null;
  let text = '';
  for (let part = 0; typeof entity[`${column}${part}`] === 'string'; part++) text += entity[`${column}${part}`] as string;
  return text;
}

function writeJson(entity: Record<string, unknown>, column: string, value: unknown): void {
  writeText(entity, column, JSON.stringify(value));
}

function readJson<T>(entity: Record<string, unknown>, column: string): T {
  return JSON.parse(readText(entity, column) ?? 'null') as T;
}

/** Payload columns (input, output, custom status, bookkeeping) may outgrow one property. */
function toStateEntity(record: InstanceRecord): TableEntity {
  const { execution, instanceId, input, output, customStatus, ...fields } = record;
  const entity: TableEntity = { partitionKey: instanceId, rowKey: STATE_ROW, ...fields };
  writeText(entity, 'Input', input);
  writeText(entity, 'Output', output);
  writeText(entity, 'CustomStatus', customStatus);
  writeJson(entity, 'Execution', execution);
  return entity;
}

function fromStateEntity(entity: TableEntityResult<Record<string, unknown>>): InstanceRecord {
  const field = <T>(name: string) => (entity[name] ?? null) as T;
  return {
    instanceId: entity.partitionKey ?? '',
    name: field('name'),
    runtimeStatus: field('runtimeStatus'),
    input: readText(entity, 'Input') ?? 'null',
    output: readText(entity, 'Output'),
    customStatus: readText(entity, 'CustomStatus'),
    createdTime: field('createdTime'),
    lastUpdatedTime: field('lastUpdatedTime'),
    executionId: field('executionId'),
    generation: field('generation'),
    historyLength: field('historyLength'),
    parentInstanceId: field('parentInstanceId'),
    parentTaskId: field('parentTaskId'),
    execution: readJson(entity, 'Execution'),
  };
}

let inboxSequence = 0;

/** Inbox rows sort by arrival: the time, then a sequence for messages within one millisecond. */
function newInboxKey(now: number): string {
  return `inbox-${String(now).padStart(15, '0')}-${String(inboxSequence++ % 1e6).padStart(6, '0')}`;
}

function inboxEntity(instanceId: string, { key, message }: InboxEntry): TableEntity {
  const entity: TableEntity = { partitionKey: instanceId, rowKey: key };
  writeJson(entity, 'Message', message);
  return entity;
}

function historyEntity(record: InstanceRecord, index: number, event: HistoryEvent): TableEntity {
  const entity: TableEntity = { partitionKey: record.instanceId, rowKey: historyKey(record.generation, index), EventType: event.EventType, EventId: event.EventId };
  writeJson(entity, 'Event', { ...event, IsPlayed: false });
  return entity;
}

export class InstanceStore {
  private readonly table: TableClient;
  /** Table Storage requests made (a transaction or a result page counts as one). */
  operations = 0;

  /** `now` stamps inbox messages, which are ordered against timer due times (the engine's clock). */
  constructor(
    connectionString: string,
    readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {
    this.table = TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection: true });
  }

  async init(): Promise<void> {
    this.operations++;
    await this.table.createTable();
  }

  /** Creates the status row; false when the instance already exists. */
  async create(record: InstanceRecord): Promise<boolean> {
    this.operations++;
    try {
      await this.table.createEntity(toStateEntity(record));
      return true;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 409) return false;
      throw error;
    }
  }

  async readRecord(instanceId: string): Promise<InstanceRecord | undefined> {
    this.operations++;
    try {
      return fromStateEntity(await this.table.getEntity(instanceId, STATE_ROW));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async listRecords(): Promise<InstanceRecord[]> {
    const rows = await this.query(`RowKey eq '${STATE_ROW}'`);
    return rows.map(fromStateEntity);
  }

  /** Every instance not yet finished, with its current history and pending inbox. */
  async loadUnfinished(): Promise<StoredInstance[]> {
    const records = (await this.listRecords()).filter((record) => !isTerminal(record.runtimeStatus));
    return Promise.all(records.map((record) => this.loadPartition(record)));
  }

  /** One instance with its current history and pending inbox; undefined when it does not exist. */
  async load(instanceId: string): Promise<StoredInstance | undefined> {
    const record = await this.readRecord(instanceId);
    return record && this.loadPartition(record);
  }

  private async loadPartition(record: InstanceRecord): Promise<StoredInstance> {
    const rows = await this.query(`PartitionKey eq '${escapeKey(record.instanceId)}'`);
    const prefix = historyKey(record.generation, 0).slice(0, -8);
    const history = rows
      .filter((row) => row.rowKey!.startsWith(prefix) && Number(row.rowKey!.slice(prefix.length)) < record.historyLength)
      .sort((a, b) => a.rowKey!.localeCompare(b.rowKey!))
      .map((row) => ({ ...readJson<HistoryEvent>(row, 'Event'), IsPlayed: true }));
    const inbox = rows
      .filter((row) => row.rowKey!.startsWith('inbox-'))
      .sort((a, b) => a.rowKey!.localeCompare(b.rowKey!))
      .map((row) => ({ key: row.rowKey!, message: readJson<InboxMessage>(row, 'Message') }));
    return { record, history, inbox };
  }

  /** Gives a message its place in an inbox (arrival order, on the engine's clock); writes nothing. */
  newInboxEntry(message: InboxMessage): InboxEntry {
    return { key: newInboxKey(this.now()), message };
  }

  /** Persists messages for an instance before anyone acts on them. */
  async appendInbox(instanceId: string, entries: InboxEntry[]): Promise<void> {
    await this.transactInBatches(entries.map((entry): TransactionAction => ['create', inboxEntity(instanceId, entry)]));
  }

  /**
   * Commits an episode. History rows past `historyLength` are invisible until the status row
   * moves it, so when more than one transaction is needed the early ones only add such rows and
   * the last one (status row + consumed inbox) is what makes the episode happen.
   */
  async commit(record: InstanceRecord, appended: HistoryEvent[], firstIndex: number, consumedInbox: string[]): Promise<void> {
    const historyActions = appended.map((event, offset): TransactionAction => ['upsert', historyEntity(record, firstIndex + offset, event), 'Replace']);
    const finalActions: TransactionAction[] = [
      ...consumedInbox.map((rowKey): TransactionAction => ['delete', { partitionKey: record.instanceId, rowKey }]),
      ['upsert', toStateEntity(record), 'Replace'],
    ];
    if (finalActions.length > MAX_BATCH) throw new Error('An episode may consume at most 99 inbox messages.');
    await this.transactWithLast(historyActions, finalActions);
  }

  /**
   * Commits a rewind: history rows rewritten in place, the status row, and the message that wakes
   * the instance (none for a parent that waits for its rewound sub-orchestrations).
   */
  async rewind(record: InstanceRecord, rewritten: { index: number; event: HistoryEvent }[], wake?: InboxMessage): Promise<InboxEntry | undefined> {
    const entry = wake && this.newInboxEntry(wake);
    const finalActions: TransactionAction[] = [['upsert', toStateEntity(record), 'Replace']];
    if (entry) finalActions.push(['create', inboxEntity(record.instanceId, entry)]);
    const historyActions = rewritten.map(({ index, event }): TransactionAction => ['upsert', historyEntity(record, index, event), 'Replace']);
    await this.transactWithLast(historyActions, finalActions);
    return entry;
  }

  /** Runs `first` in as many transactions as needed, the last of them together with `last`. */
  private async transactWithLast(first: TransactionAction[], last: TransactionAction[]): Promise<void> {
    const room = MAX_BATCH - last.length;
    const early = first.slice(0, Math.max(0, first.length - room));
    await this.transactInBatches(early);
    await this.transact([...first.slice(early.length), ...last]);
  }

  /** Deletes an instance entirely; the number of instances deleted (0 or 1). */
  async purge(instanceId: string): Promise<number> {
    const rows = await this.query(`PartitionKey eq '${escapeKey(instanceId)}'`, ['RowKey']);
    await this.transactInBatches(rows.map((row): TransactionAction => ['delete', { partitionKey: instanceId, rowKey: row.rowKey! }]));
    return rows.some((row) => row.rowKey === STATE_ROW) ? 1 : 0;
  }

  private async transactInBatches(actions: TransactionAction[]): Promise<void> {
    for (let start = 0; start < actions.length; start += MAX_BATCH) {
      await this.transact(actions.slice(start, start + MAX_BATCH));
    }
  }

  private async transact(actions: TransactionAction[]): Promise<void> {
    if (actions.length === 0) return;
    this.operations++;
    await this.table.submitTransaction(actions);
  }

  private async query(filter: string, select?: string[]): Promise<TableEntityResult<Record<string, unknown>>[]> {
    const rows: TableEntityResult<Record<string, unknown>>[] = [];
    const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select } }).byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      this.operations++;
      rows.push(...page);
    }
    return rows;
  }
}

function escapeKey(key: string): string {
  return key.replace(/'/g, "''");
}
