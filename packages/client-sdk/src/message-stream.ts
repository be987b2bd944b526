/**
 * The async iterator of an `IcWebSocket`'s messages: a queue that buffers messages pushed while
 * nobody waits, hands them out in order, and ends (or throws) when the socket closes for good.
 */

/** @internal */
export class MessageStream<M> implements AsyncIterableIterator<M> {
  readonly #buffer: M[] = [];
  readonly #waiters: Array<{ resolve(result: IteratorResult<M>): void; reject(err: unknown): void }> = [];
  #ended = false;
  #error: unknown;
  #hasError = false;

  /** @param onReturn - called once when the consumer stops (break, return) or the stream ends */
  constructor(private readonly onReturn: () => void) {}

  /** Hands `message` to the next waiting consumer, or buffers it. */
  push(message: M): void {
    if (this.#ended) return;
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve({ value: message, done: false });
    else this.#buffer.push(message);
  }

  /** Ends the stream after the buffered messages, with `error` thrown then if given. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error !== undefined) {
      this.#error = error;
      this.#hasError = true;
    }
    for (const waiter of this.#waiters.splice(0)) this.#settle(waiter);
    this.onReturn();
  }

  next(): Promise<IteratorResult<M>> {
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift()!, done: false });
    if (this.#ended) return new Promise((resolve, reject) => this.#settle({ resolve, reject }));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<M>> {
    this.#buffer.length = 0;
    this.#hasError = false;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #settle(waiter: { resolve(result: IteratorResult<M>): void; reject(err: unknown): void }): void {
    if (this.#hasError) {
      this.#hasError = false; // thrown once; later calls report done
      waiter.reject(this.#error);
    } else {
      waiter.resolve({ value: undefined, done: true });
    }
  }
}
