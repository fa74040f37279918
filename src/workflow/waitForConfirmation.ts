import type { OrchestrationContext, Task } from 'durable-functions';
import type { ConfirmationOutcome } from './activityContract.js';
import { EVENTS, type CancelEvent } from './contract.js';

/**
 * Waits for the first of: the new address's confirmation, a cancel, or the confirmation deadline
 * (DESIGN §2 step 3). `cancel` is the instance's one Cancel waiter, which the approval wait goes
 * on using; the confirmation waiter is never needed again, and no other event bears its name.
 */
export function* waitForConfirmation(context: OrchestrationContext, plan: { deadline: Date; cancel: Task }): Generator<Task, ConfirmationOutcome, unknown> {
  const confirmed = context.df.waitForExternalEvent(EVENTS.newEmailConfirmed);
  const timer = context.df.createTimer(plan.deadline);
  const winner = yield context.df.Task.any([confirmed, plan.cancel, timer]);
  if (winner === timer) return { kind: 'deadline' };
  // A timer that fired in the same episode as the event needs (and allows) no cancel.
  if (!timer.isCompleted) timer.cancel();
  return winner === confirmed ? { kind: 'confirmed' } : { kind: 'cancel', cancel: plan.cancel.result as CancelEvent };
}
