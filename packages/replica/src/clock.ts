/**
 * The replica's notion of time. Canisters see it through `ic.time()`, timers fire by it and
 * certificates carry it, so tests swap in a {@link TestClock} to move time without sleeping.
 */
export interface Clock {
  /** @returns the current time in nanoseconds since the Unix epoch. */
  nowNs(): bigint;
  /**
   * Calls `listener` whenever time jumps forward by other means than its natural flow, so the
   * replica can run timers that became due. Returns a function that removes the listener.
   */
  onAdvance(listener: () => void): () => void;
}

const NS_PER_MS = 1_000_000n;

/**
 * @returns wall-clock time in nanoseconds since the Unix epoch, the default of
 * `ReplicaOptions.wallClock`
 * @internal
 */
export function wallClockNs(): bigint {
  return BigInt(Date.now()) * NS_PER_MS;
}

/** Wall-clock time. */
export class SystemClock implements Clock {
  nowNs(): bigint {
    return wallClockNs();
  }

  onAdvance(): () => void {
    return () => undefined;
  }
}

/**
 * A clock that only moves when told to. {@link TestClock.advance} fires the replica's due timers
 * (each in its own round) before it resolves.
 */
export class TestClock implements Clock {
  #nowNs: bigint;
  readonly #listeners = new Set<() => void | Promise<void>>();

  /** @param startMs - initial time in ms since the epoch @default Date.now() */
  constructor(startMs: number = Date.now()) {
    this.#nowNs = BigInt(startMs) * NS_PER_MS;
  }

  nowNs(): bigint {
    return this.#nowNs;
  }

  onAdvance(listener: () => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Moves time forward and waits until every replica using this clock has run the timers that
   * became due.
   * @param ms - how far to move, in milliseconds (≥ 0)
   * @throws RangeError when `ms` is negative: replica time never goes back
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`TestClock.advance takes a non-negative number of ms, got ${ms}`);
    this.#nowNs += BigInt(Math.round(ms * 1e6));
    await Promise.all([...this.#listeners].map((listener) => listener()));
  }
}
