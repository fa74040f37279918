import { EventType, type HistoryEvent } from './history.js';

/**
 * `historyEvents` of the status API (`showHistory=true`), shaped as the extension shapes them
 * (`DurableClient.GetDurableOrchestrationStatusAsync`): event types and orchestration statuses by
 * name, no EventId/IsPlayed, OrchestratorStarted/Completed left out, each completion merged with
 * the event that scheduled it (FunctionName, ScheduledTime and, with `showInput`, its Input) and
 * that event left out, results only with `showHistoryOutput` (parsed as JSON), inputs only with
 * `showInput`.
 */

const EVENT_TYPE_NAMES: Record<number, string> = {
  0: 'ExecutionStarted',
  1: 'ExecutionCompleted',
  2: 'ExecutionFailed',
  3: 'ExecutionTerminated',
  4: 'TaskScheduled',
  5: 'TaskCompleted',
  6: 'TaskFailed',
  7: 'SubOrchestrationInstanceCreated',
  8: 'SubOrchestrationInstanceCompleted',
  9: 'SubOrchestrationInstanceFailed',
  10: 'TimerCreated',
  11: 'TimerFired',
  12: 'OrchestratorStarted',
  13: 'OrchestratorCompleted',
  14: 'EventSent',
  15: 'EventRaised',
  16: 'ContinueAsNew',
  17: 'GenericEvent',
  18: 'HistoryState',
  19: 'ExecutionSuspended',
  20: 'ExecutionResumed',
};

/** DTFx `OrchestrationStatus`. */
const ORCHESTRATION_STATUS_NAMES: Record<number, string> = {
  0: 'Running',
  1: 'Completed',
  2: 'ContinuedAsNew',
  3: 'Failed',
  4: 'Canceled',
  5: 'Terminated',
  6: 'Pending',
  7: 'Suspended',
};

/** `DurableClient.ParseToJToken`: JSON when it parses, the raw text otherwise. */
function parseResult(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  if (text === '') return '';
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface HistoryOptions {
  showHistoryOutput: boolean;
  showInput: boolean;
}

export function historyEventsPayload(history: HistoryEvent[], { showHistoryOutput, showInput }: HistoryOptions): Record<string, unknown>[] {
  const scheduled = new Map<string, { index: number; name: unknown; timestamp: string; input: unknown }>();
  const dropped = new Set<number>();
  const items = history.map((event, index) => {
    const item: Record<string, unknown> = { ...event };
    const type = event.EventType;
    item.EventType = EVENT_TYPE_NAMES[type] ?? type;
    const mergeScheduling = (schedulingType: number) => {
      const origin = scheduled.get(`${schedulingType}_${String(event.TaskScheduledId)}`);
      delete item.TaskScheduledId;
      if (!origin) return;
      item.ScheduledTime = origin.timestamp;
      item.FunctionName = origin.name;
      if (showInput) item.Input = origin.input;
      dropped.add(origin.index);
    };
    switch (type) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        scheduled.set(`${type}_${event.EventId}`, { index, name: event.Name, timestamp: event.Timestamp, input: event.Input });
        delete item.Version;
        break;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed: {
        const succeeded = type === EventType.TaskCompleted || type === EventType.SubOrchestrationInstanceCompleted;
        mergeScheduling(type === EventType.TaskCompleted || type === EventType.TaskFailed ? EventType.TaskScheduled : EventType.SubOrchestrationInstanceCreated);
        if (succeeded) {
          if (showHistoryOutput) item.Result = parseResult(item.Result);
          else delete item.Result;
        }
        break;
      }
      case EventType.ExecutionStarted: {
        const functionName = item.Name;
        delete item.Name;
        item.FunctionName = functionName;
        for (const field of ['OrchestrationInstance', 'ParentInstance', 'Version', 'Tags']) delete item[field];
        break;
      }
      case EventType.ExecutionCompleted:
        item.OrchestrationStatus = ORCHESTRATION_STATUS_NAMES[event.OrchestrationStatus as number] ?? event.OrchestrationStatus;
        if (showHistoryOutput) item.Result = parseResult(item.Result);
        else delete item.Result;
        break;
      case EventType.TimerFired:
        delete item.TimerId;
        break;
      case EventType.OrchestratorStarted:
      case EventType.OrchestratorCompleted:
        dropped.add(index);
        break;
    }
    if (!showInput) delete item.Input;
    delete item.EventId;
    delete item.IsPlayed;
    return item;
  });
  return items.filter((_, index) => !dropped.has(index));
}
