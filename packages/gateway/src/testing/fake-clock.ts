/**
 * A clock for unit tests: time stands still until a test advances it, and timers run in order as
 * it passes. Not part of the package.
 */
import type { Clock, Timer } from '../clock';

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** @returns once every promise callback already queued (and those they queue) has run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Scheduled[] = [];

  /** @param start - epoch milliseconds the clock starts at */
  constructor(start = Date.UTC(2030, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(callback: () => void, ms: number): Timer {
    const timer: Scheduled = { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback };
    this.#timers.push(timer);
    return { cancel: () => void (this.#timers = this.#timers.filter((t) => t !== timer)) };
  }

  /** Timers scheduled and not yet run nor cancelled. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Delays of the pending timers from now, soonest first. */
  get pendingDelays(): number[] {
    return this.#timers.map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time on by `ms`, running each timer due on the way and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}
