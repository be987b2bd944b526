/**
 * Sequence numbers of one connection, both directions. Canister messages must arrive numbered
 * 1, 2, 3, …; a gap, a repeat or a swap means the gateway dropped, replayed or reordered them.
 * Client messages are numbered the same way, and the canister's acks say up to which number it
 * received them: a message left unacknowledged for longer than the ack timeout means the gateway
 * is not delivering it. Pure bookkeeping; the session owns the timers.
 */
import { FIRST_CANISTER_SEQUENCE_NUM, INITIAL_CLIENT_SEQUENCE_NUM } from '@icws/protocol';
import { IcWebSocketError, IcWebSocketErrorCode } from './errors';

/** Checks the sequence numbers of the canister's messages. */
export class IncomingSequence {
  #expected = FIRST_CANISTER_SEQUENCE_NUM;

  /** Sequence number of the last message accepted, 0 before the first. */
  get last(): bigint {
    return this.#expected - 1n;
  }

  /** Expects message `last + 1` next: a resumed session goes on from where the client stood. */
  startAfter(last: bigint): void {
    this.#expected = last + 1n;
  }

  /**
   * Accepts the message numbered `received` if it is the next one.
   * @throws {IcWebSocketError} `ICWS_ERR_SEQUENCE_MISMATCH`, saying whether messages were skipped or repeated
   */
  accept(received: bigint): void {
    const expected = this.#expected;
    if (received === expected) {
      this.#expected = expected + 1n;
      return;
    }
    const what =
      received > expected
        ? `the gateway dropped or reordered message${received - expected > 1n ? `s ${expected}..${received - 1n}` : ` ${expected}`}`
        : `the gateway repeated or reordered message ${received}`;
    throw new IcWebSocketError(
      IcWebSocketErrorCode.SEQUENCE_MISMATCH,
      `expected message ${expected} from the canister, got message ${received}: ${what}`,
    );
  }
}

/** Outcome of {@link AckTracker.ack}. */
export type AckResult =
  | { status: 'ok' }
  /** The ack names a message that was never sent. */
  | { status: 'ahead'; lastSent: bigint }
  /** Messages still unacknowledged after the ack, sent longer than the timeout ago. */
  | { status: 'overdue'; overdue: bigint[] };

/** Client messages sent and not yet acknowledged by the canister. */
export class AckTracker {
  #lastSent = INITIAL_CLIENT_SEQUENCE_NUM - 1n;
  /** Unacknowledged messages, oldest first. */
  readonly #pending: Array<{ sequenceNum: bigint; sentAtMs: number }> = [];

  /** @param timeoutMs - how long a message may stay unacknowledged */
  constructor(readonly timeoutMs: number) {}

  /** Sequence number to give the next message, which {@link add} must then record. */
  get nextSequenceNum(): bigint {
    return this.#lastSent + 1n;
  }

  /** Number of the last message sent, 0 before the first. */
  get lastSent(): bigint {
    return this.#lastSent;
  }

  /**
   * Numbers the next message `lastSent + 1`: a resumed session goes on after the last message the
   * canister received. Anything pending is forgotten (the caller re-sends what it must).
   */
  startAfter(lastSent: bigint): void {
    this.#lastSent = lastSent;
    this.#pending.length = 0;
  }

  /** Sequence numbers sent and not yet acknowledged, oldest first. */
  get unacknowledged(): bigint[] {
    return this.#pending.map((p) => p.sequenceNum);
  }

  /**
   * Records that message `sequenceNum` was sent at `nowMs`.
   * @throws {RangeError} when `sequenceNum` is not {@link nextSequenceNum}
   */
  add(sequenceNum: bigint, nowMs: number): void {
    if (sequenceNum !== this.#lastSent + 1n) {
      throw new RangeError(`AckTracker: expected to send message ${this.#lastSent + 1n}, got ${sequenceNum}`);
    }
    this.#lastSent = sequenceNum;
    this.#pending.push({ sequenceNum, sentAtMs: nowMs });
  }

  /**
   * Applies the canister's ack of every message up to `lastIncoming`, then reports messages that
   * stay unacknowledged past the timeout.
   */
  ack(lastIncoming: bigint, nowMs: number): AckResult {
    if (lastIncoming > this.#lastSent) return { status: 'ahead', lastSent: this.#lastSent };
    let acked = 0;
    while (acked < this.#pending.length && this.#pending[acked]!.sequenceNum <= lastIncoming) acked++;
    this.#pending.splice(0, acked);
    const overdue = this.overdue(nowMs);
    return overdue.length > 0 ? { status: 'overdue', overdue } : { status: 'ok' };
  }

  /** @returns the messages unacknowledged for at least the timeout at `nowMs`. */
  overdue(nowMs: number): bigint[] {
    return this.#pending.filter((p) => nowMs - p.sentAtMs >= this.timeoutMs).map((p) => p.sequenceNum);
  }

  /** @returns when the oldest unacknowledged message becomes overdue, or `undefined` if none is pending. */
  nextDeadlineMs(): number | undefined {
    const oldest = this.#pending[0];
    return oldest === undefined ? undefined : oldest.sentAtMs + this.timeoutMs;
  }
}
