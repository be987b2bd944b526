/**
 * Wall time as the gateway reads it. Every module that waits or measures takes a {@link Clock}, so
 * unit tests drive time by hand instead of waiting for it.
 */

/** A scheduled callback. */
export interface Timer {
  /** Stops the callback from running; does nothing once it ran. */
  cancel(): void;
}

/** Reads the time and schedules callbacks. */
export interface Clock {
  /** @returns milliseconds since the epoch */
  now(): number;
  /**
   * Runs `callback` once, `ms` milliseconds from now.
   * @param options - `unref`: the timer alone does not keep the process alive
   */
  setTimer(callback: () => void, ms: number, options?: { readonly unref?: boolean }): Timer;
}

/** The process's clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, ms, options) {
    const handle = setTimeout(callback, Math.max(0, ms));
    if (options?.unref === true) handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** @returns a promise resolved `ms` milliseconds from now on `clock` (at once when `ms <= 0`). */
export function sleep(clock: Clock, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => clock.setTimer(resolve, ms));
}
