import { systemClock, type DurableClock } from './clock.js';

/**
 * Wakes instances when their durable timers come due. Only the wake-up lives in memory: the
 * timers themselves are persisted as open tasks, so after a restart they are re-armed, and one
 * whose time passed while the host was down fires at once (late, like in Azure).
 */
export class TimerClock {
  private readonly pending = new Map<string, { timeout: NodeJS.Timeout; instanceId: string; timerId: number; fireAt: string }>();

  constructor(
    private readonly onDue: (instanceId: string) => void,
    private readonly clock: DurableClock = systemClock,
  ) {
    // After a jump every armed timer waits for its due time again, from the new now.
    clock.onJump?.(() => {
      for (const { instanceId, timerId, fireAt } of [...this.pending.values()]) this.arm(instanceId, timerId, fireAt);
    });
  }

  arm(instanceId: string, timerId: number, fireAt: string): void {
    const key = `${instanceId}\u0000${timerId}`;
    clearTimeout(this.pending.get(key)?.timeout);
    // setTimeout cannot wait longer than 2^31-1 ms; longer timers re-arm on the way.
    const wait = Math.min(Math.max(0, Date.parse(fireAt) - this.clock.now()), 2 ** 31 - 1);
    const timeout = setTimeout(() => {
      this.pending.delete(key);
      if (Date.parse(fireAt) > this.clock.now()) this.arm(instanceId, timerId, fireAt);
      else this.onDue(instanceId);
    }, wait);
    this.pending.set(key, { timeout, instanceId, timerId, fireAt });
  }

  disarmAll(): void {
    this.pending.forEach(({ timeout }) => clearTimeout(timeout));
    this.pending.clear();
  }
}
