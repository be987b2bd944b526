/**
 * Reconnection delays: exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"). The ceiling doubles with each attempt up to `maxDelayMs`; the delay is drawn
 * uniformly below it, so that clients dropped together by a gateway restart do not come back together.
 */

/**
 * @returns the delay before reconnection attempt `attempt`, in milliseconds: a uniform draw in
 *   `[0, min(maxDelayMs, minDelayMs * 2^attempt))` (full jitter).
 * @param attempt - 0 for the first reconnection after a connection ended, 1 for the next, …
 * @param minDelayMs - ceiling of the first attempt
 * @param maxDelayMs - largest ceiling
 * @param random - a uniform draw in [0, 1); injectable for tests
 * @throws {RangeError} when an argument is negative or not finite, or `minDelayMs > maxDelayMs`
 */
export function backoff(attempt: number, minDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`backoff: attempt must be an integer >= 0, got ${attempt}`);
  if (!(minDelayMs >= 0) || !Number.isFinite(minDelayMs)) throw new RangeError(`backoff: minDelayMs must be finite and >= 0, got ${minDelayMs}`);
  if (!(maxDelayMs >= minDelayMs) || !Number.isFinite(maxDelayMs)) {
    throw new RangeError(`backoff: maxDelayMs must be finite and >= minDelayMs (${minDelayMs}), got ${maxDelayMs}`);
  }
  // 2^attempt overflows to Infinity for large attempts; min() keeps the ceiling finite.
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt, 1024));
  return Math.floor(random() * ceiling);
}
