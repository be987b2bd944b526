import type { TimerId } from '@icws/backend-cdk';

interface Timer {
  readonly id: TimerId;
  dueNs: bigint;
  readonly intervalNs: bigint | undefined;
  readonly callback: () => void;
}

/** A staged change to a canister's timers, applied only when the method that made it succeeds. */
export type TimerChange =
  | { readonly op: 'set'; readonly timer: Timer }
  | { readonly op: 'clear'; readonly id: TimerId };

const NS_PER_MS = 1_000_000n;

/**
 * The timers of one canister. Canisters set few timers, so the next due one is found by a scan.
 */
export class CanisterTimers {
  readonly #timers = new Map<TimerId, Timer>();
  #nextId = 1;

  /** @returns a staged "set" for a timer due `delayMs` after `nowNs`, repeating when `repeat`. */
  stageSet(nowNs: bigint, delayMs: number, repeat: boolean, callback: () => void): TimerChange {
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new RangeError(`timer delay must be a non-negative number of ms, got ${delayMs}`);
    }
    if (repeat && delayMs === 0) throw new RangeError('an interval timer needs an interval above 0 ms');
    const delayNs = BigInt(Math.round(delayMs * 1e6)) || (repeat ? NS_PER_MS : 0n);
    const timer: Timer = { id: this.#nextId++, dueNs: nowNs + delayNs, intervalNs: repeat ? delayNs : undefined, callback };
    return { op: 'set', timer };
  }

  apply(changes: readonly TimerChange[]): void {
    for (const change of changes) {
      if (change.op === 'set') this.#timers.set(change.timer.id, change.timer);
      else this.#timers.delete(change.id);
    }
  }

  /** @returns the earliest due time, if any timer is set. */
  nextDueNs(): bigint | undefined {
    let next: bigint | undefined;
    for (const timer of this.#timers.values()) if (next === undefined || timer.dueNs < next) next = timer.dueNs;
    return next;
  }

  /**
   * Removes (or re-arms, for intervals) the timers due at `nowNs` and returns their callbacks in
   * due order. An interval timer runs once however many intervals passed, and is due again one
   * interval after `nowNs`, as the IC's timer library reschedules from the time it fired at.
   */
  takeDue(nowNs: bigint): Array<() => void> {
    const due = [...this.#timers.values()].filter((t) => t.dueNs <= nowNs).sort((a, b) => (a.dueNs < b.dueNs ? -1 : a.dueNs > b.dueNs ? 1 : a.id - b.id));
    for (const timer of due) {
      if (timer.intervalNs === undefined) this.#timers.delete(timer.id);
      else timer.dueNs = nowNs + timer.intervalNs;
    }
    return due.map((t) => t.callback);
  }

  get size(): number {
    return this.#timers.size;
  }
}
