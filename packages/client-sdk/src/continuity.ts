/**
 * What carries over from one session of an `IcWebSocket` to the next: where the last session that
 * opened stood (so that the next one asks the canister to resume it), the application messages sent
 * and not yet acknowledged (so that those the canister never received go out again, once), and the
 * messages the application sends while reconnecting (so that they go out, in order, once the next
 * session opens).
 *
 * ```
 *  session opens ─▶ sent messages kept until acked ─▶ session ends ─▶ its resume point kept
 *        ▲                                                                  │ send() meanwhile: queued
 *        └── resumed: re-send what the canister lacks, then the queue ◀─────┤
 *            fresh:   forget the unacknowledged ones, then the queue ◀──────┘
 * ```
 *
 * What carries over goes out paced (`flush-pacer.ts`), never more at once than the gateway's relay
 * queue takes; until it has all gone, `send()` queues behind it, so order holds. A message is
 * numbered only when it goes out: what a session did not send when it ended waits for the next.
 */
import type { NewSessionReason } from './events';
import { FlushPacer } from './flush-pacer';
import { ResendBuffer } from './resend-buffer';
import { SendQueue } from './send-queue';
import type { OpenOutcome, ResumeRequest, Session } from './session';

/** What a session that just opened took over. @internal */
export type Carried =
  | { readonly kind: 'new' }
  | { readonly kind: 'resumed'; readonly recovered: number; readonly resent: number; readonly lost: number }
  | { readonly kind: 'fresh'; readonly reason: NewSessionReason; readonly unconfirmed: number };

/** Settings of a {@link SessionContinuity}. @internal */
export interface ContinuityOptions {
  /** Whether sessions ask to resume the one before. */
  resume: boolean;
  maxQueuedMessages: number;
  maxQueuedBytes: number;
  /** Messages the flush after a reconnection may send at once. */
  flushBurst: number;
  /** Messages per second the flush sends after its burst. */
  flushRate: number;
  /** Milliseconds, for the pacing. @default Date.now */
  now?: () => number;
}

/** The state that outlives sessions. @internal */
export class SessionContinuity {
  #point: ResumeRequest | undefined;
  readonly #sent: ResendBuffer | undefined;
  readonly #waiting: SendQueue;
  readonly #pacer: FlushPacer;
  /** The open session the waiting messages go to, while some wait. */
  #flushingTo: Session | undefined;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ContinuityOptions) {
    this.#sent = options.resume ? new ResendBuffer(options.maxQueuedMessages, options.maxQueuedBytes) : undefined;
    this.#waiting = new SendQueue(options.maxQueuedMessages, options.maxQueuedBytes);
    this.#pacer = new FlushPacer(options.flushBurst, options.flushRate, options.now);
  }

  /** The session the next one asks to resume: the last that opened, if resumes are on. */
  get resumeRequest(): ResumeRequest | undefined {
    return this.#point;
  }

  /** Where sessions keep their sent messages until acknowledged (none without resumes). */
  get sent(): ResendBuffer | undefined {
    return this.#sent;
  }

  /** How many messages wait for the next session or for the flush under way. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Notes that `session` ended: if it had opened, the next session resumes it; what it did not send waits. */
  ended(session: Session): void {
    if (this.#flushingTo === session) this.#stopFlush();
    if (this.#sent !== undefined && session.opened) this.#point = session.resumePoint();
  }

  /**
   * Queues application `bytes` for the next session, or behind the flush under way.
   * @throws {IcWebSocketError} `ICWS_ERR_SEND_QUEUE_FULL` past the queue's bounds
   */
  hold(bytes: Uint8Array): void {
    this.#waiting.push(bytes);
  }

  /**
   * Notes that the canister acknowledged every message `session` sent: none waits at the gateway,
   * so the flush may send a full burst again.
   */
  caughtUp(session: Session): void {
    if (this.#flushingTo !== session) return;
    this.#pacer.refill();
    this.#flush();
  }

  /** Sends into `session`, just opened with `outcome`, what carries over. @returns what it took over */
  opened(session: Session, outcome: OpenOutcome): Carried {
    let carried: Carried = { kind: 'new' };
    if (outcome.kind === 'resumed') {
      const { messages, lost } = this.#sent!.takeAfter(outcome.lastIncoming);
      this.#waiting.prepend(messages);
      carried = { kind: 'resumed', recovered: outcome.recovered, resent: this.#waiting.length, lost };
    } else if (outcome.kind === 'fresh') {
      carried = { kind: 'fresh', reason: outcome.reason, unconfirmed: this.#sent?.clear() ?? 0 };
    } else {
      this.#sent?.clear();
    }
    this.#stopFlush();
    if (this.#waiting.length > 0) {
      // A new session's relay queue at the gateway is empty.
      this.#flushingTo = session;
      this.#pacer.refill();
      this.#flush();
    }
    return carried;
  }

  /** Sends waiting messages while the pacer allows, and comes back when it will allow the next. */
  #flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const session = this.#flushingTo;
    if (session === undefined) return;
    while (this.#waiting.length > 0 && session.state === 'open' && this.#pacer.take()) session.send(this.#waiting.shift()!);
    if (this.#waiting.length === 0 || session.state !== 'open') return this.#stopFlush();
    this.#flushTimer = setTimeout(() => this.#flush(), this.#pacer.msUntilNext());
  }

  #stopFlush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#flushingTo = undefined;
  }
}
