import type { ClientKey } from '@icws/protocol';

/**
 * One message waiting in a gateway's queue: what it costs per message is what a queue of a
 * hundred thousand costs, so it holds only what cannot be derived. Its key
 * (`<gateway>_<nonce>`) is made from the gateway and the nonce when a poll or the certification
 * needs it.
 * @internal
 */
export interface QueuedMessage {
  /** Position in the gateway's queue; the nonce part of its key. */
  readonly nonce: number;
  /** The client it is for: the client's own key object, shared by all its messages. */
  readonly clientKey: ClientKey;
  /** CBOR of the `WebsocketMessage`, what `ws_get_messages` returns and the certification hashes. */
  readonly content: Uint8Array;
  /** When it was queued (ns), to prune messages older than the ack interval; shared by a round's messages. */
  readonly timestampNs: bigint;
}

/** The messages of one gateway's queue from one nonce on, as a poll reads them. @internal */
export interface QueueView {
  /** Nonce of the oldest message (equals {@link nextNonce} when there is none). */
  readonly firstNonce: number;
  /** Nonce after the newest message. */
  readonly nextNonce: number;
  /** @returns the message with `nonce`, if it is in the view. O(1). */
  at(nonce: number): QueuedMessage | undefined;
}

/** Messages per chunk: a chunk is released once all its messages have left the queue. */
const CHUNK = 64;
type Chunk = Array<QueuedMessage | undefined>;

/**
 * The outbound FIFO of one gateway. Messages get contiguous nonces and sit in fixed-size chunks
 * by nonce, so a lookup is arithmetic and a poll costs O(messages returned) whatever the queue's
 * length; removing from the front never moves messages.
 *
 * ```
 *   chunks:  [ (released) | m64 … m127 | m128 … m150 _ _ _ ]
 *                           ^ firstNonce             ^ nextNonce
 * ```
 * {@link snapshot} freezes the queue in O(1): the chunks array it shares is copied before the
 * queue next adds or releases a chunk, and the slots it covers are never written again, so the
 * snapshot reads the messages it had while the queue moves on.
 * @internal
 */
export class GatewayQueue implements QueueView {
  #chunks: Array<Chunk | undefined> = [];
  /** Chunk number (nonce / CHUNK) of `#chunks[0]`. */
  #base: number;
  /** Index in `#chunks` of the first chunk not released. */
  #head = 0;
  /** Whether a snapshot holds `#chunks`. */
  #shared = false;
  #firstNonce: number;
  #length = 0;
  #bytes = 0;

  /** @param firstNonce - nonce of the first message this queue will hold */
  constructor(firstNonce: number) {
    this.#firstNonce = firstNonce;
    this.#base = Math.floor(firstNonce / CHUNK);
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
    if (!(nonce >= this.#firstNonce && nonce < this.nextNonce && Number.isInteger(nonce))) return undefined;
    return chunkAt(this.#chunks, this.#base, nonce);
  }

  /** @returns the oldest message, if any. */
  front(): QueuedMessage | undefined {
    return this.#length === 0 ? undefined : this.at(this.#firstNonce);
  }

  /**
   * Appends `message`, whose nonce must be {@link nextNonce}.
   * @throws RangeError when the nonce is not the next one
   */
  push(message: QueuedMessage): void {
    const nonce = this.nextNonce;
    if (message.nonce !== nonce) throw new RangeError(`GatewayQueue.push: expected nonce ${nonce}, got ${message.nonce}`);
    let index = Math.floor(nonce / CHUNK) - this.#base;
    if (index >= this.#chunks.length) {
      const chunks = this.#writableChunks();
      index = Math.floor(nonce / CHUNK) - this.#base;
      while (chunks.length <= index) chunks.push(new Array<QueuedMessage | undefined>(CHUNK));
    }
    this.#chunks[index]![nonce % CHUNK] = message;
    this.#length++;
    this.#bytes += message.content.length;
  }

  /** Removes and @returns the newest message (undoes a {@link push}). */
  pop(): QueuedMessage | undefined {
    if (this.#length === 0) return undefined;
    const nonce = this.nextNonce - 1;
    const chunk = this.#chunks[Math.floor(nonce / CHUNK) - this.#base]!;
    const message = chunk[nonce % CHUNK]!;
    // A slot past every snapshot's end: the message was pushed after the last snapshot.
    chunk[nonce % CHUNK] = undefined;
    this.#length--;
    this.#bytes -= message.content.length;
    return message;
  }

  /** Removes and @returns the oldest message. */
  shift(): QueuedMessage | undefined {
    if (this.#length === 0) return undefined;
    const message = this.at(this.#firstNonce)!;
    this.#firstNonce++;
    this.#length--;
    this.#bytes -= message.content.length;
    if (this.#firstNonce % CHUNK === 0) this.#releaseHead();
    return message;
  }

  /**
   * Puts back `message` as the oldest (undoes a {@link shift}); its nonce must be `firstNonce - 1`.
   * @throws RangeError when the nonce does not precede the queue
   */
  unshift(message: QueuedMessage): void {
    const nonce = this.#firstNonce - 1;
    if (message.nonce !== nonce) throw new RangeError(`GatewayQueue.unshift: expected nonce ${nonce}, got ${message.nonce}`);
    let index = Math.floor(nonce / CHUNK) - this.#base;
    if (index < this.#head) {
      // Its chunk was released: bring back one holding this message (the others left before it).
      const chunks = this.#writableChunks();
      index = Math.floor(nonce / CHUNK) - this.#base;
      const chunk = new Array<QueuedMessage | undefined>(CHUNK);
      if (index < 0) {
        chunks.unshift(chunk);
        this.#base--;
        index = 0;
      } else {
        chunks[index] = chunk;
      }
      this.#head = index;
    }
    this.#chunks[index]![nonce % CHUNK] = message;
    this.#firstNonce--;
    this.#length++;
    this.#bytes += message.content.length;
  }

  /** @returns the queue as it is now, frozen (see the class comment). O(1). */
  snapshot(): QueueView {
    this.#shared = true;
    return new QueueSnapshot(this.#chunks, this.#base, this.#firstNonce, this.nextNonce);
  }

  /** The queued messages, oldest first. */
  *[Symbol.iterator](): Generator<QueuedMessage, void, undefined> {
    const end = this.nextNonce;
    for (let nonce = this.#firstNonce; nonce < end; nonce++) yield chunkAt(this.#chunks, this.#base, nonce)!;
  }

  /** Releases the chunk before `firstNonce`, all of whose messages have left. */
  #releaseHead(): void {
    const chunks = this.#writableChunks();
    const index = Math.floor(this.#firstNonce / CHUNK) - 1 - this.#base;
    if (index < this.#head || index >= chunks.length) return;
    chunks[index] = undefined;
    this.#head = index + 1;
    if (this.#head >= 16 && this.#head * 2 >= chunks.length) this.#compact();
  }

  /** @returns `#chunks`, copied first when a snapshot holds it, so it may be changed. */
  #writableChunks(): Array<Chunk | undefined> {
    if (this.#shared) {
      this.#compact();
      this.#shared = false;
    }
    return this.#chunks;
  }

  /** Drops the released chunks from the front of the array (into a new one). */
  #compact(): void {
    this.#chunks = this.#chunks.slice(this.#head);
    this.#base += this.#head;
    this.#head = 0;
  }
}

/** A queue frozen by {@link GatewayQueue.snapshot}. */
class QueueSnapshot implements QueueView {
  constructor(
    readonly chunks: ReadonlyArray<Chunk | undefined>,
    readonly base: number,
    readonly firstNonce: number,
    readonly nextNonce: number,
  ) {}

  at(nonce: number): QueuedMessage | undefined {
    if (!(nonce >= this.firstNonce && nonce < this.nextNonce && Number.isInteger(nonce))) return undefined;
    return chunkAt(this.chunks, this.base, nonce);
  }
}

function chunkAt(chunks: ReadonlyArray<Chunk | undefined>, base: number, nonce: number): QueuedMessage | undefined {
  return chunks[Math.floor(nonce / CHUNK) - base]?.[nonce % CHUNK];
}

/**
 * @returns up to `max` messages of `queue` from `nonce` on (from the oldest when `nonce` precedes
 * it) whose sizes (`sizeOf`) add up to at most `maxBytes`; the first message always, whatever its
 * size, so a poll never stalls on it. O(messages returned).
 * @internal
 */
export function queueRange(
  queue: QueueView,
  nonce: number,
  max: number,
  maxBytes = Infinity,
  sizeOf: (message: QueuedMessage) => number = contentBytes,
): QueuedMessage[] {
  const start = Math.max(nonce, queue.firstNonce);
  const end = Math.min(start + max, queue.nextNonce);
  const out: QueuedMessage[] = [];
  let bytes = 0;
  for (let n = start; n < end; n++) {
    const message = queue.at(n)!;
    bytes += sizeOf(message);
    if (out.length > 0 && bytes > maxBytes) break;
    out.push(message);
  }
  return out;
}

function contentBytes(message: QueuedMessage): number {
  return message.content.length;
}
