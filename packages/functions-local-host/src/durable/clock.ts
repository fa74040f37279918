/**
 * Time as the Durable engine sees it: episode timestamps (so `currentUtcDateTime`), timer due
 * times, created and updated times. The system clock by default; a test passes a
 * `TimeSkippingClock` to run a week-long timer in a moment, the real engine unchanged.
 */
export interface DurableClock {
  now(): number;
  /** Called back when time jumps ahead, so that armed timers are looked at again. */
  onJump?(listener: () => void): void;
}

export const systemClock: DurableClock = { now: () => Date.now() };

/** The system clock plus an offset that only grows: `skip` moves time forward at once. */
export class TimeSkippingClock implements DurableClock {
  private offsetMs = 0;
  private readonly listeners: (() => void)[] = [];

  now(): number {
    return Date.now() + this.offsetMs;
  }

  onJump(listener: () => void): void {
    this.listeners.push(listener);
  }

  skip(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('A clock can only skip forward.');
    this.offsetMs += ms;
    for (const listener of this.listeners) listener();
  }
}
