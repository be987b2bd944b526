/**
 * The outgoing queue of a session: frames are signed concurrently (signing is async and, with
 * WebCrypto, off the main thread) but written in the order they were queued, so the canister sees
 * sequence numbers in order — the `enqueue`/`dequeue` discipline of `ws`'s sender.
 */

/** Frames written in queue order, each once its signature is ready. @internal */
export class Outbox<T> {
  readonly #queue: Array<{ tag: T; frame: Promise<Uint8Array> }> = [];
  #flushing = false;
  #stopped = false;

  /**
   * @param write - writes a ready frame; `tag` says what it is (e.g. its sequence number)
   * @param fail - called once with the first error (a frame that failed, or `write` throwing); the outbox stops
   */
  constructor(
    private readonly write: (frame: Uint8Array, tag: T) => void,
    private readonly fail: (err: unknown) => void,
  ) {}

  /** Queues `frame` (being signed) behind the frames queued before it. */
  push(tag: T, frame: Promise<Uint8Array>): void {
    if (this.#stopped) return;
    frame.catch(() => undefined); // reported in order by #flush
    this.#queue.push({ tag, frame });
    if (!this.#flushing) void this.#flush();
  }

  /** Drops the queue; frames still being signed are never written. */
  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0 && !this.#stopped) {
        const { tag, frame } = this.#queue[0]!;
        let bytes: Uint8Array;
        try {
          bytes = await frame;
          if (this.#stopped) return;
          this.#queue.shift();
          this.write(bytes, tag);
        } catch (err) {
          this.stop();
          return this.fail(err);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}
