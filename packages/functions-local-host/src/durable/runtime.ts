import { randomUUID } from 'node:crypto';
import type { FunctionInvoker, TypedData } from '../contracts.js';
import { ConcurrencyLimit } from './concurrency.js';
import {
  executionCompleted,
  executionStarted,
  executionTerminated,
  EventType,
  genericEvent,
  orchestratorCompleted,
  orchestratorStarted,
  OrchestrationStatusCode,
  type Completion,
  type HistoryEvent,
} from './history.js';
import { isTerminal, type InboxEntry, type InboxMessage, type InstanceRecord, type InstanceStore, type StoredInstance } from './instanceStore.js';
import {
  allocatesId,
  deliverCompletions,
  hasPendingTimer,
  LONG_RUNNING_TIMER_INTERVAL_DURATION,
  MAXIMUM_SHORT_TIMER_DURATION,
  newExecutionState,
  parseOrchestratorFailure,
  rescheduleRewoundTasks,
  scheduleActions,
  unsupportedActionMessage,
  type OpenTask,
  type OrchestratorState,
} from './replay.js';
import { systemClock, type DurableClock } from './clock.js';
import { TimerClock } from './timers.js';

/**
 * Runs orchestrations: one episode at a time per instance, each replaying the persisted history
 * through the app's orchestrator function, then committing what it decided before acting on it.
 * Messages from outside (raised events, control requests) are persisted to the instance's inbox
 * before the caller is answered. Results of this process's own tasks (activities, sub-orchestrations)
 * wait in memory for the next episode, whose commit records them in the history: a crash before that
 * commit loses them, and the restart runs those tasks again (at least once, as Azure runs activities).
 * So a task costs no Table operation of its own.
 */

/** An inbox commit may carry at most 99 deletions (≤100 operations per transaction). */
const MAX_MESSAGES_PER_EPISODE = 50;

export type ControlOutcome = 'accepted' | 'notFound' | 'gone';
/** `notFailed`: Azure rewinds only Failed instances; `retried`: see `rewind`. */
export type RewindOutcome = ControlOutcome | 'notFailed' | 'retried';
export type StartOutcome = 'created' | 'conflict' | 'unknownOrchestrator';

export interface RuntimeOptions {
  invoker: FunctionInvoker;
  store: InstanceStore;
  maxConcurrentActivityFunctions: number;
  /** The `durableClient` input's data, for activities that take one. */
  clientBindingData?: TypedData;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  clock?: DurableClock;
}

/** What a rewind writes for one instance. */
interface RewindPlan {
  stored: StoredInstance;
  rewritten: { index: number; event: HistoryEvent }[];
  wake?: InboxMessage;
}

interface Candidate {
  completion: Completion;
  at: number;
  inboxKey?: string;
}

export class OrchestrationRuntime {
  /** Unfinished instances, as last committed (finished ones are read from the table). */
  private readonly active = new Map<string, StoredInstance>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly queued = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly activitySlots: ConcurrencyLimit;
  private readonly timeSource: DurableClock;
  private readonly timers: TimerClock;
  private readonly finishedListeners: ((record: InstanceRecord) => void)[] = [];
  private rewinds: Promise<unknown> = Promise.resolve();
  private stopping = false;
  episodes = 0;
  activityExecutions = 0;

  constructor(private readonly options: RuntimeOptions) {
    this.activitySlots = new ConcurrencyLimit(options.maxConcurrentActivityFunctions);
    this.timeSource = options.clock ?? systemClock;
    this.timers = new TimerClock((instanceId) => this.kick(instanceId), this.timeSource);
  }

  /** The engine's current time (its clock's, which tests may skip ahead). */
  now(): Date {
    return new Date(this.timeSource.now());
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.options.store.init();
    for (const instance of await this.options.store.loadUnfinished()) {
      this.active.set(instance.record.instanceId, instance);
      await this.resumeOpenTasks(instance);
      this.kick(instance.record.instanceId);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.timers.disarmAll();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    // A stop, unlike a crash, keeps the results no episode took yet: their tasks need not run again.
    for (const instance of this.active.values()) {
      const held = instance.inbox.filter((entry) => entry.memoryOnly?.executionId === instance.record.executionId);
      if (held.length === 0) continue;
      await this.options.store.appendInbox(instance.record.instanceId, held).catch((error: unknown) => {
        this.options.log('warn', `Durable instance ${instance.record.instanceId}: ${held.length} task result(s) not kept, the tasks run again at the next start: ${String(error)}`);
      });
    }
  }

  onFinished(listener: (record: InstanceRecord) => void): void {
    this.finishedListeners.push(listener);
  }

  activeCount(): number {
    return this.active.size;
  }

  async readRecord(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.active.get(instanceId)?.record ?? (await this.options.store.readRecord(instanceId));
  }

  listRecords(): Promise<InstanceRecord[]> {
    return this.options.store.listRecords();
  }

  async startNew(name: string, instanceId: string, input: string, parent?: { instanceId: string; taskId: number }): Promise<StartOutcome> {
    if (this.triggerBinding(name, 'orchestrationTrigger') === undefined) return 'unknownOrchestrator';
    const now = this.now().toISOString();
    const record: InstanceRecord = {
      instanceId,
      name,
      runtimeStatus: 'Pending',
      input,
      output: null,
      customStatus: null,
      createdTime: now,
      lastUpdatedTime: now,
      executionId: randomUUID(),
      generation: 0,
      historyLength: 0,
      parentInstanceId: parent?.instanceId ?? null,
      parentTaskId: parent?.taskId ?? null,
      execution: newExecutionState(),
    };
    if (!(await this.options.store.create(record))) {
      // An id may be reused once its instance has finished (Azure overwrites it).
      const existing = await this.readRecord(instanceId);
      if (existing && !isTerminal(existing.runtimeStatus)) return 'conflict';
      await this.options.store.purge(instanceId);
      if (!(await this.options.store.create(record))) return 'conflict';
    }
    this.active.set(instanceId, { record, history: [], inbox: [] });
    this.kick(instanceId);
    return 'created';
  }

  async purge(instanceId: string): Promise<number> {
    const record = await this.readRecord(instanceId);
    if (!record || !isTerminal(record.runtimeStatus)) return 0;
    return this.options.store.purge(instanceId);
  }

  /** The current execution's history, as committed (empty before the first episode). */
  async readHistory(instanceId: string): Promise<HistoryEvent[]> {
    return this.active.get(instanceId)?.history ?? (await this.options.store.load(instanceId))?.history ?? [];
  }

  /**
   * Rewinds a Failed instance as the Azure Storage backend does (`RewindHistoryAsync`): every
   * failure of the current execution, and the TaskScheduled of each failed activity, becomes a
   * GenericEvent in place; failed sub-orchestrations are rewound the same way, depth first; the
   * instances become Pending, and those without failed sub-orchestrations are woken with a
   * GenericEvent carrying the reason. Replay then finds the failed activities unscheduled and
   * schedules them again with the same ids. A task that failed after retries (…WithRetry) is not
   * rewound: its retry timers stay in the history and would no longer line up with the ids the
   * library allocates.
   */
  rewind(instanceId: string, reason: string | null): Promise<RewindOutcome> {
    // One rewind at a time: a second one of the same instance must see the first one's result.
    const rewinding = this.rewinds.then(() => this.rewindNow(instanceId, reason));
    this.rewinds = rewinding.catch(() => undefined);
    return this.track(rewinding);
  }

  private async rewindNow(instanceId: string, reason: string | null): Promise<RewindOutcome> {
    const record = await this.readRecord(instanceId);
    if (!record) return 'notFound';
    if (record.runtimeStatus === 'Completed' || record.runtimeStatus === 'Terminated' || record.runtimeStatus === 'Canceled') return 'gone';
    if (record.runtimeStatus !== 'Failed') return 'notFailed';
    const plans: RewindPlan[] = [];
    if (!(await this.planRewind(instanceId, reason, plans))) return 'retried';
    const rewound: StoredInstance[] = [];
    for (const { stored, rewritten, wake } of plans) {
      const entry = await this.options.store.rewind(stored.record, rewritten, wake);
      for (const { index, event } of rewritten) stored.history[index] = { ...event, IsPlayed: true };
      if (entry) stored.inbox.push(entry);
      rewound.push(stored);
    }
    // Children were planned (and written) first; parents go live first, so that a child that
    // finishes at once finds its parent waiting for it.
    for (const instance of rewound.reverse()) {
      this.active.set(instance.record.instanceId, instance);
      await this.resumeOpenTasks(instance);
      if (instance.inbox.length > 0) this.kick(instance.record.instanceId);
    }
    return 'accepted';
  }

  /** Plans the rewind of one instance and of its failed children; false when a failure was retried. */
  private async planRewind(instanceId: string, reason: string | null, plans: RewindPlan[]): Promise<boolean> {
    const stored = await this.options.store.load(instanceId);
    if (!stored) return true;
    const { record, history } = stored;
    const retried = new Set(record.execution.retriedFailures ?? []);
    const rewritten: { index: number; event: HistoryEvent }[] = [];
    const reopened: Extract<OpenTask, { kind: 'activity' }>[] = [];
    const waitingOn: Extract<OpenTask, { kind: 'subOrchestration' }>[] = [];
    const erase = (index: number) => rewritten.push({ index, event: genericEvent(history[index]!.Timestamp, history[index]!.EventId, null) });
    const scheduledAt = (eventType: number, taskId: unknown) => history.findIndex((event) => event.EventType === eventType && event.EventId === taskId);

    for (const [index, event] of history.entries()) {
      if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) {
        const taskId = event.TaskScheduledId as number;
        if (retried.has(taskId)) return false;
        if (event.EventType === EventType.TaskFailed) {
          const at = scheduledAt(EventType.TaskScheduled, taskId);
          if (at >= 0) {
            const scheduled = history[at]!;
            reopened.push({ kind: 'activity', id: taskId, name: String(scheduled.Name), input: String(scheduled.Input) });
            erase(at);
          }
        } else {
          // The SubOrchestrationInstanceCreated stays: the same child is rewound and reports back.
          const created = history[scheduledAt(EventType.SubOrchestrationInstanceCreated, taskId)];
          if (created) {
            const childInstanceId = String(created.InstanceId);
            waitingOn.push({ kind: 'subOrchestration', id: taskId, name: String(created.Name), childInstanceId, input: String(created.Input) });
            const child = await this.readRecord(childInstanceId);
            if (child?.runtimeStatus === 'Failed' && !(await this.planRewind(childInstanceId, reason, plans))) return false;
          }
        }
        erase(index);
      } else if (event.EventType === EventType.ExecutionCompleted && event.OrchestrationStatus === OrchestrationStatusCode.Failed) {
        erase(index);
      }
    }

    Object.assign(record, { runtimeStatus: 'Pending', output: null, lastUpdatedTime: this.now().toISOString() });
    record.execution.openTasks.push(...waitingOn);
    record.execution.rewound = reopened;
    const wake: InboxMessage | undefined = waitingOn.length === 0 ? { type: 'rewind', reason } : undefined;
    plans.push({ stored, rewritten, wake });
    return true;
  }

  raiseEvent(instanceId: string, name: string, input: string | null): Promise<ControlOutcome> {
    return this.control(instanceId, { type: 'completion', completion: { kind: 'eventRaised', name, input } });
  }

  control(instanceId: string, message: InboxMessage): Promise<ControlOutcome> {
    return this.track(
      (async () => {
        const record = await this.readRecord(instanceId);
        if (!record) return 'notFound';
        if (isTerminal(record.runtimeStatus)) return 'gone';
        await this.deliver(instanceId, message);
        return 'accepted';
      })(),
    );
  }

  /** Persists a message for an unfinished instance and wakes it; late messages are dropped. */
  private async deliver(instanceId: string, message: InboxMessage): Promise<void> {
    if (!this.active.has(instanceId)) return;
    const entry = this.options.store.newInboxEntry(message);
    await this.options.store.appendInbox(instanceId, [entry]);
    this.enqueue(instanceId, entry);
  }

  /**
   * Hands the result of a task of `executionId` to its instance in memory, and wakes it. The
   * next episode's commit is the result's first write; results of another execution (before a
   * continueAsNew) or for a finished instance are dropped.
   */
  private deliverResult(instanceId: string, executionId: string, completion: Completion): void {
    this.enqueue(instanceId, { ...this.options.store.newInboxEntry({ type: 'completion', completion }), memoryOnly: { executionId } });
  }

  /** Adds an entry to an unfinished instance's inbox in arrival order, and wakes the instance. */
  private enqueue(instanceId: string, entry: InboxEntry): void {
    // Read the instance now: an episode may have replaced its inbox array while a message was written.
    const inbox = this.active.get(instanceId)?.inbox;
    if (!inbox) return;
    // A message stamped before a result may be added after it (its write took time): keep key order,
    // which is the order a restart reads the inbox in and the order episodes take messages in.
    let at = inbox.length;
    while (at > 0 && inbox[at - 1]!.key > entry.key) at--;
    inbox.splice(at, 0, entry);
    this.kick(instanceId);
  }

  /** Queues an episode run; several wake-ups before it starts collapse into one. */
  private kick(instanceId: string): void {
    if (this.stopping || this.queued.has(instanceId)) return;
    this.queued.add(instanceId);
    const previous = this.queues.get(instanceId) ?? Promise.resolve();
    const next = previous.then(async () => {
      this.queued.delete(instanceId);
      if (this.stopping) return;
      try {
        while (!this.stopping && (await this.runEpisode(instanceId)));
      } catch (error) {
        this.options.log('error', `Durable instance ${instanceId}: episode failed, retrying in 1 s: ${(error as Error).stack ?? error}`);
        // Nothing of a failed episode was committed, so trying again later is safe (e.g. storage hiccup).
        setTimeout(() => this.kick(instanceId), 1000).unref();
      }
    });
    this.queues.set(instanceId, next);
    void this.track(next).then(() => {
      if (this.queues.get(instanceId) === next) this.queues.delete(instanceId);
    });
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    const untrack = () => this.inflight.delete(work);
    work.then(untrack, untrack);
    return work;
  }

  /** One episode; true when it made progress and more pending work may remain. */
  private async runEpisode(instanceId: string): Promise<boolean> {
    const instance = this.active.get(instanceId);
    if (!instance) return false;
    const record: InstanceRecord = { ...instance.record, execution: structuredClone(instance.record.execution) };
    const now = this.now();
    const consumed: string[] = [];
    const rewindReasons: (string | null)[] = [];

    for (const entry of instance.inbox.slice(0, MAX_MESSAGES_PER_EPISODE)) {
      const { message } = entry;
      if (message.type === 'terminate') {
        await this.finishTerminated(instance, record, message.reason, now);
        return false;
      }
      if (message.type === 'rewind') {
        consumed.push(entry.key);
        rewindReasons.push(message.reason);
      }
      if (message.type === 'suspend' || message.type === 'resume') {
        consumed.push(entry.key);
        if (message.type === 'suspend' && record.runtimeStatus !== 'Suspended') record.runtimeStatus = 'Suspended';
        if (message.type === 'resume' && record.runtimeStatus === 'Suspended') record.runtimeStatus = record.historyLength === 0 ? 'Pending' : 'Running';
      }
    }
    if (record.runtimeStatus === 'Suspended') {
      if (consumed.length === 0) return false;
      record.lastUpdatedTime = now.toISOString();
      await this.commit(instance, record, [], consumed);
      return false;
    }

    const delivered = this.selectDeliveries(instance.inbox, record, now, consumed);
    const isNewExecution = record.historyLength === 0;
    if (!isNewExecution && delivered.length === 0 && rewindReasons.length === 0) {
      if (consumed.length === 0) return false;
      await this.commit(instance, record, [], consumed);
      return true;
    }

    const latestFireAt = Math.max(0, ...delivered.filter((c) => c.kind === 'timerFired').map((c) => Date.parse(c.fireAt)));
    const episodeTime = new Date(Math.max(now.getTime(), latestFireAt));
    const timestamp = episodeTime.toISOString();
    const newEvents: HistoryEvent[] = [orchestratorStarted(timestamp)];
    if (isNewExecution) {
      newEvents.push(
        executionStarted(timestamp, {
          instanceId,
          executionId: record.executionId,
          name: record.name,
          input: record.input,
          parentInstanceId: record.parentInstanceId,
        }),
      );
    }
    // A rewind's wake-up message becomes a GenericEvent, as Azure Storage sends one.
    newEvents.push(...rewindReasons.map((reason) => genericEvent(timestamp, -1, reason)));
    const { history: completionEvents, schedule } = deliverCompletions(record.execution, delivered, episodeTime);
    newEvents.push(...completionEvents);
    rescheduleRewoundTasks(record.execution, schedule, episodeTime);

    this.episodes++;
    const { state, failure } = await this.invokeOrchestrator(record, [...instance.history, ...newEvents]);
    const outcome = scheduleActions(record.execution, state, instanceId, episodeTime, schedule);
    newEvents.push(...schedule.events);
    if (state.customStatus !== undefined) record.customStatus = JSON.stringify(state.customStatus);
    record.lastUpdatedTime = this.now().toISOString();

    const failureMessage =
      failure !== undefined
        ? `Orchestrator function '${record.name}' failed: ${failure}`
        : outcome.kind === 'unsupported'
          ? `Orchestrator function '${record.name}' failed: ${unsupportedActionMessage(outcome.action, record)}`
          : undefined;
    if (failure === undefined && outcome.kind === 'unsupported' && failureMessage) this.options.log('error', `Durable instance ${instanceId}: ${failureMessage}`);
    if (failureMessage !== undefined) {
      record.runtimeStatus = 'Failed';
      record.output = JSON.stringify(failureMessage);
      newEvents.push(executionCompleted(timestamp, OrchestrationStatusCode.Failed, record.output));
    } else if (outcome.kind === 'continueAsNew') {
      Object.assign(record, {
        runtimeStatus: 'Running',
        input: outcome.input,
        executionId: randomUUID(),
        generation: record.generation + 1,
        historyLength: 0,
        execution: newExecutionState(),
      });
      await this.commit(instance, record, [], consumed);
      return true;
    } else if (state.isDone && !hasPendingTimer(record.execution)) {
      record.runtimeStatus = 'Completed';
      record.output = JSON.stringify(state.output ?? null);
      newEvents.push(executionCompleted(timestamp, OrchestrationStatusCode.Completed, record.output));
    } else {
      record.runtimeStatus = 'Running';
    }
    newEvents.push(orchestratorCompleted(timestamp));
    await this.commit(instance, record, newEvents, consumed);

    if (isTerminal(record.runtimeStatus)) return false;
    for (const task of schedule.opened) this.startTask(record, task);
    return true;
  }

  /**
   * Pending completions (inbox messages and due timers, oldest first) this episode delivers.
   * Late completions for tasks no longer open are consumed without delivery.
   */
  private selectDeliveries(inbox: InboxEntry[], record: InstanceRecord, now: Date, consumed: string[]): Completion[] {
    const candidates: Candidate[] = [];
    for (const entry of inbox.slice(0, MAX_MESSAGES_PER_EPISODE)) {
      if (entry.message.type !== 'completion') continue;
      // A result for the execution before a continueAsNew: its task id may be reused by this one.
      if (entry.memoryOnly && entry.memoryOnly.executionId !== record.executionId) consumed.push(entry.key);
      else candidates.push({ completion: entry.message.completion, at: Number(entry.key.split('-')[1]), inboxKey: entry.key });
    }
    for (const task of record.execution.openTasks) {
      if (task.kind === 'timer' && Date.parse(task.fireAt) <= now.getTime()) {
        candidates.push({ completion: { kind: 'timerFired', taskId: task.id, fireAt: task.fireAt }, at: Date.parse(task.fireAt) });
      }
    }
    candidates.sort((a, b) => a.at - b.at);
    const open = record.execution.openTasks;
    const taken = new Set<number>();
    const delivered: Completion[] = [];
    for (const { completion, inboxKey } of candidates) {
      const taskId = completion.kind === 'eventRaised' ? undefined : completion.taskId;
      const late = taskId !== undefined && (taken.has(taskId) || !open.some((task) => task.id === taskId));
      if (!late) {
        if (delivered.length > 0 && allocatesId(completion, open)) break;
        delivered.push(completion);
        if (taskId !== undefined) taken.add(taskId);
      }
      if (inboxKey) consumed.push(inboxKey);
    }
    return delivered;
  }

  private async invokeOrchestrator(record: InstanceRecord, history: HistoryEvent[]): Promise<{ state: OrchestratorState; failure?: string }> {
    const binding = this.triggerBinding(record.name, 'orchestrationTrigger');
    if (binding === undefined) return { state: { isDone: false, actions: [[]] }, failure: `The function '${record.name}' is not an orchestrator function.` };
    const trigger = {
      history,
      input: JSON.parse(record.input),
      instanceId: record.instanceId,
      isReplaying: history.some((event) => event.IsPlayed),
      parentInstanceId: record.parentInstanceId,
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      // The Azure Storage backend's limits, as the extension sends them: the library then counts
      // a longer timer's sub-timers the way `scheduleActions` creates them.
      longRunningTimerIntervalDuration: LONG_RUNNING_TIMER_INTERVAL_DURATION,
      maximumShortTimerDuration: MAXIMUM_SHORT_TIMER_DURATION,
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    try {
      const result = await this.options.invoker.invoke(record.name, [{ name: binding, data: { string: JSON.stringify(trigger) } }], {
        instanceId: { string: record.instanceId },
      });
      const state = JSON.parse(typedDataJson(result.returnValue) ?? 'null') as OrchestratorState | null;
      return state ? { state } : { state: { isDone: false, actions: [[]] }, failure: 'The orchestrator returned no state.' };
    } catch (error) {
      const { error: message, state } = parseOrchestratorFailure((error as Error).message ?? String(error));
      return { state: state ?? { isDone: false, actions: [[]] }, failure: message };
    }
  }

  /** Commits an episode, then makes it the instance's in-memory state. */
  private async commit(instance: StoredInstance, record: InstanceRecord, events: HistoryEvent[], consumed: string[]): Promise<void> {
    const sameExecution = record.generation === instance.record.generation;
    const firstIndex = sameExecution ? instance.record.historyLength : 0;
    record.historyLength = firstIndex + events.length;
    const done = new Set(consumed);
    // Results held in memory were never written: only persisted messages have rows to delete.
    const deleted = instance.inbox.filter((entry) => done.has(entry.key) && !entry.memoryOnly).map((entry) => entry.key);
    await this.options.store.commit(record, events, firstIndex, deleted);
    instance.record = record;
    instance.history = [...(sameExecution ? instance.history : []), ...events.map((event) => ({ ...event, IsPlayed: true }))];
    instance.inbox = instance.inbox.filter((entry) => !done.has(entry.key));
    if (isTerminal(record.runtimeStatus)) this.finished(record);
  }

  private async finishTerminated(instance: StoredInstance, record: InstanceRecord, reason: string | null, now: Date): Promise<void> {
    record.runtimeStatus = 'Terminated';
    record.output = JSON.stringify(reason ?? '');
    record.lastUpdatedTime = now.toISOString();
    record.execution.openTasks = [];
    const consumed = instance.inbox.slice(0, MAX_MESSAGES_PER_EPISODE).map((entry) => entry.key);
    await this.commit(instance, record, [executionTerminated(now.toISOString(), reason)], consumed);
  }

  private finished(record: InstanceRecord): void {
    this.active.delete(record.instanceId);
    const parent = record.parentInstanceId === null ? undefined : this.active.get(record.parentInstanceId);
    // Held in memory like an activity's result, yet not lost in a crash: the child's terminal
    // record is committed already, and on restart `resumeOpenTasks` reads it again for the parent.
    if (parent && record.parentTaskId !== null) this.deliverResult(parent.record.instanceId, parent.record.executionId, childCompletion(record));
    for (const listener of this.finishedListeners) listener(record);
  }

  /** After a restart: re-arm timers, re-run activities without a persisted result, re-link children. */
  private async resumeOpenTasks(instance: StoredInstance): Promise<void> {
    const { instanceId, executionId } = instance.record;
    const answered = new Set(
      instance.inbox.flatMap((entry) => (entry.message.type === 'completion' && 'taskId' in entry.message.completion ? [entry.message.completion.taskId] : [])),
    );
    for (const task of instance.record.execution.openTasks) {
      if (answered.has(task.id)) continue;
      if (task.kind !== 'subOrchestration') {
        this.startTask(instance.record, task);
        continue;
      }
      const child = await this.readRecord(task.childInstanceId);
      if (child?.parentTaskId === task.id && child.parentInstanceId === instanceId) {
        if (isTerminal(child.runtimeStatus)) this.deliverResult(instanceId, executionId, childCompletion(child));
      } else {
        this.startTask(instance.record, task);
      }
    }
  }

  private startTask(record: InstanceRecord, task: OpenTask): void {
    if (task.kind === 'timer') this.timers.arm(record.instanceId, task.id, task.fireAt);
    else if (task.kind === 'activity') void this.track(this.activitySlots.run(() => this.runActivity(record, task)));
    else void this.track(this.startChild(record, task));
  }

  private async startChild(parent: InstanceRecord, task: Extract<OpenTask, { kind: 'subOrchestration' }>): Promise<void> {
    const outcome = await this.startNew(task.name, task.childInstanceId, task.input, { instanceId: parent.instanceId, taskId: task.id });
    if (outcome === 'created') return;
    const reason =
      outcome === 'conflict'
        ? `An orchestration with the instance ID '${task.childInstanceId}' already exists.`
        : `The function '${task.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    // Not persisted either: a restart tries the start again and fails the same way.
    this.deliverResult(parent.instanceId, parent.executionId, { kind: 'subOrchestrationFailed', taskId: task.id, reason, details: '' });
  }

  private async runActivity({ instanceId, executionId }: InstanceRecord, task: Extract<OpenTask, { kind: 'activity' }>): Promise<void> {
    if (this.stopping) return;
    this.activityExecutions++;
    let completion: Completion;
    const binding = this.triggerBinding(task.name, 'activityTrigger');
    if (binding === undefined) {
      // The extension refuses the call itself, so no activity ran and no worker stack exists.
      const known = this.options.invoker.functions().filter((fn) => fn.triggerType === 'activityTrigger').map((fn) => `'${fn.name}'`);
      const reason = `The function '${task.name}' doesn't exist, is disabled, or is not an activity function. Additional info: the known activity functions are ${known.join(', ') || 'none'}.`;
      this.deliverResult(instanceId, executionId, { kind: 'taskFailed', taskId: task.id, reason, details: '' });
      return;
    }
    try {
      const inputs = [{ name: binding, data: { string: task.input } }, ...this.clientInputs(task.name)];
      const result = await this.options.invoker.invoke(task.name, inputs, { instanceId: { string: instanceId } });
      completion = { kind: 'taskCompleted', taskId: task.id, result: typedDataJson(result.returnValue) };
    } catch (error) {
      const { message, stack } = error instanceof Error ? error : new Error(String(error));
      const stackTrace = (error as { stackTrace?: string }).stackTrace ?? stack ?? '';
      // UNCONFIRMED: the extension cuts <msg> out of the host's RpcException text; we use the
      // message as thrown, with one space after the colon.
      completion = {
        kind: 'taskFailed',
        taskId: task.id,
        reason: `Activity function '${task.name}' failed: ${message}`,
        details: JSON.stringify({ Message: message, StackTrace: stackTrace }),
      };
    }
    this.deliverResult(instanceId, executionId, completion);
  }

  /** An activity may take a `durableClient` input (to start or signal other instances), as in Azure. */
  private clientInputs(functionName: string): { name: string; data: TypedData }[] {
    const fn = this.options.invoker.functions().find((candidate) => candidate.name === functionName);
    const data = this.options.clientBindingData;
    if (!fn || !data) return [];
    return Object.entries(fn.bindings)
      .filter(([, binding]) => binding.type.toLowerCase() === 'durableclient' && binding.direction === 'in')
      .map(([name]) => ({ name, data }));
  }

  private triggerBinding(functionName: string, triggerType: string): string | undefined {
    const registered = this.options.invoker.functions().find((fn) => fn.name === functionName);
    return registered?.triggerType === triggerType ? registered.triggerBindingName : undefined;
  }
}

/** What a parent learns when its sub-orchestration finishes. */
function childCompletion(child: InstanceRecord): Completion {
  const taskId = child.parentTaskId ?? -1;
  if (child.runtimeStatus === 'Completed') return { kind: 'subOrchestrationCompleted', taskId, result: child.output };
  // UNCONFIRMED: Reason is the child's failure message and Details is empty.
  const output = child.output === null ? '' : String(JSON.parse(child.output));
  const reason = child.runtimeStatus === 'Terminated' ? `Sub-orchestration '${child.instanceId}' was terminated: ${output}` : output;
  return { kind: 'subOrchestrationFailed', taskId, reason, details: '' };
}

/** A function result as the JSON text the extension stores (reference §4). */
function typedDataJson(value: TypedData | null | undefined): string | null {
  if (!value) return null;
  if (typeof value.string === 'string') return JSON.stringify(value.string);
  if (typeof value.json === 'string') return value.json;
  if (typeof value.int === 'number') return String(value.int);
  if (typeof value.double === 'number') return String(value.double);
  if (value.bytes) return JSON.stringify(Buffer.from(value.bytes).toString('base64'));
  return null;
}
