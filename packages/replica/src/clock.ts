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
  /**
   * Told the time of each round the replica starts. Rounds run at the clock's time, or 1 ns after
   * the previous round when the clock has not moved; a clock that moves only when told catches up
   * here, so that moving it by `d` always lands `d` after the latest round.
   */
  onRound?(timeNs: bigint): void;
}

/** A {@link Clock} that tests and the admin API can move: a {@link TestClock}. */
export interface ControllableClock extends Clock {
  /** Moves time forward by `ns` and waits until the replicas on this clock have run what became due. */
  advanceNs(ns: bigint): Promise<void>;
  /** Moves time forward to `timeNs` (ns since the epoch), as {@link ControllableClock.advanceNs}. */
  setTimeNs(timeNs: bigint): Promise<void>;
}

/** @returns whether `clock` can be moved by {@link ControllableClock.advanceNs} and `setTimeNs`. */
export function isControllableClock(clock: Clock): clock is ControllableClock {
  const candidate = clock as Partial<ControllableClock>;
  return typeof candidate.advanceNs === 'function' && typeof candidate.setTimeNs === 'function';
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
 * A clock that only moves when told to, and with the replica's rounds: a round that finds the clock
 * where the previous round left it runs 1 ns later and takes the clock along, as PocketIC's `tick`
 * does. So after `advance(d)` the time is exactly `d` after the latest round, and a timer set `d`
 * before has fired. {@link TestClock.advance} resolves once the replicas on this clock have run
 * the timers that became due, each in its own message.
 */
export class TestClock implements ControllableClock {
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

  onRound(timeNs: bigint): void {
    if (timeNs > this.#nowNs) this.#nowNs = timeNs;
  }

  /**
   * Moves time forward and waits until every replica using this clock has run the timers that
   * became due.
   * @param ms - how far to move, in milliseconds (≥ 0)
   * @throws RangeError when `ms` is negative: replica time never goes back
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`TestClock.advance takes a non-negative number of ms, got ${ms}`);
    await this.advanceNs(BigInt(Math.round(ms * 1e6)));
  }

  /**
   * {@link TestClock.advance} in nanoseconds.
   * @throws RangeError when `ns` is negative
   */
  async advanceNs(ns: bigint): Promise<void> {
    if (ns < 0n) throw new RangeError(`TestClock.advanceNs takes a non-negative number of ns, got ${ns}`);
    this.#nowNs += ns;
    await Promise.all([...this.#listeners].map((listener) => listener()));
  }

  /**
   * Moves time forward to `timeNs`; the time it already is, is accepted and runs what is due.
   * @throws RangeError when `timeNs` is before the current time: replica time never goes back
   */
  async setTimeNs(timeNs: bigint): Promise<void> {
    if (timeNs < this.#nowNs) {
      throw new RangeError(`time can only move forward: ${timeNs} ns is before the current ${this.#nowNs} ns`);
    }
    await this.advanceNs(timeNs - this.#nowNs);
  }
}
