/**
 * Paces the messages a reconnection carries over (those re-sent after a resume and those queued
 * while reconnecting) so that the gateway never holds more of them than it accepts.
 *
 * A gateway relays one client's calls one at a time and closes a session whose relay queue passes
 * a bound (64 calls by default, `ICWS_ERR_RELAY_QUEUE_FULL`, 1008, final) or whose oldest call
 * waited past a bound (5 s by default, `ICWS_ERR_RELAY_BACKLOG`, 1013, transient). The protocol
 * tells a client that a call was relayed only through the canister's acks, which come once per ack
 * interval (5 minutes by default), too seldom to clock a flush by. So the flush is clocked by time:
 * a token bucket of `burst` messages refilled at `perSecond`. Every call the gateway holds arrived
 * within its wait bound of the oldest one (a later arrival is refused), so a bucket of 16 refilled
 * at 8 per second puts at most 16 + 8 × 5 = 56 calls in a default gateway's queue, under its 64.
 * An ack that covers every message sent proves the gateway holds none of them: the bucket is full again.
 */

/** A token bucket over an injected clock. @internal */
export class FlushPacer {
  #tokens: number;
  #at: number;

  /**
   * @param burst - messages that may go at once (the bucket's size), at least 1
   * @param perSecond - messages per second after the burst; `Infinity` for no pacing
   * @param now - milliseconds, monotonic enough for intervals
   */
  constructor(
    readonly burst: number,
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = burst;
    this.#at = now();
  }

  /** Fills the bucket: nothing sent through it is waiting at the gateway any more. */
  refill(): void {
    this.#tokens = this.burst;
    this.#at = this.now();
  }

  /** @returns whether one more message may go now; if so, it is counted. */
  take(): boolean {
    this.#update();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** @returns how many milliseconds until {@link take} would allow a message; 0 when it would now. */
  msUntilNext(): number {
    this.#update();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.perSecond);
  }

  #update(): void {
    const now = this.now();
    if (this.perSecond === Infinity) this.#tokens = this.burst;
    else this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) * this.perSecond) / 1000);
    this.#at = now;
  }
}
