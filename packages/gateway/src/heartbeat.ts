import type { Clock, Timer } from './clock';

/** What a {@link Heartbeat} does each interval. */
export interface HeartbeatOptions {
  readonly clock: Clock;
  /** `--ping-interval-ms` */
  readonly intervalMs: number;
  /** `--max-missed-pongs`: this many pings in a row unanswered and the peer is dead. */
  readonly maxMissed: number;
  /** Sends a ping. */
  ping(): void;
  /** Runs first at every interval, for checks that share the heartbeat's pace. */
  onTick?(): void;
  /** The peer left `maxMissed` pings in a row unanswered; the heartbeat has stopped. */
  onDead(missed: number): void;
}

/**
 * Pings a peer every interval and declares it dead when it leaves too many pings in a row
 * unanswered: a peer whose process is frozen, or whose network vanished without a FIN, answers
 * nothing, while its socket stays open for as long as nobody writes to it.
 *
 *   start ──▶ wait ──▶ tick: answered since the last ping? ── yes ──▶ ping, wait
 *                            │ no: missed + 1
 *                            ├── missed < maxMissed ──▶ ping, wait
 *                            └── missed = maxMissed ──▶ onDead, stopped
 */
export class Heartbeat {
  readonly #options: HeartbeatOptions;
  #timer: Timer | undefined;
  #answered = true;
  #missed = 0;
  #stopped = false;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** Pings in a row left unanswered so far. */
  get missed(): number {
    return this.#missed;
  }

  /** Starts the first interval. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#schedule();
  }

  /** The peer answered a ping. */
  pong(): void {
    this.#answered = true;
  }

  /** Stops pinging, for good. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = this.#options.clock.setTimer(() => this.#tick(), this.#options.intervalMs, { unref: true });
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    this.#options.onTick?.();
    if (this.#stopped) return;
    this.#missed = this.#answered ? 0 : this.#missed + 1;
    if (this.#missed >= this.#options.maxMissed) {
      this.stop();
      this.#options.onDead(this.#missed);
      return;
    }
    this.#answered = false;
    this.#options.ping();
    this.#schedule();
  }
}
