import { createRequire } from 'node:module';
import { DummyOrchestrationContext, type OrchestrationHandler } from 'durable-functions';
import { expect, test } from 'vitest';
import { ACTIVITY, type ResetOutcome } from '../../src/workflow/activityContract.js';
import { EVENTS, ORCHESTRATOR_NAME, type ApprovalDecisionEvent, type EmailChangeOrchestrationInput } from '../../src/workflow/contract.js';
import { emailChangeOrchestrator } from '../../src/workflow/emailChangeOrchestrator.js';

/**
 * The orchestrator under the real `durable-functions` replay engine: each episode re-runs the
 * generator over the whole history, as Azure does, so this catches what a fake context cannot
 * (RetryOptions accepted, `Task.any` winners, timer cancellation, replay determinism). The
 * history is built here with the id rule of reference §3.3; no activity fails, so ids are simple.
 */

type Leaf = { actionType: number; functionName?: string; input?: unknown; fireAt?: string; isCanceled?: boolean; externalEventName?: string; compoundActions?: Leaf[] };
type OrchestratorState = { isDone: boolean; actions: Leaf[][]; output?: unknown; customStatus?: unknown; error?: string };
type Listener = (trigger: unknown, context: unknown) => Promise<OrchestratorState>;

const { Orchestrator } = createRequire(__filename)('durable-functions/lib/src/orchestrations/Orchestrator.js') as {
  Orchestrator: new (fn: OrchestrationHandler) => { listen(): Listener };
};

const T = { ExecutionStarted: 0, TaskScheduled: 4, TaskCompleted: 5, TimerCreated: 10, TimerFired: 11, OrchestratorStarted: 12, OrchestratorCompleted: 13, EventRaised: 15 };
const A = { CreateTimer: 5, WaitForExternalEvent: 6 };
const START = Date.parse('2024-05-01T10:00:00.000Z');
const INPUT: EmailChangeOrchestrationInput = {
  requestId: '5b0f6c1e-6a43-4d0e-9c8e-3f1f0a1b2c3d',
  submission: { currentEmail: 'old@fabrikam.example', newEmail: 'new@northwind.example', reason: 'MovedCompany' },
  source: {},
  submittedAt: new Date(START).toISOString(),
};

type RaceStep = { timer: true } | { event: string; input: unknown };

async function replay(answer: (name: string, input: unknown) => unknown, race: RaceStep[]) {
  let now = START;
  const stamp = () => new Date(now).toISOString();
  const event = (type: number, extra: Record<string, unknown> = {}) => ({ EventType: type, EventId: -1, IsPlayed: false, Timestamp: stamp(), ...extra });
  const history: Record<string, unknown>[] = [event(T.OrchestratorStarted), event(T.ExecutionStarted, { Name: ORCHESTRATOR_NAME, Input: JSON.stringify(INPUT) })];
  const leafIds: number[] = [];
  const open = new Map<number, Leaf>();
  const calls: { name: string; input: unknown }[] = [];
  let nextId = 0;

  for (let episode = 0; episode < 40; episode++) {
    const trigger = { history: structuredClone(history), input: INPUT, instanceId: INPUT.requestId, isReplaying: false, upperSchemaVersion: 1, upperSchemaVersionNew: 2,
      // Azure's values; the 72 h approval timeout stays below the long-timer split.
      maximumShortTimerDuration: '6.00:00:00', longRunningTimerIntervalDuration: '3.00:00:00' };
    const state = await new Orchestrator(emailChangeOrchestrator).listen()(trigger, new DummyOrchestrationContext());
    const leaves = flatten(state.actions);
    leaves.forEach((leaf, index) => {
      if (index < leafIds.length) {
        if (leaf.isCanceled) open.delete(leafIds[index]);
        return;
      }
      if (leaf.actionType === A.WaitForExternalEvent) return void leafIds.push(-1);
      const id = nextId++;
      leafIds.push(id);
      open.set(id, leaf);
      history.push(
        leaf.actionType === A.CreateTimer
          ? event(T.TimerCreated, { EventId: id, FireAt: leaf.fireAt })
          : event(T.TaskScheduled, { EventId: id, Name: leaf.functionName, Input: leaf.input }),
      );
    });
    if (state.isDone) return { state, calls, openTimers: [...open.values()] };
    history.push(event(T.OrchestratorCompleted));

    const activity = [...open].find(([, leaf]) => leaf.actionType !== A.CreateTimer);
    if (activity) {
      const [id, leaf] = activity;
      const input = typeof leaf.input === 'string' ? JSON.parse(leaf.input) : leaf.input;
      calls.push({ name: leaf.functionName!, input });
      open.delete(id);
      now += 1000;
      history.push(event(T.OrchestratorStarted), event(T.TaskCompleted, { TaskScheduledId: id, Result: JSON.stringify(answer(leaf.functionName!, input) ?? null) }));
      continue;
    }
    const step = race.shift();
    if (!step) throw new Error(`stuck waiting after ${calls.map((c) => c.name).join(', ')}`);
    if ('timer' in step) {
      const [id, timer] = [...open].sort(([, a], [, b]) => Date.parse(a.fireAt!) - Date.parse(b.fireAt!))[0];
      now = Date.parse(timer.fireAt!);
      open.delete(id);
      history.push(event(T.OrchestratorStarted), event(T.TimerFired, { TimerId: id, FireAt: timer.fireAt }));
    } else {
      now += 60_000;
      history.push(event(T.OrchestratorStarted), event(T.EventRaised, { Name: step.event, Input: JSON.stringify(step.input) }));
    }
  }
  throw new Error('the orchestration did not finish');
}

function flatten(groups: Leaf[][]): Leaf[] {
  const leaves: Leaf[] = [];
  const visit = (leaf: Leaf) => (leaf.compoundActions ? leaf.compoundActions.forEach(visit) : leaves.push(leaf));
  groups.forEach((group) => group.forEach(visit));
  return leaves;
}

const POLICY = { approvalTimeoutMs: 72 * 3_600_000, reminderAfterMs: 24 * 3_600_000 };
const INVITED: ResetOutcome = { ok: true, invitationId: 'inv-1', inviteRedeemUrl: 'https://login.example/redeem' };
const answers = (name: string, input: unknown): unknown => {
  switch (name) {
    case ACTIVITY.getApprovalPolicy:
      return POLICY;
    case ACTIVITY.screenRequest:
      return { outcome: 'eligible', guest: { id: 'g', displayName: 'G' }, approvers: [{ id: 'a', displayName: 'A', mail: 'a@contoso.com' }] };
    case ACTIVITY.executeReset:
      return INVITED;
    case ACTIVITY.settleDeadline:
      return { kind: 'deadline' };
    case ACTIVITY.recordOutcome:
      return (input as { outcome: string }).outcome;
    case ACTIVITY.completeRequest:
      return (input as { outcome: ResetOutcome }).outcome.ok ? 'Completed' : 'Failed';
    default:
      return null;
  }
};
const approval: ApprovalDecisionEvent = { outcome: 'approved', approverId: 'a', approverMail: 'a@contoso.com', at: '2024-05-02T10:00:00.000Z' };

test('under the real replay engine: reminder, then approval, reset and completion; no timer left open', async () => {
  const { state, calls, openTimers } = await replay(answers, [{ timer: true }, { event: EVENTS.approvalDecision, input: approval }]);
  expect(state.error).toBeUndefined();
  expect(state.output).toBe('Completed');
  expect(state.customStatus).toEqual({ status: 'Completed' });
  expect(calls.map((c) => c.name)).toEqual([
    ACTIVITY.recordRequest,
    ACTIVITY.getApprovalPolicy,
    ACTIVITY.screenRequest,
    ACTIVITY.requestApproval,
    ACTIVITY.requestApproval,
    ACTIVITY.markApproved,
    ACTIVITY.executeReset,
    ACTIVITY.completeRequest,
  ]);
  // Three activities (a second each here) ran before the deadline was fixed; replays keep it.
  const deadline = new Date(START + 3_000 + POLICY.approvalTimeoutMs).toISOString();
  expect(calls[3].input).toEqual({ requestId: INPUT.requestId, deadline, reminder: false });
  expect(calls[4].input).toEqual({ requestId: INPUT.requestId, deadline, reminder: true });
  expect(calls[5].input).toEqual({ requestId: INPUT.requestId, decision: approval });
  expect(openTimers).toEqual([]);
});

test('under the real replay engine: an unanswered request expires at the deadline', async () => {
  const { state, calls } = await replay(answers, [{ timer: true }, { timer: true }]);
  expect(state.output).toBe('Expired');
  expect(calls.at(-2)).toEqual({ name: ACTIVITY.settleDeadline, input: INPUT.requestId });
  expect(calls.at(-1)).toEqual({ name: ACTIVITY.recordOutcome, input: { requestId: INPUT.requestId, outcome: 'Expired' } });
});

test('under the real replay engine: a cancel wins the race and cancels the deadline timer', async () => {
  const cancel = { reason: 'Phoned', by: 'admin', at: '2024-05-01T11:00:00.000Z' };
  const { state, calls, openTimers } = await replay(answers, [{ event: EVENTS.cancel, input: cancel }]);
  expect(state.output).toBe('Cancelled');
  expect(calls.at(-1)).toEqual({ name: ACTIVITY.recordOutcome, input: { requestId: INPUT.requestId, outcome: 'Cancelled', cancel } });
  expect(openTimers).toEqual([]);
});
