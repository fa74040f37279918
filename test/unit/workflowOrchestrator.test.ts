import type { OrchestrationContext } from 'durable-functions';
import { describe, expect, test } from 'vitest';
import { ACTIVITY, INTERNAL_ERROR_CODE, type ResetOutcome, type ScreeningResult } from '../../src/workflow/activityContract.js';
import { EVENTS, type ApprovalDecisionEvent, type CancelEvent, type EmailChangeOrchestrationInput } from '../../src/workflow/contract.js';
import { internalErrorMessage } from '../../src/domain/errorText.js';
import { emailChangeOrchestrator } from '../../src/workflow/emailChangeOrchestrator.js';
import { RESET_RETRY, STEP_RETRY } from '../../src/workflow/retryPolicies.js';

/**
 * A small stand-in for `context.df` that records what the orchestrator asks for and feeds it
 * answers, one yield at a time, the way the Durable runtime does. Activity answers come from
 * `activities`; each `Task.any` is settled by the next entry of `race`, except that an activity
 * racing the events (the reminder) wins unless the entry says it came `duringReminder`.
 */

interface FakeTask {
  kind: 'activity' | 'event' | 'timer' | 'any';
  name?: string;
  input?: unknown;
  retry?: unknown;
  fireAt?: Date;
  children?: FakeTask[];
  result?: unknown;
  isCanceled?: boolean;
  cancel?: () => void;
}

type RaceWinner = ({ timer: true } | { decision: ApprovalDecisionEvent } | { cancel: CancelEvent }) & { duringReminder?: true };
type ActivityAnswer = (input: unknown) => unknown;

interface Scenario {
  activities: Record<string, ActivityAnswer>;
  race?: RaceWinner[];
  /** The orchestration input; `INPUT` (version 2) when absent. */
  input?: EmailChangeOrchestrationInput;
}

interface Run {
  result: unknown;
  activityCalls: FakeTask[];
  timers: FakeTask[];
  statuses: Record<string, unknown>[];
  /** What the orchestrator logged with `context.error`. */
  errors: unknown[][];
}

const START = new Date('2024-05-01T10:00:00.000Z');
const INPUT: EmailChangeOrchestrationInput = {
  requestId: '5b0f6c1e-6a43-4d0e-9c8e-3f1f0a1b2c3d',
  submission: { currentEmail: 'old@fabrikam.example', newEmail: 'new@northwind.example', reason: 'MovedCompany' },
  source: { ip: '203.0.113.9' },
  submittedAt: START.toISOString(),
  // The approval wait as version 2 runs it (still run by its instances); version 3 adds the
  // confirmation first and mails every ending from one step: workflowConfirmation.test.ts.
  workflowVersion: 2,
};

function runOrchestrator(scenario: Scenario): Run {
  let now = START;
  const race = [...(scenario.race ?? [])];
  const activityCalls: FakeTask[] = [];
  const timers: FakeTask[] = [];
  const statuses: Record<string, unknown>[] = [];
  const errors: unknown[][] = [];
  const df = {
    getInput: () => scenario.input ?? INPUT,
    instanceId: INPUT.requestId,
    isReplaying: false,
    newGuid: (name: string) => `guid-of-${name}`,
    get currentUtcDateTime() {
      return now;
    },
    setCustomStatus: (status: Record<string, unknown>) => statuses.push(status),
    callActivityWithRetry: (name: string, retry: unknown, input?: unknown): FakeTask => ({ kind: 'activity', name, retry, input }),
    waitForExternalEvent: (name: string): FakeTask => ({ kind: 'event', name }),
    createTimer: (fireAt: Date): FakeTask => {
      const timer: FakeTask = { kind: 'timer', fireAt, isCanceled: false };
      timer.cancel = () => (timer.isCanceled = true);
      timers.push(timer);
      return timer;
    },
    Task: { any: (children: FakeTask[]): FakeTask => ({ kind: 'any', children }) },
  };

  const generator = emailChangeOrchestrator({ df, error: (...args: unknown[]) => errors.push(args) } as unknown as OrchestrationContext);
  let step = generator.next();
  while (!step.done) {
    const task = step.value as unknown as FakeTask;
    let answer: unknown;
    try {
      answer = settle(task);
    } catch (error) {
      step = generator.throw(error);
      continue;
    }
    step = generator.next(answer);
  }
  return { result: step.value, activityCalls, timers, statuses, errors };

  function settle(task: FakeTask): unknown {
    if (task.kind === 'activity') {
      activityCalls.push(task);
      const answer = scenario.activities[task.name!];
      if (!answer) throw new Error(`unexpected activity ${task.name}`);
      return answer(task.input);
    }
    if (task.kind === 'timer') {
      now = task.fireAt!;
      return undefined;
    }
    if (task.kind !== 'any') throw new Error(`unexpected yield of a bare ${task.kind}`);
    const children = task.children!;
    const racing = children.find((c) => c.kind === 'activity');
    if (racing && !race[0]?.duringReminder) {
      racing.result = settle(racing);
      return racing;
    }
    const winner = race.shift();
    if (!winner) throw new Error('the orchestrator waited more often than the scenario expected');
    if ('timer' in winner) {
      const timer = children.find((c) => c.kind === 'timer')!;
      now = timer.fireAt!;
      return timer;
    }
    const name = 'decision' in winner ? EVENTS.approvalDecision : EVENTS.cancel;
    const event = children.find((c) => c.kind === 'event' && c.name === name)!;
    event.result = 'decision' in winner ? winner.decision : winner.cancel;
    return event;
  }
}

// ---- scenarios -------------------------------------------------------------------------------

const HOUR = 3_600_000;
const POLICY = { approvalTimeoutMs: 72 * HOUR, reminderAfterMs: 24 * HOUR };
const DEADLINE = new Date(START.getTime() + POLICY.approvalTimeoutMs);
const REMINDER_AT = new Date(START.getTime() + POLICY.reminderAfterMs);
const APPROVER = { id: 'sponsor-1', displayName: 'Sponsor', mail: 'sponsor@contoso.com' };
const ELIGIBLE: ScreeningResult = { outcome: 'eligible', guest: { id: 'guest-1', displayName: 'Guest' }, approvers: [APPROVER] };
const approve = (comment?: string): RaceWinner => ({
  decision: { outcome: 'approved', approverId: APPROVER.id, approverMail: APPROVER.mail, at: REMINDER_AT.toISOString(), ...(comment ? { comment } : {}) },
});
const reject: RaceWinner = { decision: { outcome: 'rejected', approverId: APPROVER.id, approverMail: APPROVER.mail, at: START.toISOString(), comment: 'Unknown to me' } };
const cancel: RaceWinner = { cancel: { reason: 'Guest phoned', by: 'admin@contoso.com', at: START.toISOString() } };
const timer: RaceWinner = { timer: true };
const INVITED: ResetOutcome = { ok: true, invitationId: 'inv-1', inviteRedeemUrl: 'https://login.example/redeem' };

/** The happy answers; each test overrides what it is about. */
function activities(overrides: Record<string, ActivityAnswer> = {}): Record<string, ActivityAnswer> {
  return {
    [ACTIVITY.recordRequest]: () => null,
    [ACTIVITY.getApprovalPolicy]: () => POLICY,
    [ACTIVITY.screenRequest]: () => ELIGIBLE,
    [ACTIVITY.requestApproval]: () => null,
    [ACTIVITY.settleDeadline]: () => ({ kind: 'deadline' }),
    [ACTIVITY.recordOutcome]: (input) => (input as { outcome: string }).outcome,
    [ACTIVITY.markApproved]: () => null,
    [ACTIVITY.executeReset]: () => INVITED,
    [ACTIVITY.restoreMail]: () => 'notNeeded',
    [ACTIVITY.completeRequest]: (input) => ((input as { outcome: ResetOutcome }).outcome.ok ? 'Completed' : 'Failed'),
    [ACTIVITY.sendOutcomeMails]: () => 'sent',
    ...overrides,
  };
}

const names = (run: Run) => run.activityCalls.map((c) => c.name);
const inputOf = (run: Run, name: string) => run.activityCalls.find((c) => c.name === name)?.input;
const lastStatus = (run: Run) => run.statuses.at(-1);

describe('emailChangeOrchestrator', () => {
  test('a declined request ends after screening, without asking anyone', () => {
    const run = runOrchestrator({ activities: activities({ [ACTIVITY.screenRequest]: () => ({ outcome: 'declined', reason: 'NotAGuest' }) }) });
    expect(run.result).toBe('Declined');
    expect(names(run)).toEqual([ACTIVITY.recordRequest, ACTIVITY.getApprovalPolicy, ACTIVITY.screenRequest]);
    expect(inputOf(run, ACTIVITY.recordRequest)).toEqual(INPUT);
    expect(inputOf(run, ACTIVITY.screenRequest)).toBe(INPUT.requestId);
    expect(run.timers).toEqual([]);
    expect(lastStatus(run)).toEqual({ status: 'Declined', declineReason: 'NotAGuest' });
  });

  test('a rejection records the decision and cancels the pending timer', () => {
    const run = runOrchestrator({ activities: activities(), race: [reject] });
    expect(run.result).toBe('Rejected');
    expect(names(run)).toEqual([ACTIVITY.recordRequest, ACTIVITY.getApprovalPolicy, ACTIVITY.screenRequest, ACTIVITY.requestApproval, ACTIVITY.recordOutcome]);
    expect(inputOf(run, ACTIVITY.requestApproval)).toEqual({ requestId: INPUT.requestId, deadline: DEADLINE.toISOString(), reminder: false });
    expect(inputOf(run, ACTIVITY.recordOutcome)).toEqual({ requestId: INPUT.requestId, outcome: 'Rejected', decision: (reject as { decision: ApprovalDecisionEvent }).decision });
    expect(run.timers).toHaveLength(1);
    expect(run.timers[0]).toMatchObject({ fireAt: REMINDER_AT, isCanceled: true });
    expect(lastStatus(run)).toEqual({ status: 'Rejected', decidedBy: APPROVER.mail });
    expect(run.statuses).toContainEqual({ status: 'AwaitingApproval', deadline: DEADLINE.toISOString() });
  });

  test('an admin cancel ends the request Cancelled with who and why', () => {
    const run = runOrchestrator({ activities: activities(), race: [timer, cancel] });
    expect(run.result).toBe('Cancelled');
    expect(inputOf(run, ACTIVITY.recordOutcome)).toEqual({ requestId: INPUT.requestId, outcome: 'Cancelled', cancel: (cancel as { cancel: CancelEvent }).cancel });
    expect(run.timers.map((t) => [t.fireAt, t.isCanceled])).toEqual([
      [REMINDER_AT, false],
      [DEADLINE, true],
    ]);
    expect(lastStatus(run)).toEqual({ status: 'Cancelled', decidedBy: 'admin@contoso.com' });
  });

  test('no answer: a reminder with fresh links at the reminder time, then Expired at the deadline', () => {
    const run = runOrchestrator({ activities: activities(), race: [timer, timer] });
    expect(run.result).toBe('Expired');
    const rounds = run.activityCalls.filter((c) => c.name === ACTIVITY.requestApproval).map((c) => c.input);
    expect(rounds).toEqual([
      { requestId: INPUT.requestId, deadline: DEADLINE.toISOString(), reminder: false },
      { requestId: INPUT.requestId, deadline: DEADLINE.toISOString(), reminder: true },
    ]);
    expect(inputOf(run, ACTIVITY.settleDeadline)).toBe(INPUT.requestId);
    expect(inputOf(run, ACTIVITY.recordOutcome)).toEqual({ requestId: INPUT.requestId, outcome: 'Expired' });
    expect(run.timers.map((t) => t.fireAt)).toEqual([REMINDER_AT, DEADLINE]);
    expect(run.statuses).toContainEqual({ status: 'AwaitingApproval', deadline: DEADLINE.toISOString(), reminderSentAt: REMINDER_AT.toISOString() });
    expect(lastStatus(run)).toEqual({ status: 'Expired' });
  });

  test('the deadline fires, but an approval claimed just before it stands: approve, reset, complete', () => {
    const { decision } = approve('Just in time') as { decision: ApprovalDecisionEvent };
    const run = runOrchestrator({ activities: activities({ [ACTIVITY.settleDeadline]: () => ({ kind: 'decision', decision }) }), race: [timer, timer] });
    expect(run.result).toBe('Completed');
    expect(names(run).slice(-5)).toEqual([ACTIVITY.settleDeadline, ACTIVITY.markApproved, ACTIVITY.executeReset, ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails]);
    expect(inputOf(run, ACTIVITY.markApproved)).toEqual({ requestId: INPUT.requestId, decision });
    expect(run.statuses).toContainEqual({ status: 'Approved', decidedBy: APPROVER.mail });
  });

  test('the deadline fires, but a cancel claimed just before it stands: Cancelled, not Expired', () => {
    const { cancel: claimed } = cancel as { cancel: CancelEvent };
    const run = runOrchestrator({ activities: activities({ [ACTIVITY.settleDeadline]: () => ({ kind: 'cancel', cancel: claimed }) }), race: [timer, timer] });
    expect(run.result).toBe('Cancelled');
    expect(inputOf(run, ACTIVITY.recordOutcome)).toEqual({ requestId: INPUT.requestId, outcome: 'Cancelled', cancel: claimed });
    expect(lastStatus(run)).toEqual({ status: 'Cancelled', decidedBy: 'admin@contoso.com' });
  });

  test('approved after the reminder: approve, reset with the reset retry policy, complete, then the mails', () => {
    const run = runOrchestrator({ activities: activities(), race: [timer, approve('Known colleague')] });
    expect(run.result).toBe('Completed');
    expect(names(run)).toEqual([
      ACTIVITY.recordRequest,
      ACTIVITY.getApprovalPolicy,
      ACTIVITY.screenRequest,
      ACTIVITY.requestApproval,
      ACTIVITY.requestApproval,
      ACTIVITY.markApproved,
      ACTIVITY.executeReset,
      ACTIVITY.completeRequest,
      ACTIVITY.sendOutcomeMails,
    ]);
    expect(inputOf(run, ACTIVITY.sendOutcomeMails)).toBe(INPUT.requestId);
    expect(inputOf(run, ACTIVITY.markApproved)).toEqual({ requestId: INPUT.requestId, decision: (approve('Known colleague') as { decision: ApprovalDecisionEvent }).decision });
    const reset = run.activityCalls.find((c) => c.name === ACTIVITY.executeReset)!;
    expect(reset.retry).toBe(RESET_RETRY);
    expect(reset.input).toBe(INPUT.requestId);
    expect(run.activityCalls.filter((c) => c.name !== ACTIVITY.executeReset).every((c) => c.retry === STEP_RETRY)).toBe(true);
    expect(run.timers[1]).toMatchObject({ fireAt: DEADLINE, isCanceled: true });
    expect(inputOf(run, ACTIVITY.completeRequest)).toEqual({ requestId: INPUT.requestId, outcome: INVITED });
  });

  test('approved while the reminder is being mailed: the approval goes ahead at once, no deadline timer', () => {
    const run = runOrchestrator({ activities: activities(), race: [timer, { ...approve(), duringReminder: true }] });
    expect(run.result).toBe('Completed');
    // The reminder step was still running (the fake never settles it) when the approval was acted on.
    expect(names(run).slice(3)).toEqual([ACTIVITY.requestApproval, ACTIVITY.markApproved, ACTIVITY.executeReset, ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails]);
    expect(run.timers.map((t) => t.fireAt)).toEqual([REMINDER_AT]);
  });

  test('approved before the reminder: no reminder, the reminder timer is cancelled, Completed', () => {
    const run = runOrchestrator({ activities: activities(), race: [approve()] });
    expect(run.result).toBe('Completed');
    expect(run.activityCalls.filter((c) => c.name === ACTIVITY.requestApproval)).toHaveLength(1);
    expect(run.timers).toHaveLength(1);
    expect(run.timers[0].isCanceled).toBe(true);
    expect(run.statuses).toContainEqual({ status: 'Approved', decidedBy: APPROVER.mail });
    expect(lastStatus(run)).toEqual({ status: 'Completed' });
  });

  test('a permanent Graph refusal of the reset ends Failed with Graph’s code', () => {
    const refused: ResetOutcome = { ok: false, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress', requestId: 'graph-req-1' };
    const run = runOrchestrator({ activities: activities({ [ACTIVITY.executeReset]: () => refused }), race: [approve()] });
    expect(run.result).toBe('Failed');
    expect(inputOf(run, ACTIVITY.completeRequest)).toEqual({ requestId: INPUT.requestId, outcome: refused });
    // `mail` is put back (or found untouched) before anyone is told; nothing was pending, so no retries.
    expect(names(run).slice(-4)).toEqual([ACTIVITY.executeReset, ACTIVITY.restoreMail, ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails]);
    expect(run.timers).toHaveLength(1);
    expect(lastStatus(run)).toEqual({ status: 'Failed', errorCode: 'BadRequest' });
  });

  test('a restore Graph keeps refusing is retried on durable timers with growing delays, after the request ended', () => {
    const refused: ResetOutcome = { ok: false, code: 'Forbidden', message: 'No', requestId: 'graph-req-2' };
    const tries = ['pending', 'pending', 'pending', 'done'];
    const run = runOrchestrator({
      activities: activities({
        [ACTIVITY.executeReset]: () => refused,
        [ACTIVITY.restoreMail]: () => tries.shift(),
        [ACTIVITY.getMailRestorePolicy]: () => ({ firstRetryMs: 1_000, maxRetryMs: 3_000, windowMs: 24 * HOUR }),
      }),
      race: [approve()],
    });
    expect(run.result).toBe('Failed');
    // While `mail` stays pending and every mail went out, a try is only the restore; once it is
    // back the mails run again (the admins' notice).
    expect(names(run).slice(-8)).toEqual([
      ACTIVITY.restoreMail,
      ACTIVITY.completeRequest,
      ACTIVITY.sendOutcomeMails,
      ACTIVITY.getMailRestorePolicy,
      ACTIVITY.restoreMail,
      ACTIVITY.restoreMail,
      ACTIVITY.restoreMail,
      ACTIVITY.sendOutcomeMails,
    ]);
    const waits = run.timers.slice(1).map((t, i, all) => t.fireAt!.getTime() - (i === 0 ? REMINDER_AT.getTime() - POLICY.reminderAfterMs : all[i - 1].fireAt!.getTime()));
    expect(waits).toEqual([1_000, 2_000, 3_000]);
  });

  test('a restore still pending when its window closes stops trying', () => {
    const run = runOrchestrator({
      activities: activities({
        [ACTIVITY.executeReset]: () => ({ ok: false, code: 'Forbidden', message: 'No' }),
        [ACTIVITY.restoreMail]: () => 'pending',
        [ACTIVITY.getMailRestorePolicy]: () => ({ firstRetryMs: HOUR, maxRetryMs: 4 * HOUR, windowMs: 24 * HOUR }),
      }),
      race: [approve()],
    });
    expect(run.result).toBe('Failed');
    // 1 h, 2 h, 4 h, then every 4 h: the last try starts at 23 h, the next would be past 24 h.
    expect(run.timers.slice(1).map((t) => t.fireAt!.getTime() - START.getTime())).toEqual([1, 3, 7, 11, 15, 19, 23].map((h) => h * HOUR));
  });

  test('mails Graph refuses are tried again on durable timers, with the restore, until both are done; the outcome stands', () => {
    const refused: ResetOutcome = { ok: false, code: 'ServiceUnavailable', message: 'Try later', requestId: 'graph-req-3' };
    const restores = ['pending', 'pending', 'done'];
    const mails = ['pending', 'pending', 'pending', 'sent'];
    const run = runOrchestrator({
      activities: activities({
        [ACTIVITY.executeReset]: () => refused,
        [ACTIVITY.restoreMail]: () => restores.shift(),
        [ACTIVITY.sendOutcomeMails]: () => mails.shift(),
        [ACTIVITY.getMailRestorePolicy]: () => ({ firstRetryMs: 1_000, maxRetryMs: 3_000, windowMs: 24 * HOUR }),
      }),
      race: [approve()],
    });
    expect(run.result).toBe('Failed');
    expect(names(run).slice(names(run).indexOf(ACTIVITY.executeReset))).toEqual([
      ACTIVITY.executeReset,
      ACTIVITY.restoreMail,
      ACTIVITY.completeRequest,
      ACTIVITY.sendOutcomeMails,
      ACTIVITY.getMailRestorePolicy,
      ACTIVITY.restoreMail,
      ACTIVITY.sendOutcomeMails,
      ACTIVITY.restoreMail,
      ACTIVITY.sendOutcomeMails,
      ACTIVITY.sendOutcomeMails,
    ]);
    expect(run.activityCalls.filter((c) => c.name === ACTIVITY.completeRequest)).toHaveLength(1);
    expect(lastStatus(run)).toEqual({ status: 'Failed', errorCode: 'ServiceUnavailable' });
  });

  test('completing fails for good after Graph refused the reset: the retry keeps Graph’s outcome, and the restore still runs', () => {
    const refused: ResetOutcome = { ok: false, code: 'ServiceUnavailable', message: 'Try later', requestId: 'graph-req-4' };
    let tries = 0;
    const restores = ['pending', 'done'];
    const run = runOrchestrator({
      activities: activities({
        [ACTIVITY.executeReset]: () => refused,
        [ACTIVITY.restoreMail]: () => restores.shift(),
        [ACTIVITY.completeRequest]: () => {
          if (++tries === 1) throw new Error("Activity function 'completeRequest' failed: store unavailable");
          return 'Failed';
        },
        [ACTIVITY.getMailRestorePolicy]: () => ({ firstRetryMs: 1_000, maxRetryMs: 3_000, windowMs: 24 * HOUR }),
      }),
      race: [approve()],
    });
    expect(run.result).toBe('Failed');
    const completions = run.activityCalls.filter((c) => c.name === ACTIVITY.completeRequest).map((c) => c.input);
    expect(completions).toEqual([
      { requestId: INPUT.requestId, outcome: refused },
      { requestId: INPUT.requestId, outcome: refused },
    ]);
    expect(names(run).slice(-4)).toEqual([ACTIVITY.sendOutcomeMails, ACTIVITY.getMailRestorePolicy, ACTIVITY.restoreMail, ACTIVITY.sendOutcomeMails]);
    expect(lastStatus(run)).toEqual({ status: 'Failed', errorCode: 'ServiceUnavailable' });
  });

  test('a version 1 instance replays its own steps (no restore before completing a refused reset), then puts mail back after them', () => {
    const v1Input: EmailChangeOrchestrationInput = { ...INPUT, workflowVersion: undefined };
    const refused: ResetOutcome = { ok: false, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' };
    const run = runOrchestrator({ input: v1Input, activities: activities({ [ACTIVITY.executeReset]: () => refused, [ACTIVITY.restoreMail]: () => 'done' }), race: [approve()] });
    expect(run.result).toBe('Failed');
    expect(names(run).slice(-4)).toEqual([ACTIVITY.executeReset, ACTIVITY.completeRequest, ACTIVITY.restoreMail, ACTIVITY.sendOutcomeMails]);
  });

  test('a reset that keeps throwing (retries exhausted) restores the mail and ends Failed InternalError', () => {
    const run = runOrchestrator({
      activities: activities({
        [ACTIVITY.executeReset]: () => {
          throw new Error("Activity function 'executeReset' failed: 503 ServiceUnavailable");
        },
      }),
      race: [approve()],
    });
    expect(run.result).toBe('Failed');
    expect(names(run).slice(-4)).toEqual([ACTIVITY.executeReset, ACTIVITY.restoreMail, ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails]);
    const completion = inputOf(run, ACTIVITY.completeRequest) as { outcome: ResetOutcome };
    expect(completion.outcome).toMatchObject({ ok: false, code: INTERNAL_ERROR_CODE });
    expect(lastStatus(run)).toEqual({ status: 'Failed', errorCode: INTERNAL_ERROR_CODE });
  });

  test('version 4: approving and resetting failing for good restores the mail and ends Failed InternalError', () => {
    const run = runOrchestrator({
      input: { ...INPUT, workflowVersion: 4 },
      activities: activities({
        [ACTIVITY.beginRequest]: () => ({ policy: { ...POLICY, confirmationRequired: false }, confirmationExpiresAt: START.toISOString() }),
        [ACTIVITY.screenAndAsk]: () => ({ outcome: 'asked' }),
        [ACTIVITY.approveAndReset]: () => {
          throw new Error("Activity function 'approveAndReset' failed: 503 ServiceUnavailable");
        },
      }),
      race: [approve()],
    });
    expect(run.result).toBe('Failed');
    expect(names(run)).toEqual([ACTIVITY.beginRequest, ACTIVITY.screenAndAsk, ACTIVITY.approveAndReset, ACTIVITY.restoreMail, ACTIVITY.completeRequest, ACTIVITY.sendOutcomeMails]);
    expect(run.activityCalls.find((c) => c.name === ACTIVITY.approveAndReset)?.retry).toBe(RESET_RETRY);
    expect((inputOf(run, ACTIVITY.completeRequest) as { outcome: ResetOutcome }).outcome).toMatchObject({ ok: false, code: INTERNAL_ERROR_CODE });
    expect(lastStatus(run)).toEqual({ status: 'Failed', errorCode: INTERNAL_ERROR_CODE });
  });

  test('any other step failing for good still ends the request instead of leaving it hanging', () => {
    const run = runOrchestrator({
      activities: activities({
        [ACTIVITY.screenRequest]: () => {
          throw new Error('Graph unavailable');
        },
      }),
    });
    expect(run.result).toBe('Failed');
    // The restore try finds nothing to put back; the failure mails follow the stored status.
    expect(names(run)).toEqual([ACTIVITY.recordRequest, ACTIVITY.getApprovalPolicy, ACTIVITY.screenRequest, ACTIVITY.completeRequest, ACTIVITY.restoreMail, ACTIVITY.sendOutcomeMails]);
    expect(inputOf(run, ACTIVITY.completeRequest)).toEqual({
      requestId: INPUT.requestId,
      outcome: { ok: false, code: INTERNAL_ERROR_CODE, message: internalErrorMessage(`guid-of-${INPUT.requestId}`) },
    });
  });

  test('a failed activity\'s stack is logged under a reference; the request stores only the reference', () => {
    // What durable-functions throws for a failed activity: its `Reason \n Details`, the stack with server paths.
    const failure = new Error(
      "Activity function 'screenRequest' failed: Request 5b0f is Declined \n Error: Request 5b0f is Declined\n    at markApproved (/work/main/dist/src/activities/createActivities.js:131:19)\n    at async /work/main/node_modules/durable-functions/lib/src/app.js:50:3",
    );
    const run = runOrchestrator({
      activities: activities({
        [ACTIVITY.screenRequest]: () => {
          throw failure;
        },
      }),
    });
    const { outcome } = inputOf(run, ACTIVITY.completeRequest) as { outcome: Extract<ResetOutcome, { ok: false }> };
    const reference = `guid-of-${INPUT.requestId}`;
    expect(outcome.message).toBe(`Internal error (reference ${reference}). The details are in the application logs under this reference.`);
    expect(JSON.stringify(outcome)).not.toMatch(/\/work\/|node_modules|\.js:|\bat /);
    expect(run.errors).toEqual([[`Request ${INPUT.requestId}: internal error, reference ${reference}`, failure]]);
  });

  test('without room for a reminder before the deadline, only the deadline timer runs', () => {
    const run = runOrchestrator({
      activities: activities({ [ACTIVITY.getApprovalPolicy]: () => ({ approvalTimeoutMs: HOUR, reminderAfterMs: HOUR }) }),
      race: [timer],
    });
    expect(run.result).toBe('Expired');
    expect(run.timers.map((t) => t.fireAt)).toEqual([new Date(START.getTime() + HOUR)]);
    expect(run.activityCalls.filter((c) => c.name === ACTIVITY.requestApproval)).toHaveLength(1);
  });
});
