import type { Principal } from '@dfinity/principal';
import { parseMessageKey, type CanisterOutputCertifiedMessages, type CanisterOutputMessage } from '@icws/protocol';
import type { Logger } from 'pino';
import { backoffMs } from './ic-client';
import type { GatewayMetrics } from './metrics';

/** Where a poller gets messages from; the {@link IcClient} in production. */
export interface MessageSource {
  getMessages(canisterId: Principal, nonce: bigint): Promise<CanisterOutputCertifiedMessages>;
}

export interface PollerOptions {
  readonly canisterId: Principal;
  readonly source: MessageSource;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Receives each message in queue order with the certificate and tree of its poll. */
  readonly deliver: (message: CanisterOutputMessage, nonce: bigint, cert: Uint8Array, tree: Uint8Array) => void;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
}

/**
 * Polls one canister's queue for this gateway while the canister has clients here. Polls every
 * interval, at once again while the queue is not drained, soon after a relayed call executed
 * ({@link pollSoon}), and backs off while the replica fails.
 */
export class CanisterPoller {
  #nextNonce = 0n;
  #running = false;
  #wake: (() => void) | undefined;
  #pollRequested = false;
  #failures = 0;
  #stopped: Promise<void> | undefined;

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopped = this.#loop();
  }

  /** Stops after the poll in flight, if any. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#stopped;
  }

  /** Polls as soon as the current poll (if any) finishes, instead of at the next interval. */
  pollSoon(): void {
    this.#pollRequested = true;
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    const { intervalMs, log } = this.options;
    while (this.#running) {
      const started = Date.now();
      this.#pollRequested = false;
      let drained = true;
      try {
        drained = await this.#pollOnce();
        this.#failures = 0;
      } catch (err) {
        // The replica may come back restarted with a fresh queue: read it from the start again;
        // sessions drop the messages they already delivered.
        if (this.#failures++ === 0) this.#nextNonce = 0n;
        this.options.metrics.errors.inc({ kind: 'poll' });
        log.warn({ canister: this.options.canisterId.toText(), err: (err as Error).message, failures: this.#failures }, 'poll failed; retrying with backoff');
      }
      if (!this.#running) break;
      if (this.#failures > 0) await this.#sleep(Math.max(intervalMs, backoffMs(this.#failures, intervalMs, 5_000)));
      else if (drained && !this.#pollRequested) await this.#sleep(intervalMs - (Date.now() - started));
    }
  }

  /** @returns whether the queue was drained. */
  async #pollOnce(): Promise<boolean> {
    const { canisterId, source, timeoutMs, metrics } = this.options;
    const endTimer = metrics.pollLatency.startTimer();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`poll timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    let batch: CanisterOutputCertifiedMessages;
    try {
      batch = await Promise.race([source.getMessages(canisterId, this.#nextNonce), timeout]);
    } finally {
      clearTimeout(timer);
      endTimer();
    }
    for (const message of batch.messages) {
      const { nonce } = parseMessageKey(message.key);
      if (nonce < this.#nextNonce) continue;
      if (nonce !== this.#nextNonce && this.#nextNonce !== 0n) {
        metrics.errors.inc({ kind: 'nonce_gap' });
        this.options.log.error({ canister: canisterId.toText(), expected: String(this.#nextNonce), got: String(nonce) }, 'non-consecutive message nonce; messages in between are lost');
      }
      this.#nextNonce = nonce + 1n;
      this.options.deliver(message, nonce, batch.cert, batch.tree);
    }
    return batch.is_end_of_queue || batch.messages.length === 0;
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#pollRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }
}
