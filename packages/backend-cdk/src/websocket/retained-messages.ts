import type { RetainedJournal } from './durable-sessions';
import type { UndoLog } from './undo-log';

/** An application message kept for a session's resume. @internal */
export interface RetainedMessage {
  /** Its sequence number in the session's current numbering. */
  readonly seq: bigint;
  /** The application's Candid bytes, as `send` got them. */
  readonly content: Uint8Array;
  /** When it was first queued (ns): it is kept at least the recovery window from then. */
  readonly timestampNs: bigint;
}

/** How many messages and bytes one session may keep. @internal */
export interface RetentionLimits {
  readonly windowNs: bigint;
  readonly maxMessages: number;
  readonly maxBytes: number;
}

const INITIAL_CAPACITY = 8;

/**
 * The application messages one session sent lately, oldest first, bounded in age, count and bytes:
 * what a client that reconnects may have missed. Messages leave from the front only (too old, over
 * a bound, or confirmed by the client); {@link keptFrom} says from which sequence number on every
 * application message is still here, so a resume knows whether it can be without loss. A ring
 * buffer, like the gateway queue; every change records its undo.
 * @internal
 */
export class RetainedMessages {
  #ring: Array<RetainedMessage | undefined> = new Array<RetainedMessage | undefined>(INITIAL_CAPACITY);
  #head = 0;
  #length = 0;
  #bytes = 0;
  #keptFrom: bigint;

  /**
   * @param keptFrom - sequence number of the first message this log may hold
   * @param journal - where kept and dropped messages are also written (stable memory), if anywhere
   */
  constructor(
    private readonly undo: UndoLog,
    keptFrom: bigint,
    private readonly journal?: RetainedJournal,
  ) {
    this.#keptFrom = keptFrom;
  }

  /** Puts back `messages` (oldest first, as a journal wrote them) without writing them again. */
  load(messages: readonly RetainedMessage[], keptFrom: bigint): void {
    for (const message of messages) this.#push(message);
    this.#setKeptFrom(keptFrom);
  }

  /** How many messages are kept. */
  get length(): number {
    return this.#length;
  }

  /** Total size of the kept messages' contents, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Every application message numbered from here on is kept (none before it is needed any more). */
  get keptFrom(): bigint {
    return this.#keptFrom;
  }

  /** @returns the kept messages numbered above `seq`, oldest first. O(n). */
  after(seq: bigint): RetainedMessage[] {
    const out: RetainedMessage[] = [];
    for (let i = 0; i < this.#length; i++) {
      const message = this.#at(i);
      if (message.seq > seq) out.push(message);
    }
    return out;
  }

  /**
   * Keeps `message` (numbered above every kept one), then drops from the front what is older than
   * the window at `nowNs` or over the limits; a message larger than `maxBytes` is not kept at all.
   * @returns whether `message` was kept
   */
  retain(message: RetainedMessage, limits: RetentionLimits, nowNs: bigint): boolean {
    if (message.content.length > limits.maxBytes) {
      this.#dropAll();
      this.#setKeptFrom(message.seq + 1n);
      return false;
    }
    this.#push(message);
    for (;;) {
      const oldest = this.#at(0);
      const tooOld = nowNs - oldest.timestampNs > limits.windowNs;
      if (!tooOld && this.#length <= limits.maxMessages && this.#bytes <= limits.maxBytes) break;
      this.#shift();
    }
    // Written with where the log starts after the drops, so a restart knows it without another write.
    this.journal?.kept(message, this.#keptFrom);
    return true;
  }

  /** Drops the messages numbered up to `seq`: the client has them. */
  confirm(seq: bigint): void {
    while (this.#length > 0 && this.#at(0).seq <= seq) this.#shift();
    if (this.#keptFrom <= seq) this.#setKeptFrom(seq + 1n);
  }

  /** Drops every message; the session's numbering goes on from `keptFrom`. */
  restart(keptFrom: bigint): void {
    this.#dropAll();
    this.#setKeptFrom(keptFrom);
  }

  #dropAll(): void {
    while (this.#length > 0) this.#shift();
  }

  #at(index: number): RetainedMessage {
    return this.#ring[(this.#head + index) & (this.#ring.length - 1)]!;
  }

  #setKeptFrom(seq: bigint): void {
    const previous = this.#keptFrom;
    this.#keptFrom = seq;
    this.undo.record(() => (this.#keptFrom = previous));
  }

  #push(message: RetainedMessage): void {
    if (this.#length === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#length) & (this.#ring.length - 1)] = message;
    this.#length++;
    this.#bytes += message.content.length;
    this.undo.record(() => {
      const slot = (this.#head + this.#length - 1) & (this.#ring.length - 1);
      this.#ring[slot] = undefined;
      this.#length--;
      this.#bytes -= message.content.length;
    });
  }

  /** Drops the oldest message; the numbering it had is no longer recoverable. */
  #shift(): void {
    const message = this.#ring[this.#head]!;
    const previousKeptFrom = this.#keptFrom;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#ring.length - 1);
    this.#length--;
    this.#bytes -= message.content.length;
    if (this.#keptFrom <= message.seq) this.#keptFrom = message.seq + 1n;
    this.journal?.dropped(message.seq);
    this.undo.record(() => {
      if (this.#length === this.#ring.length) this.#grow();
      this.#head = (this.#head - 1) & (this.#ring.length - 1);
      this.#ring[this.#head] = message;
      this.#length++;
      this.#bytes += message.content.length;
      this.#keptFrom = previousKeptFrom;
    });
  }

  #grow(): void {
    const next = new Array<RetainedMessage | undefined>(this.#ring.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = this.#at(i);
    this.#ring = next;
    this.#head = 0;
  }
}
