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
 */
import type { NewSessionReason } from './events';
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
}

/** The state that outlives sessions. @internal */
export class SessionContinuity {
  #point: ResumeRequest | undefined;
  readonly #sent: ResendBuffer | undefined;
  readonly #waiting: SendQueue;

  constructor(options: ContinuityOptions) {
    this.#sent = options.resume ? new ResendBuffer(options.maxQueuedMessages, options.maxQueuedBytes) : undefined;
    this.#waiting = new SendQueue(options.maxQueuedMessages, options.maxQueuedBytes);
  }

  /** The session the next one asks to resume: the last that opened, if resumes are on. */
  get resumeRequest(): ResumeRequest | undefined {
    return this.#point;
  }

  /** Where sessions keep their sent messages until acknowledged (none without resumes). */
  get sent(): ResendBuffer | undefined {
    return this.#sent;
  }

  /** How many messages wait for the next session. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Notes that `session` ended: if it had opened, the next session resumes it. */
  ended(session: Session): void {
    if (this.#sent !== undefined && session.opened) this.#point = session.resumePoint();
  }

  /**
   * Queues application `bytes` for the next session.
   * @throws {IcWebSocketError} `ICWS_ERR_SEND_QUEUE_FULL` past the queue's bounds
   */
  hold(bytes: Uint8Array): void {
    this.#waiting.push(bytes);
  }

  /** Sends into `session`, just opened with `outcome`, what carries over. @returns what it took over */
  opened(session: Session, outcome: OpenOutcome): Carried {
    let carried: Carried = { kind: 'new' };
    if (outcome.kind === 'resumed') {
      const { messages, lost } = this.#sent!.takeAfter(outcome.lastIncoming);
      for (const message of messages) session.send(message);
      carried = { kind: 'resumed', recovered: outcome.recovered, resent: messages.length + this.#waiting.length, lost };
    } else if (outcome.kind === 'fresh') {
      carried = { kind: 'fresh', reason: outcome.reason, unconfirmed: this.#sent?.clear() ?? 0 };
    } else {
      this.#sent?.clear();
    }
    for (const message of this.#waiting.drain()) session.send(message);
    return carried;
  }
}
