/**
 * Wakes instances when their durable timers come due. Only the wake-up lives in memory: the
 * timers themselves are persisted as open tasks, so after a restart they are re-armed, and one
 * whose time passed while the host was down fires at once (late, like in Azure).
 */
export class TimerClock {
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(private readonly onDue: (instanceId: string) => void) {}

  arm(instanceId: string, timerId: number, fireAt: string): void {
    const key = `${instanceId}\u0000${timerId}`;
    clearTimeout(this.pending.get(key));
    // setTimeout cannot wait longer than 2^31-1 ms; longer timers re-arm on the way.
    const wait = Math.min(Math.max(0, Date.parse(fireAt) - Date.now()), 2 ** 31 - 1);
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        if (Date.parse(fireAt) > Date.now()) this.arm(instanceId, timerId, fireAt);
        else this.onDue(instanceId);
      }, wait),
    );
  }

  disarmAll(): void {
    this.pending.forEach((timeout) => clearTimeout(timeout));
    this.pending.clear();
  }
}
