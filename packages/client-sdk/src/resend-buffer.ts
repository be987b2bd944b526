/**
 * The application messages a client sent that the canister has not acknowledged yet, kept so that
 * after a resume the client can re-send exactly those the canister never received (its open message
 * says up to which sequence number it did). Acks drop what they cover. Bounded in count and bytes:
 * past the bounds the oldest are let go, as the ones most likely delivered, and counted so that a
 * resume can say how many it could not re-send.
 */

/** A sent application message. @internal */
export interface SentMessage {
  readonly sequenceNum: bigint;
  readonly content: Uint8Array;
}

/** What a resume takes from the buffer. @internal */
export interface Resend {
  /** The messages the canister did not receive, oldest first, to send again. */
  readonly messages: Uint8Array[];
  /** Messages it did not receive either, let go over the bounds: they are lost. */
  readonly lost: number;
}

/** Sent and unacknowledged application messages. @internal */
export class ResendBuffer {
  #messages: SentMessage[] = [];
  #bytes = 0;
  /** Sequence numbers of messages let go over the bounds and not acknowledged since. */
  #letGo: bigint[] = [];

  /**
   * @param maxMessages - most messages kept
   * @param maxBytes - most bytes of content kept
   */
  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {}

  /** How many messages are kept. */
  get length(): number {
    return this.#messages.length;
  }

  /** Keeps `message`, just sent (its sequence number above every kept one). */
  record(message: SentMessage): void {
    this.#messages.push(message);
    this.#bytes += message.content.length;
    while (this.#messages.length > 0 && (this.#messages.length > this.maxMessages || this.#bytes > this.maxBytes)) {
      const oldest = this.#messages.shift()!;
      this.#bytes -= oldest.content.length;
      this.#letGo.push(oldest.sequenceNum);
    }
  }

  /** Drops what the canister acknowledged: every message numbered up to `lastIncoming`. */
  acknowledge(lastIncoming: bigint): void {
    let acked = 0;
    while (acked < this.#messages.length && this.#messages[acked]!.sequenceNum <= lastIncoming) this.#bytes -= this.#messages[acked++]!.content.length;
    if (acked > 0) this.#messages = this.#messages.slice(acked);
    if (this.#letGo.length > 0) this.#letGo = this.#letGo.filter((seq) => seq > lastIncoming);
  }

  /** @returns the messages numbered above `lastIncoming` (the canister's last received), and empties the buffer. */
  takeAfter(lastIncoming: bigint): Resend {
    const messages = this.#messages.filter((m) => m.sequenceNum > lastIncoming).map((m) => m.content);
    const lost = this.#letGo.filter((seq) => seq > lastIncoming).length;
    this.clear();
    return { messages, lost };
  }

  /** Empties the buffer. @returns how many messages it held or had let go: their delivery is unknown. */
  clear(): number {
    const unknown = this.#messages.length + this.#letGo.length;
    this.#messages = [];
    this.#letGo = [];
    this.#bytes = 0;
    return unknown;
  }
}
