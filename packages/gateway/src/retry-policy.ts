import { sleep, systemClock, type Clock } from './clock';

/** How a {@link RetryPolicy} spaces its attempts. */
export interface RetryPolicyOptions {
  /** Shortest delay between two attempts, and the first ceiling. */
  readonly minDelayMs: number;
  /** Longest delay between two attempts. */
  readonly maxDelayMs: number;
  /**
   * How long after the first attempt a retry may still start.
   * @default Infinity
   */
  readonly windowMs?: number;
  /** A uniform draw in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** What one {@link RetryPolicy.run} retries, and until when. */
export interface RetryRunOptions {
  /** Whether a failure is worth another attempt. @default every failure */
  readonly retriable?: (err: unknown) => boolean;
  /** Epoch milliseconds after which no attempt starts; the earlier of this and the window wins. */
  readonly deadlineAt?: number;
  /** Checked before each retry: true gives up and rethrows the last failure. */
  readonly cancelled?: () => boolean;
  /** Told of each retry before its delay. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * The gateway's one retry schedule: exponential backoff with full jitter between a floor and a
 * ceiling. The ceiling of retry `n` (0-based) is `min(maxDelayMs, minDelayMs * 2^(n+1))` and the
 * delay is drawn uniformly in `[minDelayMs, ceiling]`, so peers failing together spread out, and a
 * delay never drops below the floor. A deadline bounds the whole run.
 */
export class RetryPolicy {
  readonly #minDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #windowMs: number;
  readonly #random: () => number;
  readonly #clock: Clock;

  /** @throws {RangeError} when a delay is negative or not finite, or `minDelayMs > maxDelayMs` */
  constructor(options: RetryPolicyOptions) {
    const { minDelayMs, maxDelayMs, windowMs = Infinity } = options;
    if (!Number.isFinite(minDelayMs) || minDelayMs < 0) throw new RangeError(`RetryPolicy: minDelayMs must be finite and >= 0, got ${minDelayMs}`);
    if (!Number.isFinite(maxDelayMs) || maxDelayMs < minDelayMs) {
      throw new RangeError(`RetryPolicy: maxDelayMs must be finite and >= minDelayMs (${minDelayMs}), got ${maxDelayMs}`);
    }
    if (!(windowMs >= 0)) throw new RangeError(`RetryPolicy: windowMs must be >= 0, got ${windowMs}`);
    this.#minDelayMs = minDelayMs;
    this.#maxDelayMs = maxDelayMs;
    this.#windowMs = windowMs;
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * @param retry - 0 for the delay before the first retry, 1 for the next, …
   * @returns milliseconds to wait, in `[minDelayMs, min(maxDelayMs, minDelayMs * 2^(retry+1))]`
   * @throws {RangeError} when `retry` is not an integer >= 0
   */
  delayMs(retry: number): number {
    if (!Number.isInteger(retry) || retry < 0) throw new RangeError(`RetryPolicy: retry must be an integer >= 0, got ${retry}`);
    // 2^n overflows to Infinity past 1023; min() keeps the ceiling finite.
    const ceiling = Math.min(this.#maxDelayMs, this.#minDelayMs * 2 ** Math.min(retry + 1, 1024));
    return this.#minDelayMs + this.#random() * (ceiling - this.#minDelayMs);
  }

  /**
   * Runs `operation` until it succeeds, a failure is not retriable, the run is cancelled, or the
   * next attempt would start past the deadline.
   * @param operation - called with the attempt number, 0 first
   * @returns what `operation` resolved with
   * @throws the last failure of `operation` when giving up
   */
  async run<T>(operation: (attempt: number) => Promise<T>, options: RetryRunOptions = {}): Promise<T> {
    const deadline = Math.min(options.deadlineAt ?? Infinity, this.#clock.now() + this.#windowMs);
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation(attempt);
      } catch (err) {
        if (options.retriable?.(err) === false || options.cancelled?.() === true) throw err;
        const delay = this.delayMs(attempt);
        if (this.#clock.now() + delay > deadline) throw err;
        options.onRetry?.(err, attempt + 1, delay);
        await sleep(this.#clock, delay);
        if (options.cancelled?.() === true) throw err;
      }
    }
  }
}
