import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import { EVENTS, type ApprovalDecisionEvent, type CancelEvent } from './contract.js';

export type WaitOutcome =
  | { kind: 'decision'; decision: ApprovalDecisionEvent }
  | { kind: 'cancel'; cancel: CancelEvent }
  | { kind: 'deadline' };

export interface WaitPlan {
  deadline: Date;
  /** When to nudge the approvers; ignored unless it falls before the deadline. */
  reminderAt: Date;
  /** Builds the task that sends the reminder (an activity call). */
  sendReminder: () => Task;
  /**
   * The instance's Cancel waiter, when an earlier wait (the confirmation) already made one: a
   * second waiter of the same name would leave the first to swallow the cancel.
   */
  cancel?: Task;
}

/**
 * Waits for the first of: an approval decision, an admin cancel, or the deadline (DESIGN §2
 * step 5). One pair of event waiters lives for the whole wait and joins every race: the reminder
 * timer, the reminder being mailed, then the deadline. `durable-functions` hands an event to a
 * waiter that is still open, so a waiter left behind by an earlier race would swallow a decision;
 * with one pair there is none. The losing timer is cancelled so the instance can finish without
 * waiting for it. Only the event waiters join more than one race: a timer or an activity yielded
 * twice would be scheduled twice by the host.
 */
export function* waitForDecisionOrDeadline(context: OrchestrationContext, plan: WaitPlan): Generator<Task, WaitOutcome, unknown> {
  const decision = context.df.waitForExternalEvent(EVENTS.approvalDecision);
  const cancel = plan.cancel ?? context.df.waitForExternalEvent(EVENTS.cancel);
  // A Cancel waiter from the confirmation wait may have taken its event between the waits, when
  // no race was open: a race built now would never hear of it, so the cancel wins before any.
  if (cancel.isCompleted) return { kind: 'cancel', cancel: cancel.result as CancelEvent };
  /** Races the waiters against `task`; the event's outcome, or undefined when `task` won. */
  function* raceAgainst(task: Task): Generator<Task, WaitOutcome | undefined, unknown> {
    const winner = yield context.df.Task.any([decision, cancel, task]);
    if (winner === task) return undefined;
    if (winner === decision) return { kind: 'decision', decision: decision.result as ApprovalDecisionEvent };
    return { kind: 'cancel', cancel: cancel.result as CancelEvent };
  }
  /** A timer that fired in the same episode as the event needs (and allows) no cancel. */
  const cancelIfPending = (timer: TimerTask) => {
    if (!timer.isCompleted) timer.cancel();
  };

  if (plan.reminderAt.getTime() < plan.deadline.getTime()) {
    const reminderTimer = context.df.createTimer(plan.reminderAt);
    const early = yield* raceAgainst(reminderTimer);
    if (early) {
      cancelIfPending(reminderTimer);
      return early;
    }
    // The reminder mail can be slow (Graph throttling, activity retries): a decision meanwhile
    // takes effect at once, and the reminder step, run to its end, finds the request decided.
    const reminder = plan.sendReminder();
    const during = yield* raceAgainst(reminder);
    if (during) return during;
    if (reminder.isFaulted) throw reminder.result;
  }
  const deadlineTimer = context.df.createTimer(plan.deadline);
  const decided = yield* raceAgainst(deadlineTimer);
  if (!decided) return { kind: 'deadline' };
  cancelIfPending(deadlineTimer);
  return decided;
}
