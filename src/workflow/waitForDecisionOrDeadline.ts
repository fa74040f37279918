import type { OrchestrationContext, Task } from 'durable-functions';
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
}

/**
 * Waits for the first of: an approval decision, an admin cancel, or the deadline. A reminder
 * timer may fire first; then the reminder is sent and the wait goes on. The losing timer is
 * cancelled so the instance can finish without waiting for it (DESIGN §2 step 4).
 */
export function* waitForDecisionOrDeadline(context: OrchestrationContext, plan: WaitPlan): Generator<Task, WaitOutcome, unknown> {
  if (plan.reminderAt.getTime() < plan.deadline.getTime()) {
    const early = yield* waitUntil(context, plan.reminderAt);
    if (early) return early;
    yield plan.sendReminder();
  }
  return (yield* waitUntil(context, plan.deadline)) ?? { kind: 'deadline' };
}

/** One round of the race; undefined when the timer won. */
function* waitUntil(context: OrchestrationContext, fireAt: Date): Generator<Task, WaitOutcome | undefined, unknown> {
  const decision = context.df.waitForExternalEvent(EVENTS.approvalDecision);
  const cancel = context.df.waitForExternalEvent(EVENTS.cancel);
  const timer = context.df.createTimer(fireAt);
  const winner = yield context.df.Task.any([decision, cancel, timer]);
  if (winner === timer) return undefined;
  // Both may complete in one episode; a completed timer cannot be cancelled (and needs no cancel).
  if (!timer.isCompleted) timer.cancel();
  if (winner === decision) return { kind: 'decision', decision: decision.result as ApprovalDecisionEvent };
  return { kind: 'cancel', cancel: cancel.result as CancelEvent };
}
