import { describe, expect, test } from 'vitest';
import { EventType } from '../../src/durable/history.js';
import {
  ActionType,
  allocatesId,
  deliverCompletions,
  flattenLeaves,
  hasPendingTimer,
  newExecutionState,
  parseOrchestratorFailure,
  retryDelayMs,
  scheduleActions,
  unsupportedActionMessage,
  type Action,
  type ExecutionState,
} from '../../src/durable/replay.js';

/** The id bookkeeping of replay (reference §3.3), checked without a host. */

const now = new Date('2024-01-01T00:00:00.000Z');
const hello = (input: unknown): Action => ({ actionType: ActionType.CallActivity, functionName: 'Hello', input });
const helloWithRetry = (input: unknown): Action => ({
  actionType: ActionType.CallActivityWithRetry,
  functionName: 'Hello',
  input,
  retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 2 },
});
const timer = (isCanceled: boolean): Action => ({ actionType: ActionType.CreateTimer, fireAt: '2024-01-01T00:01:01.000Z', isCanceled });
const approve: Action = { actionType: ActionType.WaitForExternalEvent, externalEventName: 'Approve' };

function schedule(execution: ExecutionState, actions: Action[][]) {
  const plan = { events: [], opened: [] };
  const outcome = scheduleActions(execution, { isDone: false, actions }, 'i1', now, plan);
  return { outcome, plan };
}

/** The reference's VERIFIED sample: activity, any(canceled timer, event), all(activity, retried activity). */
const sample = (canceled: boolean): Action[][] => [
  [hello('"Tokyo"'), { actionType: ActionType.WhenAny, compoundActions: [timer(canceled), approve] }, { actionType: ActionType.WhenAll, compoundActions: [hello({ a: 1 }), helloWithRetry(5)] }],
];

describe('id assignment', () => {
  test('leaves are numbered depth-first; waiting for an event takes no id', () => {
    const execution = newExecutionState();
    const { plan } = schedule(execution, sample(false));
    expect(flattenLeaves(sample(false)).map((leaf) => leaf.actionType)).toEqual([0, 5, 6, 0, 1]);
    expect(plan.events.map((event: { EventType: number; EventId: number }) => [event.EventType, event.EventId])).toEqual([
      [EventType.TaskScheduled, 0],
      [EventType.TimerCreated, 1],
      [EventType.TaskScheduled, 2],
      [EventType.TaskScheduled, 3],
    ]);
    expect(execution.leafIds).toEqual([0, 1, -1, 2, 3]);
    expect(execution.nextId).toBe(4);
  });

  test('the cumulative action list schedules only new leaves, and a timer canceled later is closed', () => {
    const execution = newExecutionState();
    schedule(execution, sample(false));
    expect(hasPendingTimer(execution)).toBe(true);
    const { plan } = schedule(execution, [[...sample(true)[0]!, hello('"more"')]]);
    expect(plan.events.map((event: { EventId: number }) => event.EventId)).toEqual([4]);
    expect(hasPendingTimer(execution)).toBe(false);
  });

  test('retries allocate a timer id per failure, a task id per retry, and an immediate timer after the last attempt', () => {
    const execution = newExecutionState();
    schedule(execution, sample(true));
    expect(allocatesId({ kind: 'taskFailed', taskId: 3, reason: 'r', details: 'd' }, execution.openTasks)).toBe(true);
    expect(allocatesId({ kind: 'taskFailed', taskId: 2, reason: 'r', details: 'd' }, execution.openTasks)).toBe(false);

    const firstFailure = deliverCompletions(execution, [{ kind: 'taskFailed', taskId: 3, reason: 'R1', details: 'D1' }], now);
    expect(firstFailure.schedule.events).toMatchObject([{ EventType: EventType.TimerCreated, EventId: 4, FireAt: '2024-01-01T00:00:01.000Z' }]);
    expect(firstFailure.history).toMatchObject([{ EventType: EventType.TaskFailed, TaskScheduledId: 3, Reason: 'R1', Details: 'D1', IsPlayed: false }]);

    const retryTimer = deliverCompletions(execution, [{ kind: 'timerFired', taskId: 4, fireAt: '2024-01-01T00:00:01.000Z' }], now);
    expect(retryTimer.schedule.events).toMatchObject([{ EventType: EventType.TaskScheduled, EventId: 5, Name: 'Hello', Input: '5' }]);

    const lastFailure = deliverCompletions(execution, [{ kind: 'taskFailed', taskId: 5, reason: 'R2', details: 'D2' }], now);
    expect(lastFailure.schedule.events).toMatchObject([{ EventType: EventType.TimerCreated, EventId: 6, FireAt: now.toISOString() }]);

    const finalTimer = deliverCompletions(execution, [{ kind: 'timerFired', taskId: 6, fireAt: now.toISOString() }], now);
    expect(finalTimer.schedule.events).toEqual([]);
    expect(execution.nextId).toBe(7);
  });

  test('continueAsNew takes no id and hands over the input', () => {
    const execution = newExecutionState();
    const { outcome } = schedule(execution, [[hello(1), { actionType: ActionType.ContinueAsNew, input: '"next"' }]]);
    expect(outcome).toEqual({ kind: 'continueAsNew', input: '"next"' });
    expect(execution.nextId).toBe(1);
  });

  test('actions the host does not implement are reported, the first one named', () => {
    const signal = { actionType: 9, instanceId: '@counter@visits', operation: 'add' };
    const { outcome } = schedule(newExecutionState(), [[signal, { actionType: 8, httpRequest: { method: 'GET', uri: 'https://example.com/' } }]]);
    expect(outcome).toEqual({ kind: 'unsupported', action: signal });
    const orchestration = { name: 'Orch', instanceId: 'abc' };
    expect(unsupportedActionMessage(signal, orchestration)).toBe(
      "Durable entities are not supported by the local host (orchestration 'Orch' (instance 'abc') signaled entity 'counter' with key 'visits', operation 'add').",
    );
    expect(unsupportedActionMessage({ actionType: 13 }, orchestration)).toBe("Action type 13 is not supported by the local host (orchestration 'Orch' (instance 'abc')).");
  });
});

describe('retry timing and failures', () => {
  test('the delay grows by the backoff coefficient and is capped', () => {
    const options = { firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 5, backoffCoefficient: 2, maxRetryIntervalInMilliseconds: 350 };
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(options, attempt))).toEqual([100, 200, 350, 350]);
    expect(retryDelayMs({ firstRetryIntervalInMilliseconds: 100, maxNumberOfAttempts: 3 }, 3)).toBe(100);
  });

  test('reads the error and the actions DF appends to an orchestrator failure', () => {
    const state = { isDone: false, actions: [[hello(1)]], error: 'boom' };
    expect(parseOrchestratorFailure(`false\n\n$OutOfProcData$:${JSON.stringify(state)}`)).toEqual({ error: 'boom', state });
    expect(parseOrchestratorFailure('plain')).toEqual({ error: 'plain' });
  });
});
