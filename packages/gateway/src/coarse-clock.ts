import type { Clock, Timer } from './clock';

/** A step of the grid: the callbacks due in it, and the one timer beneath that runs them. */
interface Step {
  readonly callbacks: Set<() => void>;
  readonly timer: Timer;
}

/**
 * A clock whose timers run on a grid of `resolutionMs` steps, each timer at the step nearest its
 * time (so up to half a step early or late): the timers due in one step share one timer of the
 * clock beneath. The pollers set two timers per poll (its timeout and the wait for the next
 * poll), thousands a second with many canisters; a timer per step costs a fraction of that.
 */
export class CoarseClock implements Clock {
  readonly #base: Clock;
  readonly #resolutionMs: number;
  /** By step index, times two, plus one for timers that do not keep the process alive. */
  readonly #steps = new Map<number, Step>();

  /**
   * @param base - the clock beneath, which reads the time and runs one timer per step
   * @param resolutionMs - the length of a step, > 0
   */
  constructor(base: Clock, resolutionMs: number) {
    if (!(resolutionMs > 0)) throw new RangeError(`a coarse clock's resolution must be above 0 ms, not ${resolutionMs}`);
    this.#base = base;
    this.#resolutionMs = resolutionMs;
  }

  now(): number {
    return this.#base.now();
  }

  setTimer(callback: () => void, ms: number, options?: { readonly unref?: boolean }): Timer {
    const now = this.#base.now();
    const index = Math.round((now + Math.max(0, ms)) / this.#resolutionMs);
    const unref = options?.unref === true;
    const key = index * 2 + (unref ? 1 : 0);
    let step = this.#steps.get(key);
    if (step === undefined) {
      step = { callbacks: new Set(), timer: this.#base.setTimer(() => this.#run(key), index * this.#resolutionMs - now, { unref }) };
      this.#steps.set(key, step);
    }
    // Each timer is its own function object, so the same callback may be set twice.
    const entry = (): void => callback();
    const { callbacks, timer } = step;
    callbacks.add(entry);
    return {
      cancel: () => {
        if (!callbacks.delete(entry) || callbacks.size > 0) return;
        timer.cancel();
        if (this.#steps.get(key) === step) this.#steps.delete(key);
      },
    };
  }

  /** Timers set and neither run nor cancelled; for tests. */
  get pendingTimers(): number {
    let count = 0;
    for (const step of this.#steps.values()) count += step.callbacks.size;
    return count;
  }

  #run(key: number): void {
    const step = this.#steps.get(key);
    if (step === undefined) return;
    this.#steps.delete(key);
    let failure: { error: unknown } | undefined;
    for (const callback of step.callbacks) {
      try {
        callback();
      } catch (error) {
        // The other callbacks of the step still run; the first failure is thrown as a timer's would be.
        failure ??= { error };
      }
    }
    step.callbacks.clear();
    if (failure !== undefined) throw failure.error;
  }
}
