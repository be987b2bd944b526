import type { Clock, Timer } from './clock';

/** What the guard needs of a session. */
export interface SheddableSession {
  /** How long its oldest call queued or in flight has waited for the replica; 0 with none. */
  readonly relayWaitMs: number;
  /** Closes the session to shed its load. */
  shed(): void;
}

export interface OverloadGuardOptions {
  readonly clock: Clock;
  /** How often the guard judges. */
  readonly intervalMs: number;
  /** A call that has waited longer than this for the replica is late. */
  readonly lateAfterMs: number;
  /** The sessions, oldest first. */
  readonly sessions: () => Iterable<SheddableSession>;
  /** Told how many sessions a judgement closed. */
  readonly onShed?: (count: number, judgement: { arrived: number; relayed: number; waiting: number }) => void;
}

/**
 * The share of the calls relayed in an interval that the sessions kept may send: below 1, so that
 * the backlog of the sessions kept drains.
 */
const DRAIN_SHARE = 0.9;

/**
 * Sheds load when the replica falls behind every client at once. Each session's relay queue
 * bounds its own wait (`--max-relay-wait-ms`), but when the replica is slower than all the senders
 * together, every queue grows alike and each session would meet its bound at about the same time:
 * all of them would close where closing the excess would do. Every interval the guard counts the
 * calls that arrived and those relayed; when more arrived than were relayed while some call is
 * late, it closes the newest of the sessions with calls waiting, as many as the share of arrivals
 * the replica did not keep up with (and a little more, so that the backlog drains), and judges
 * again one interval later than usual, once their going shows.
 */
export class OverloadGuard {
  readonly #options: OverloadGuardOptions;
  #arrived = 0;
  #relayed = 0;
  #cooling = false;
  #timer: Timer | undefined;

  constructor(options: OverloadGuardOptions) {
    this.#options = options;
  }

  /** Counts a call taken into a relay queue. */
  arrived(): void {
    this.#arrived++;
  }

  /** Counts a call relayed (its outcome known). */
  relayed(): void {
    this.#relayed++;
  }

  /** Judges every interval until {@link stop}. */
  start(): void {
    if (this.#timer !== undefined) return;
    const next = () => {
      this.#timer = this.#options.clock.setTimer(() => {
        this.judge();
        next();
      }, this.#options.intervalMs, { unref: true });
    };
    next();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /**
   * Judges the interval since the last judgement (the timer calls this).
   * @returns how many sessions it closed
   */
  judge(): number {
    const arrived = this.#arrived;
    const relayed = this.#relayed;
    this.#arrived = this.#relayed = 0;
    if (this.#cooling) {
      this.#cooling = false;
      return 0;
    }
    if (arrived <= relayed) return 0;
    const waiting: SheddableSession[] = [];
    let late = false;
    for (const session of this.#options.sessions()) {
      const waitMs = session.relayWaitMs;
      if (waitMs <= 0) continue;
      waiting.push(session);
      if (waitMs > this.#options.lateAfterMs) late = true;
    }
    if (!late) return 0;
    const excess = 1 - (DRAIN_SHARE * relayed) / arrived;
    const count = Math.min(waiting.length, Math.ceil(waiting.length * excess));
    for (let i = waiting.length - 1; i >= waiting.length - count; i--) waiting[i].shed();
    this.#cooling = true;
    this.#options.onShed?.(count, { arrived, relayed, waiting: waiting.length });
    return count;
  }
}
