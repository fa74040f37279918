import {
  completionEvent,
  subOrchestrationCreated,
  taskScheduled,
  timerCreated,
  type Completion,
  type HistoryEvent,
} from './history.js';

/**
 * The extension's half of replay (reference §3): turning the cumulative action list that
 * `durable-functions` returns each episode into scheduled work with the task ids the library
 * assigns itself. The library never tells us ids; it counts leaf tasks in yield order and
 * allocates extra ids while retrying, so we must count the same way (§3.3).
 */

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
} as const;

export interface RetryOptionsWire {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
}

export interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryOptionsWire;
  instanceId?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: Action[];
  /** Entity calls and signals. */
  operation?: string;
  /** callHttp. */
  httpRequest?: { method?: string; uri?: string };
}

/** `OrchestratorState` as returned by the orchestrator function (reference §3.1). */
export interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

/** `attempt` is the 1-based attempt of the task, or for a retry timer the attempt that failed. */
export interface RetryState {
  options: RetryOptionsWire;
  attempt: number;
}

export type OpenTask =
  | { kind: 'activity'; id: number; name: string; input: string; retry?: RetryState }
  | { kind: 'subOrchestration'; id: number; name: string; childInstanceId: string; input: string; retry?: RetryState }
  | { kind: 'timer'; id: number; fireAt: string; retryOf?: RetriedTask; longTimer?: LongTimer };

/**
 * A timer further away than the Azure Storage backend allows (`MaximumDelayTime`, 6 days) runs
 * as sub-timers, as the extension's `CreateTimer` does: `fireAt` is the time the orchestrator
 * asked for, `leafId` the id of its action (the first sub-timer's).
 */
export interface LongTimer {
  fireAt: string;
  leafId: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** `AzureStorageDurabilityProvider.MaximumDelayTime` and `LongRunningTimerIntervalLength`. */
const MAXIMUM_SHORT_TIMER_MS = 6 * DAY_MS;
const LONG_TIMER_INTERVAL_MS = 3 * DAY_MS;
/** The same, as the .NET TimeSpan text the extension gives the orchestrator (`d.hh:mm:ss`). */
export const MAXIMUM_SHORT_TIMER_DURATION = '6.00:00:00';
export const LONG_RUNNING_TIMER_INTERVAL_DURATION = '3.00:00:00';

/** The attempt a retry timer follows; it is rescheduled when the timer fires and attempts remain. */
export type RetriedTask = Extract<OpenTask, { kind: 'activity' | 'subOrchestration' }> & { retry: RetryState };

/** Per-execution bookkeeping, persisted with the instance. */
export interface ExecutionState {
  nextId: number;
  /** Task id of every leaf action seen so far, by position (-1 for leaves that take no id). */
  leafIds: number[];
  openTasks: OpenTask[];
  /** Activities a rewind reopened; the episode that handles the rewind schedules them again. */
  rewound?: Extract<OpenTask, { kind: 'activity' }>[];
  /** Tasks that failed while retry options applied (their ids cannot be rewound faithfully). */
  retriedFailures?: number[];
}

export function newExecutionState(): ExecutionState {
  return { nextId: 0, leafIds: [], openTasks: [] };
}

/** Leaf actions depth-first, the order in which the library tracks tasks and takes ids. */
export function flattenLeaves(actions: Action[][]): Action[] {
  const leaves: Action[] = [];
  const visit = (action: Action) => {
    if (action.compoundActions) action.compoundActions.forEach(visit);
    else leaves.push(action);
  };
  actions.forEach((group) => group.forEach(visit));
  return leaves;
}

function completionTaskId(completion: Completion): number | undefined {
  return completion.kind === 'eventRaised' ? undefined : completion.taskId;
}

/**
 * Whether delivering this completion makes the library allocate an id itself (a retried task's
 * failure or retry timer). Such ids come before those of tasks yielded in the same episode, and
 * yielded tasks cannot be attributed to the event that unblocked them, so such a completion may
 * only lead an episode's batch.
 */
export function allocatesId(completion: Completion, openTasks: OpenTask[]): boolean {
  const taskId = completionTaskId(completion);
  if (taskId === undefined) return false;
  const task = openTasks.find((open) => open.id === taskId);
  if (task?.kind === 'timer') return task.retryOf !== undefined || task.longTimer !== undefined;
  return task?.retry !== undefined && (completion.kind === 'taskFailed' || completion.kind === 'subOrchestrationFailed');
}

/** DTFx `RetryInterceptor`: first · backoff^(attempt-1), capped by the maximum interval. */
export function retryDelayMs(options: RetryOptionsWire, failedAttempt: number): number {
  const delay = options.firstRetryIntervalInMilliseconds * Math.pow(options.backoffCoefficient ?? 1, failedAttempt - 1);
  const cap = options.maxRetryIntervalInMilliseconds;
  return cap && cap > 0 ? Math.min(delay, cap) : delay;
}

export interface EpisodeSchedule {
  /** TaskScheduled / TimerCreated / SubOrchestrationInstanceCreated events for this episode. */
  events: HistoryEvent[];
  /** Tasks opened this episode (to dispatch once the episode is committed). */
  opened: OpenTask[];
}

/**
 * Marks delivered completions as done and performs the allocations the library does for
 * retries (§3.3): a failed attempt gets a retry timer (immediate after the last attempt, the
 * "dummy timer for back-compat"), and a fired retry timer with attempts left reschedules.
 */
export function deliverCompletions(execution: ExecutionState, completions: Completion[], now: Date): { history: HistoryEvent[]; schedule: EpisodeSchedule } {
  const timestamp = now.toISOString();
  const history: HistoryEvent[] = [];
  const schedule: EpisodeSchedule = { events: [], opened: [] };
  for (const completion of completions) {
    history.push(completionEvent(timestamp, completion));
    const taskId = completionTaskId(completion);
    if (taskId === undefined) continue;
    const task = execution.openTasks.find((open) => open.id === taskId);
    execution.openTasks = execution.openTasks.filter((open) => open.id !== taskId);
    if (task?.kind === 'timer') {
      const retried = task.retryOf;
      if (retried && retried.retry.attempt < retried.retry.options.maxNumberOfAttempts) {
        const retry = { options: retried.retry.options, attempt: retried.retry.attempt + 1 };
        open(execution, schedule, { ...retried, id: execution.nextId++, retry }, timestamp);
      }
      // A sub-timer fired before the time asked for: the next one, up to 3 days or to that time
      // (the library counts the same way: one more id whenever time is left).
      if (task.longTimer && Date.parse(task.longTimer.fireAt) > now.getTime()) {
        const remaining = Date.parse(task.longTimer.fireAt) - now.getTime();
        const fireAt = remaining < LONG_TIMER_INTERVAL_MS ? task.longTimer.fireAt : new Date(now.getTime() + LONG_TIMER_INTERVAL_MS).toISOString();
        open(execution, schedule, { kind: 'timer', id: execution.nextId++, fireAt, longTimer: task.longTimer }, timestamp);
      }
    } else if (task?.retry && (completion.kind === 'taskFailed' || completion.kind === 'subOrchestrationFailed')) {
      execution.retriedFailures = [...(execution.retriedFailures ?? []), task.id];
      const { attempt, options } = task.retry;
      const delay = attempt >= options.maxNumberOfAttempts ? 0 : retryDelayMs(options, attempt);
      const fireAt = new Date(now.getTime() + delay).toISOString();
      open(execution, schedule, { kind: 'timer', id: execution.nextId++, fireAt, retryOf: { ...task, retry: task.retry } }, timestamp);
    }
  }
  return { history, schedule };
}

function open(execution: ExecutionState, schedule: EpisodeSchedule, task: OpenTask, timestamp: string): void {
  execution.openTasks.push(task);
  schedule.opened.push(task);
  if (task.kind === 'activity') schedule.events.push(taskScheduled(timestamp, task.id, task.name, task.input));
  else if (task.kind === 'timer') schedule.events.push(timerCreated(timestamp, task.id, task.fireAt));
  else schedule.events.push(subOrchestrationCreated(timestamp, task.id, task.name, task.childInstanceId, task.input));
}

/**
 * Schedules again the activities a rewind reopened: a new TaskScheduled with the same id, as DTFx
 * writes when the replayed orchestrator asks for a task whose TaskScheduled the rewind erased.
 */
export function rescheduleRewoundTasks(execution: ExecutionState, schedule: EpisodeSchedule, now: Date): void {
  for (const task of execution.rewound ?? []) open(execution, schedule, task, now.toISOString());
  delete execution.rewound;
}

/** The text the activity trigger receives (§4): JSON scalars raw, everything else as JSON. */
function activityInputText(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input ?? null);
}

export type ScheduleOutcome =
  | { kind: 'ok' }
  | { kind: 'continueAsNew'; input: string }
  | { kind: 'unsupported'; action: Action };

/**
 * Assigns ids to the leaves this episode added (positions past the ones already known), opens
 * their tasks, and re-reads `isCanceled` of every known timer (a timer canceled after losing a
 * `Task.any` no longer keeps the instance open).
 */
export function scheduleActions(
  execution: ExecutionState,
  state: OrchestratorState,
  instanceId: string,
  now: Date,
  schedule: EpisodeSchedule,
): ScheduleOutcome {
  const timestamp = now.toISOString();
  const leaves = flattenLeaves(state.actions ?? [[]]);
  let outcome: ScheduleOutcome = { kind: 'ok' };
  leaves.forEach((leaf, index) => {
    if (index < execution.leafIds.length) {
      const id = execution.leafIds[index];
      if (leaf.actionType === ActionType.CreateTimer && leaf.isCanceled) {
        execution.openTasks = execution.openTasks.filter((task) => !(task.kind === 'timer' && (task.id === id || task.longTimer?.leafId === id)));
      }
      return;
    }
    switch (leaf.actionType) {
      case ActionType.WaitForExternalEvent:
        execution.leafIds.push(-1);
        return;
      case ActionType.ContinueAsNew:
        execution.leafIds.push(-1);
        outcome = { kind: 'continueAsNew', input: continueAsNewInput(leaf.input) };
        return;
    }
    const id = execution.nextId++;
    execution.leafIds.push(id);
    const retry = leaf.retryOptions ? { options: leaf.retryOptions, attempt: 1 } : undefined;
    switch (leaf.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry:
        open(execution, schedule, { kind: 'activity', id, name: leaf.functionName ?? '', input: activityInputText(leaf.input), retry }, timestamp);
        return;
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const childInstanceId = leaf.instanceId || `${instanceId}:${id}`;
        const input = JSON.stringify(leaf.input ?? null);
        open(execution, schedule, { kind: 'subOrchestration', id, name: leaf.functionName ?? '', childInstanceId, input, retry }, timestamp);
        return;
      }
      case ActionType.CreateTimer: {
        const fireAt = new Date(leaf.fireAt ?? timestamp).toISOString();
        const isLong = Date.parse(fireAt) - now.getTime() > MAXIMUM_SHORT_TIMER_MS;
        const timer: OpenTask = isLong
          ? { kind: 'timer', id, fireAt: new Date(now.getTime() + LONG_TIMER_INTERVAL_MS).toISOString(), longTimer: { fireAt, leafId: id } }
          : { kind: 'timer', id, fireAt };
        schedule.events.push(timerCreated(timestamp, id, timer.fireAt));
        if (!leaf.isCanceled) {
          execution.openTasks.push(timer);
          schedule.opened.push(timer);
        }
        return;
      }
      default:
        if (outcome.kind !== 'unsupported') outcome = { kind: 'unsupported', action: leaf };
    }
  });
  return outcome;
}

/**
 * Why an orchestration that yielded an action the host does not run fails, naming the feature:
 * Durable entities (`callEntity`, `signalEntity`; the action's `instanceId` is `@name@key`) and
 * `callHttp`.
 */
export function unsupportedActionMessage(action: Action, orchestration: { name: string; instanceId: string }): string {
  const by = `orchestration '${orchestration.name}' (instance '${orchestration.instanceId}')`;
  if (action.actionType === ActionType.CallEntity || action.actionType === ActionType.SignalEntity) {
    const schedulerId = action.instanceId ?? '';
    const at = schedulerId.indexOf('@', 1);
    const entity = at > 0 ? `entity '${schedulerId.slice(1, at)}' with key '${schedulerId.slice(at + 1)}'` : `entity '${schedulerId}'`;
    const verb = action.actionType === ActionType.CallEntity ? 'called' : 'signaled';
    return `Durable entities are not supported by the local host (${by} ${verb} ${entity}, operation '${action.operation ?? ''}').`;
  }
  if (action.actionType === ActionType.CallHttp) {
    const request = action.httpRequest ?? {};
    return `callHttp (durable HTTP requests) is not supported by the local host (${by} called ${request.method ?? 'GET'} ${request.uri ?? ''}).`;
  }
  return `Action type ${action.actionType} is not supported by the local host (${by}).`;
}

/**
 * `continueAsNew` JSON-encodes string inputs (`Utils.processInput`); we decode that once so the
 * next execution sees the value the orchestrator passed. UNCONFIRMED: the reference suspects the
 * real extension hands over the double-encoded string.
 */
function continueAsNewInput(input: unknown): string {
  if (typeof input === 'string') {
    try {
      JSON.parse(input);
      return input;
    } catch {
      return JSON.stringify(input);
    }
  }
  return JSON.stringify(input ?? null);
}

/** Uncanceled timers keep a finished orchestrator's instance Running until they fire (§6). */
export function hasPendingTimer(execution: ExecutionState): boolean {
  return execution.openTasks.some((task) => task.kind === 'timer');
}

const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';

/** Reads the orchestrator state DF appends to its failure message (§3.4), when it is there. */
export function parseOrchestratorFailure(message: string): { error: string; state?: OrchestratorState } {
  const at = message.indexOf(OUT_OF_PROC_LABEL);
  if (at < 0) return { error: message };
  try {
    const state = JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)) as OrchestratorState;
    return { error: state.error ?? message.slice(0, at), state };
  } catch {
    return { error: message };
  }
}
