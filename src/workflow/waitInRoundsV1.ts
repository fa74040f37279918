import type { OrchestrationContext, Task } from 'durable-functions';
import { EVENTS, type ApprovalDecisionEvent, type CancelEvent } from './contract.js';
import type { WaitOutcome, WaitPlan } from './waitForDecisionOrDeadline.js';

/**
 * The approval wait of workflow version 1, kept unchanged so that instances started before
 * version 2 replay their history exactly (README "Changing the orchestration"). It takes new
 * event waiters for each round, so a decision raised while the reminder is being mailed is taken
 * by the first round's waiter and only the deadline settles it; version 2
 * (`waitForDecisionOrDeadline`) fixes that. Remove this file once no version 1 instance runs.
 */
export function* waitInRoundsV1(context: OrchestrationContext, plan: WaitPlan): Generator<Task, WaitOutcome, unknown> {
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
