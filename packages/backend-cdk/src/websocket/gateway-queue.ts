import type { CanisterOutputMessage } from '@icws/protocol';

/** One message waiting in a gateway's queue. @internal */
export interface QueuedMessage {
  /** Position in the gateway's queue; the nonce part of `output.key`. */
  readonly nonce: number;
  /** UTF-8 of `output.key`, the message's label in the certification tree. */
  readonly keyBytes: Uint8Array;
  /** What `ws_get_messages` returns for it. */
  readonly output: CanisterOutputMessage;
  /** When it was queued (ns), to prune messages older than the ack interval. */
  readonly timestampNs: bigint;
}

const INITIAL_CAPACITY = 16;

/**
 * The outbound FIFO of one gateway. Messages get contiguous nonces, so the message with a given
 * nonce sits at `nonce - firstNonce`: lookups are arithmetic, and a poll costs O(messages returned)
 * whatever the queue's length. A ring buffer that doubles when full: removing from the front never
 * shifts the array.
 *
 * ```
 *   firstNonce             nextNonce
 *       v                      v
 *   [ m41 | m42 | m43 | m44 ]  ← push(m45)      shift() → m41
 * ```
 * @internal
 */
export class GatewayQueue {
  #ring: Array<QueuedMessage | undefined> = new Array<QueuedMessage | undefined>(INITIAL_CAPACITY);
  #head = 0;
  #length = 0;
  #firstNonce: number;
  #bytes = 0;

  /** @param firstNonce - nonce of the first message this queue will hold */
  constructor(firstNonce: number) {
    this.#firstNonce = firstNonce;
  }

  /** How many messages are queued. */
  get length(): number {
    return this.#length;
  }

  /** Nonce of the oldest queued message (equals {@link nextNonce} when the queue is empty). */
  get firstNonce(): number {
    return this.#firstNonce;
  }

  /** Nonce the next pushed message must carry. */
  get nextNonce(): number {
    return this.#firstNonce + this.#length;
  }

  /** Total size of the queued messages' contents, in bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** @returns the message with `nonce`, if it is queued. O(1). */
  at(nonce: number): QueuedMessage | undefined {
    const index = nonce - this.#firstNonce;
    if (!(index >= 0 && index < this.#length && Number.isInteger(index))) return undefined;
    return this.#ring[(this.#head + index) & (this.#ring.length - 1)];
  }

  /** @returns the oldest message, if any. */
  front(): QueuedMessage | undefined {
    return this.#length === 0 ? undefined : this.#ring[this.#head];
  }

  /**
   * Appends `message`, whose nonce must be {@link nextNonce}.
   * @throws RangeError when the nonce is not the next one
   */
  push(message: QueuedMessage): void {
    if (message.nonce !== this.nextNonce) throw new RangeError(`GatewayQueue.push: expected nonce ${this.nextNonce}, got ${message.nonce}`);
    if (this.#length === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#length) & (this.#ring.length - 1)] = message;
    this.#length++;
    this.#bytes += message.output.content.length;
  }

  /** Removes and @returns the newest message (undoes a {@link push}). */
  pop(): QueuedMessage | undefined {
    if (this.#length === 0) return undefined;
    const slot = (this.#head + this.#length - 1) & (this.#ring.length - 1);
    const message = this.#ring[slot]!;
    this.#ring[slot] = undefined;
    this.#length--;
    this.#bytes -= message.output.content.length;
    return message;
  }

  /** Removes and @returns the oldest message. */
  shift(): QueuedMessage | undefined {
    if (this.#length === 0) return undefined;
    const message = this.#ring[this.#head]!;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#ring.length - 1);
    this.#length--;
    this.#firstNonce++;
    this.#bytes -= message.output.content.length;
    return message;
  }

  /**
   * Puts back `message` as the oldest (undoes a {@link shift}); its nonce must be `firstNonce - 1`.
   * @throws RangeError when the nonce does not precede the queue
   */
  unshift(message: QueuedMessage): void {
    if (message.nonce !== this.#firstNonce - 1) {
      throw new RangeError(`GatewayQueue.unshift: expected nonce ${this.#firstNonce - 1}, got ${message.nonce}`);
    }
    if (this.#length === this.#ring.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#ring.length - 1);
    this.#ring[this.#head] = message;
    this.#length++;
    this.#firstNonce--;
    this.#bytes += message.output.content.length;
  }

  /**
   * @returns up to `max` messages from `nonce` on (from the oldest when `nonce` precedes it) whose
   * sizes (`sizeOf`) add up to at most `maxBytes`; the first message always, whatever its size, so
   * a poll never stalls on it. O(messages returned).
   */
  range(nonce: number, max: number, maxBytes = Infinity, sizeOf: (message: QueuedMessage) => number = contentBytes): QueuedMessage[] {
    const start = Math.max(nonce, this.#firstNonce);
    const end = Math.min(start + max, this.nextNonce);
    const out: QueuedMessage[] = [];
    let bytes = 0;
    for (let n = start; n < end; n++) {
      const message = this.at(n)!;
      bytes += sizeOf(message);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(message);
    }
    return out;
  }

  /** The queued messages, oldest first. */
  *[Symbol.iterator](): Generator<QueuedMessage, void, undefined> {
    for (let i = 0; i < this.#length; i++) yield this.#ring[(this.#head + i) & (this.#ring.length - 1)]!;
  }

  #grow(): void {
    const next = new Array<QueuedMessage | undefined>(this.#ring.length * 2);
    for (let i = 0; i < this.#length; i++) next[i] = this.#ring[(this.#head + i) & (this.#ring.length - 1)];
    this.#ring = next;
    this.#head = 0;
  }
}

function contentBytes(message: QueuedMessage): number {
  return message.output.content.length;
}
