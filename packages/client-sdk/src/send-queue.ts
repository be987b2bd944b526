/**
 * Messages the application sends while the socket reconnects: they wait, in order, and go out once
 * the next connection opens. Bounded in count and bytes; past the bounds `send` throws rather than
 * let memory grow while no gateway answers.
 */
import { IcWebSocketError, IcWebSocketErrorCode as Code } from './errors';

/** The waiting messages (Candid bytes), oldest first. @internal */
export class SendQueue {
  #messages: Uint8Array[] = [];
  #bytes = 0;

  /**
   * @param maxMessages - most messages waiting
   * @param maxBytes - most bytes waiting
   */
  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {}

  /** How many messages wait. */
  get length(): number {
    return this.#messages.length;
  }

  /** How many bytes wait. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Queues `message` behind the others.
   * @throws {IcWebSocketError} `ICWS_ERR_SEND_QUEUE_FULL` when it would pass a bound; nothing is queued
   */
  push(message: Uint8Array): void {
    if (this.#messages.length + 1 > this.maxMessages || this.#bytes + message.length > this.maxBytes) {
      throw new IcWebSocketError(
        Code.SEND_QUEUE_FULL,
        `cannot queue the message: ${this.#messages.length} messages of ${this.#bytes} bytes wait already ` +
          `(reconnect.maxQueuedMessages ${this.maxMessages}, maxQueuedBytes ${this.maxBytes}) for a reconnection or its paced flush; wait for the open event or raise the limits`,
      );
    }
    this.#messages.push(message);
    this.#bytes += message.length;
  }

  /**
   * Puts `messages` ahead of those waiting, in their order, whatever the bounds: they were sent
   * already and kept within the bounds of the re-send buffer.
   */
  prepend(messages: Uint8Array[]): void {
    if (messages.length === 0) return;
    this.#messages = [...messages, ...this.#messages];
    for (const message of messages) this.#bytes += message.length;
  }

  /** @returns the oldest waiting message, taken off the queue; undefined when none waits. */
  shift(): Uint8Array | undefined {
    const message = this.#messages.shift();
    if (message !== undefined) this.#bytes -= message.length;
    return message;
  }

}
