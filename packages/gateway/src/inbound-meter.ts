import type { Clock } from './clock';

/** Bytes of a masked client frame's header for a control frame (ping, pong): 2 + 4 of mask. */
const CONTROL_FRAME_HEADER_BYTES = 6;

/**
 * How much of an unfinished client message a socket has read: the bytes read since the last
 * whole message, and since when. The WebSocket parser keeps an unfinished frame in memory until
 * its last byte arrives, so these bytes are what a client that never finishes its frame holds of
 * the gateway's memory.
 *
 * Fed in order for each chunk the socket reads: {@link received} before the parser sees the chunk,
 * {@link messageCompleted} and {@link controlFrame} as the parser finds whole frames in it, then
 * {@link chunkParsed}. Bytes of a next frame that share a chunk with the end of a message are not
 * counted, so the count may fall short by at most one chunk.
 */
export class InboundMeter {
  readonly #clock: Clock;
  #pending = 0;
  #partialSince: number | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Bytes read since the last whole message, less the pings and pongs among them. */
  get pendingBytes(): number {
    return this.#pending;
  }

  /** When the unfinished message began to arrive (epoch ms), or undefined when there is none. */
  get partialSince(): number | undefined {
    return this.#partialSince;
  }

  /** The socket read `bytes`, not yet parsed. */
  received(bytes: number): void {
    this.#pending += bytes;
  }

  /** The parser found a whole message. */
  messageCompleted(): void {
    this.#pending = 0;
    this.#partialSince = undefined;
  }

  /** The parser found a ping or pong with `payloadBytes` of payload. */
  controlFrame(payloadBytes: number): void {
    this.#pending = Math.max(0, this.#pending - CONTROL_FRAME_HEADER_BYTES - payloadBytes);
    if (this.#pending === 0) this.#partialSince = undefined;
  }

  /** The parser is done with the chunk: what is left is an unfinished message. */
  chunkParsed(): void {
    if (this.#pending === 0) this.#partialSince = undefined;
    else this.#partialSince ??= this.#clock.now();
  }
}
