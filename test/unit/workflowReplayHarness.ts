import { createRequire } from 'node:module';
import { DummyOrchestrationContext, type OrchestrationHandler } from 'durable-functions';
import { ACTIVITY, type ResetOutcome } from '../../src/workflow/activityContract.js';
import { EVENTS, ORCHESTRATOR_NAME, type ApprovalDecisionEvent, type EmailChangeOrchestrationInput } from '../../src/workflow/contract.js';

/**
 * Runs an orchestrator under the real `durable-functions` replay engine: each episode re-runs the
 * generator over the whole history, as Azure does, so this catches what a fake context cannot
 * (RetryOptions accepted, `Task.any` winners, timer cancellation, replay determinism). The host's
 * half is played here with the id rule of reference §3.3, as the local host plays it: leaves of the
 * cumulative action list are matched by position, and a known position whose action changed kind
 * or name is a non-determinism error (what DTFx raises when replayed code schedules other work).
 * No activity fails, so ids are simple. The state between episodes is plain JSON, so a run can stop
 * while waiting, be saved as a fixture, and go on later with other code (a deployment).
 */

export type Leaf = { actionType: number; functionName?: string; input?: unknown; fireAt?: string; isCanceled?: boolean; externalEventName?: string; compoundActions?: Leaf[] };
type OrchestratorState = { isDone: boolean; actions: Leaf[][]; output?: unknown; customStatus?: unknown; error?: string };
type Listener = (trigger: unknown, context: unknown) => Promise<OrchestratorState>;

const { Orchestrator } = createRequire(__filename)('durable-functions/lib/src/orchestrations/Orchestrator.js') as {
  Orchestrator: new (fn: OrchestrationHandler) => { listen(): Listener };
};

const T = { ExecutionStarted: 0, TaskScheduled: 4, TaskCompleted: 5, TimerCreated: 10, TimerFired: 11, OrchestratorStarted: 12, OrchestratorCompleted: 13, EventRaised: 15 };
export const A = { CreateTimer: 5, WaitForExternalEvent: 6 };

/**
 * What settles the next wait: the earliest open timer fires, or an event is raised. `whilePending`
 * raises the event while that activity is still running (before its completion is delivered).
 */
export type RaceStep = { timer: true } | { event: string; input: unknown; whilePending?: string };

/** Everything the host keeps between episodes. */
export interface HostState {
  input: EmailChangeOrchestrationInput;
  now: number;
  history: Record<string, unknown>[];
  /** Per leaf position: the id it took (-1 for event waiters) and what it was. */
  leaves: { id: number; actionType: number; functionName?: string }[];
  open: [number, Leaf][];
  nextId: number;
}

export interface ReplayRun {
  state: OrchestratorState;
  calls: { name: string; input: unknown }[];
  openTimers: Leaf[];
  host: HostState;
}

export function startState(input: EmailChangeOrchestrationInput): HostState {
  const now = Date.parse(input.submittedAt);
  const stamp = new Date(now).toISOString();
  const history = [
    { EventType: T.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: stamp },
    { EventType: T.ExecutionStarted, EventId: -1, IsPlayed: false, Timestamp: stamp, Name: ORCHESTRATOR_NAME, Input: JSON.stringify(input) },
  ];
  return { input, now, history, leaves: [], open: [], nextId: 0 };
}

/**
 * Runs episodes until the orchestrator is done, or (with `stopWhenWaiting`) until it waits and
 * `race` is used up, or (with `stopBefore`) when that activity is the next to complete: it is
 * scheduled in the history and still running, as when a deployment lands in the middle of it.
 * Open activities complete with `answer` one per episode, oldest first.
 */
export async function replay(
  orchestrator: OrchestrationHandler,
  start: HostState,
  answer: (name: string, input: unknown) => unknown,
  race: RaceStep[],
  options: { stopWhenWaiting?: boolean; stopBefore?: string } = {},
): Promise<ReplayRun> {
  const host: HostState = structuredClone(start);
  const open = new Map<number, Leaf>(host.open);
  const calls: ReplayRun['calls'] = [];
  const steps = [...race];
  const stamp = () => new Date(host.now).toISOString();
  const event = (type: number, extra: Record<string, unknown> = {}) => ({ EventType: type, EventId: -1, IsPlayed: false, Timestamp: stamp(), ...extra });
  const snapshot = (): HostState => ({ ...structuredClone(host), open: structuredClone([...open]) });

  for (let episode = 0; episode < 60; episode++) {
    const { input } = host;
    const trigger = { history: structuredClone(host.history), input, instanceId: input.requestId, isReplaying: false, upperSchemaVersion: 1, upperSchemaVersionNew: 2,
      // Azure's values; the 72 h approval timeout stays below the long-timer split.
      maximumShortTimerDuration: '6.00:00:00', longRunningTimerIntervalDuration: '3.00:00:00' };
    let state: OrchestratorState;
    try {
      state = await new Orchestrator(orchestrator).listen()(trigger, new DummyOrchestrationContext());
    } catch (failure) {
      // An orchestrator that throws comes back as `OrchestrationFailureError` with the state after a label.
      const text = failure instanceof Error ? failure.message : String(failure);
      state = JSON.parse(text.slice(text.indexOf('{'))) as OrchestratorState;
      return { state, calls, openTimers: [], host: snapshot() };
    }
    flatten(state.actions).forEach((leaf, index) => {
      const known = host.leaves[index];
      if (known) {
        if (known.actionType !== leaf.actionType || known.functionName !== leaf.functionName) {
          throw new Error(`non-deterministic replay at action ${index}: recorded ${describe(known)}, replayed ${describe(leaf)}`);
        }
        if (leaf.isCanceled) open.delete(known.id);
        return;
      }
      const id = leaf.actionType === A.WaitForExternalEvent ? -1 : host.nextId++;
      host.leaves.push({ id, actionType: leaf.actionType, ...(leaf.functionName ? { functionName: leaf.functionName } : {}) });
      if (id < 0) return;
      open.set(id, leaf);
      host.history.push(
        leaf.actionType === A.CreateTimer
          ? event(T.TimerCreated, { EventId: id, FireAt: leaf.fireAt })
          : event(T.TaskScheduled, { EventId: id, Name: leaf.functionName, Input: leaf.input }),
      );
    });
    if (state.isDone) return { state, calls, openTimers: [...open.values()].filter((leaf) => leaf.actionType === A.CreateTimer && !leaf.isCanceled), host: snapshot() };
    host.history.push(event(T.OrchestratorCompleted));

    const activities = [...open].filter(([, leaf]) => leaf.actionType !== A.CreateTimer);
    const next = steps[0];
    const raiseNow = next && 'event' in next && next.whilePending !== undefined && activities.some(([, leaf]) => leaf.functionName === next.whilePending);
    if (activities.length > 0 && !raiseNow) {
      const [id, leaf] = activities[0];
      if (leaf.functionName === options.stopBefore) return { state, calls, openTimers: [], host: snapshot() };
      const payload = typeof leaf.input === 'string' ? JSON.parse(leaf.input) : leaf.input;
      calls.push({ name: leaf.functionName!, input: payload });
      open.delete(id);
      host.now += 1000;
      host.history.push(event(T.OrchestratorStarted), event(T.TaskCompleted, { TaskScheduledId: id, Result: JSON.stringify(answer(leaf.functionName!, payload) ?? null) }));
      continue;
    }
    const step = steps.shift();
    if (!step) {
      if (options.stopWhenWaiting) return { state, calls, openTimers: [...open.values()], host: snapshot() };
      throw new Error(`stuck waiting after ${calls.map((c) => c.name).join(', ')}`);
    }
    if ('timer' in step) {
      const timers = [...open].filter(([, leaf]) => leaf.actionType === A.CreateTimer && !leaf.isCanceled);
      const [id, timer] = timers.sort(([, a], [, b]) => Date.parse(a.fireAt!) - Date.parse(b.fireAt!))[0];
      host.now = Date.parse(timer.fireAt!);
      open.delete(id);
      host.history.push(event(T.OrchestratorStarted), event(T.TimerFired, { TimerId: id, FireAt: timer.fireAt }));
    } else {
      host.now += 60_000;
      host.history.push(event(T.OrchestratorStarted), event(T.EventRaised, { Name: step.event, Input: JSON.stringify(step.input) }));
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

function describe(leaf: { actionType: number; functionName?: string }): string {
  return leaf.functionName ? `${leaf.actionType} ${leaf.functionName}` : String(leaf.actionType);
}

export const INVITED: ResetOutcome = { ok: true, invitationId: 'inv-1', inviteRedeemUrl: 'https://login.example/redeem' };

/**
 * What each activity answers on the happy path (the approval policy aside, which each test file
 * chooses): an eligible guest with one approver, waits that end at their deadline, a reset that
 * works, endings stored as asked, mails sent.
 */
export function happyAnswer(name: string, input: unknown): unknown {
  switch (name) {
    case ACTIVITY.screenRequest:
      return { outcome: 'eligible', guest: { id: 'g', displayName: 'G' }, approvers: [{ id: 'a', displayName: 'A', mail: 'a@contoso.com' }] };
    case ACTIVITY.settleConfirmation:
    case ACTIVITY.settleDeadline:
      return { kind: 'deadline' };
    case ACTIVITY.recordConfirmation:
      return { kind: 'confirmed' };
    case ACTIVITY.executeReset:
      return INVITED;
    case ACTIVITY.screenAndAsk:
      return { outcome: 'asked' };
    case ACTIVITY.approveAndReset:
      return { outcome: INVITED, completed: true };
    case ACTIVITY.recordOutcome:
      return (input as { outcome: string }).outcome;
    case ACTIVITY.completeRequest:
      return (input as { outcome: ResetOutcome }).outcome.ok ? 'Completed' : 'Failed';
    case ACTIVITY.sendOutcomeMails:
      return 'sent';
    default:
      return null;
  }
}

/** Per activity, an answer computed from its input. */
export type Answers = Record<string, (input: unknown) => unknown>;

/**
 * Runs one instance of `input` from its start: each activity answers from `overrides`, else from
 * `fixed` (the approval policy a test file chooses, say), else `happyAnswer`.
 */
export function runFromStart(orchestrator: OrchestrationHandler, input: EmailChangeOrchestrationInput, fixed: Record<string, unknown>) {
  return (race: RaceStep[], overrides: Answers = {}) =>
    replay(orchestrator, startState(input), (name, payload) => (overrides[name] ? overrides[name](payload) : name in fixed ? fixed[name] : happyAnswer(name, payload)), race);
}

/** The names of the activities called, in order. */
export const activityNames = (calls: ReplayRun['calls']) => calls.map((call) => call.name);

/** When the replayed requests are submitted. */
export const START = Date.parse('2024-05-01T10:00:00.000Z');

/** The request the replay tests run, submitted at `START`, as `workflowVersion` runs it. */
export function replayInput(workflowVersion: number): EmailChangeOrchestrationInput {
  return {
    requestId: '5b0f6c1e-6a43-4d0e-9c8e-3f1f0a1b2c3d',
    submission: { currentEmail: 'old@fabrikam.example', newEmail: 'new@northwind.example', reason: 'MovedCompany' },
    source: {},
    submittedAt: new Date(START).toISOString(),
    workflowVersion,
  };
}

/** The approver's approval, a day after `START`. */
export const APPROVED: ApprovalDecisionEvent = { outcome: 'approved', approverId: 'a', approverMail: 'a@contoso.com', at: '2024-05-02T10:00:00.000Z' };

/** The new address confirmed: its page raised the event. */
export const CONFIRMED: RaceStep = { event: EVENTS.newEmailConfirmed, input: {} };
