/**
 * History events in the shape the Durable extension serializes them for out-of-process workers
 * (DTFx `[DataMember]` names in PascalCase, enums as ints; reference §2.1). Only the fields
 * `durable-functions` reads are essential; the rest are kept for fidelity and for inspection.
 */

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
  GenericEvent: 17,
} as const;

/** DTFx `OrchestrationStatus`, as written in `ExecutionCompleted.OrchestrationStatus`. */
export const OrchestrationStatusCode = { Completed: 1, Failed: 3, Terminated: 5 } as const;

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

/** What the orchestrator learns when an activity, timer, sub-orchestration or event completes. */
export type Completion =
  | { kind: 'taskCompleted'; taskId: number; result: string | null }
  | { kind: 'taskFailed'; taskId: number; reason: string; details: string }
  | { kind: 'subOrchestrationCompleted'; taskId: number; result: string | null }
  | { kind: 'subOrchestrationFailed'; taskId: number; reason: string; details: string }
  | { kind: 'timerFired'; taskId: number; fireAt: string }
  | { kind: 'eventRaised'; name: string; input: string | null };

function base(eventType: number, timestamp: string, eventId = -1): HistoryEvent {
  return { EventType: eventType, EventId: eventId, IsPlayed: false, Timestamp: timestamp };
}

export function orchestratorStarted(timestamp: string): HistoryEvent {
  return base(EventType.OrchestratorStarted, timestamp);
}

export function orchestratorCompleted(timestamp: string): HistoryEvent {
  return base(EventType.OrchestratorCompleted, timestamp);
}

export function executionStarted(
  timestamp: string,
  start: { instanceId: string; executionId: string; name: string; input: string; parentInstanceId: string | null },
): HistoryEvent {
  return {
    ...base(EventType.ExecutionStarted, timestamp),
    OrchestrationInstance: { InstanceId: start.instanceId, ExecutionId: start.executionId },
    ParentInstance: start.parentInstanceId ? { OrchestrationInstance: { InstanceId: start.parentInstanceId } } : null,
    Name: start.name,
    Version: '',
    Input: start.input,
    Tags: null,
    Correlation: null,
    ScheduledStartTime: null,
    Generation: 0,
  };
}

export function taskScheduled(timestamp: string, id: number, name: string, input: string): HistoryEvent {
  return { ...base(EventType.TaskScheduled, timestamp, id), Name: name, Version: '', Input: input, Tags: null };
}

export function timerCreated(timestamp: string, id: number, fireAt: string): HistoryEvent {
  return { ...base(EventType.TimerCreated, timestamp, id), FireAt: fireAt };
}

export function subOrchestrationCreated(timestamp: string, id: number, name: string, instanceId: string, input: string): HistoryEvent {
  return { ...base(EventType.SubOrchestrationInstanceCreated, timestamp, id), Name: name, Version: '', InstanceId: instanceId, Input: input };
}

export function executionCompleted(timestamp: string, status: number, result: string | null): HistoryEvent {
  return { ...base(EventType.ExecutionCompleted, timestamp), OrchestrationStatus: status, Result: result, FailureDetails: null };
}

/**
 * What Azure Storage's rewind leaves in place of a failure and of the event that scheduled the
 * failed task (same row, same EventId, now ignored by replay), and the event that wakes a rewound
 * instance (EventId -1, the rewind reason as Data).
 */
export function genericEvent(timestamp: string, eventId: number, data: string | null): HistoryEvent {
  return { ...base(EventType.GenericEvent, timestamp, eventId), Data: data };
}

export function executionTerminated(timestamp: string, reason: string | null): HistoryEvent {
  return { ...base(EventType.ExecutionTerminated, timestamp), Input: reason };
}

/** The history event a completion becomes when it is delivered to the orchestrator. */
export function completionEvent(timestamp: string, completion: Completion): HistoryEvent {
  switch (completion.kind) {
    case 'taskCompleted':
      return { ...base(EventType.TaskCompleted, timestamp), TaskScheduledId: completion.taskId, Result: completion.result };
    case 'taskFailed':
      return {
        ...base(EventType.TaskFailed, timestamp),
        TaskScheduledId: completion.taskId,
        Reason: completion.reason,
        Details: completion.details,
        FailureDetails: null,
      };
    case 'subOrchestrationCompleted':
      return { ...base(EventType.SubOrchestrationInstanceCompleted, timestamp), TaskScheduledId: completion.taskId, Result: completion.result };
    case 'subOrchestrationFailed':
      return {
        ...base(EventType.SubOrchestrationInstanceFailed, timestamp),
        TaskScheduledId: completion.taskId,
        Reason: completion.reason,
        Details: completion.details,
        FailureDetails: null,
      };
    case 'timerFired':
      return { ...base(EventType.TimerFired, timestamp), TimerId: completion.taskId, FireAt: completion.fireAt };
    case 'eventRaised':
      return { ...base(EventType.EventRaised, timestamp), Name: completion.name, Input: completion.input };
  }
}
