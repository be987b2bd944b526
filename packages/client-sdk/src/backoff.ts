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

/**
 * @returns the delay before reconnecting after the `streak`-th overload close in a row (a gateway
 *   saying "try again later": close 1013, `ICWS_ERR_OVERLOADED`, `ICWS_ERR_RELAY_BACKLOG`), in
 *   milliseconds: a uniform draw in `[ceiling / 2, ceiling)` where `ceiling = min(maxDelayMs,
 *   minDelayMs * 2^(streak - 1))`. Unlike {@link backoff} it never draws near zero: a client the
 *   gateway shed must stay away long enough for the backlog to drain, and the lower half keeps the
 *   shed clients from coming back together.
 * @param streak - 1 for the first overload close, 2 for the second in a row, …
 * @param minDelayMs - ceiling after the first overload close
 * @param maxDelayMs - largest ceiling
 * @param random - a uniform draw in [0, 1); injectable for tests
 * @throws {RangeError} when `streak` is not an integer >= 1, or the delays are as {@link backoff} refuses
 */
export function overloadBackoff(streak: number, minDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  if (!Number.isInteger(streak) || streak < 1) throw new RangeError(`overloadBackoff: streak must be an integer >= 1, got ${streak}`);
  if (!(minDelayMs >= 0) || !Number.isFinite(minDelayMs)) throw new RangeError(`overloadBackoff: minDelayMs must be finite and >= 0, got ${minDelayMs}`);
  if (!(maxDelayMs >= minDelayMs) || !Number.isFinite(maxDelayMs)) {
    throw new RangeError(`overloadBackoff: maxDelayMs must be finite and >= minDelayMs (${minDelayMs}), got ${maxDelayMs}`);
  }
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(streak - 1, 1024));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}
