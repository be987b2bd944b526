import type { Principal } from '@icp-sdk/core/principal';
import { messageKeyNonce, principalText, type CanisterOutputCertifiedMessages } from '@icws/protocol';
import type { Logger } from 'pino';
import type { Clock } from './clock';
import { ErrorLog } from './error-log';
import { GatewayError } from './errors';
import type { IcTransport } from './ic-transport';
import type { GatewayMetrics } from './metrics';
import type { RetryPolicy } from './retry-policy';
import type { BatchSink, PollerHandle } from './router';
import { NO_TRACING, type GatewayTracer } from './tracing';

/** Longest wait between two polls while the replica keeps failing. */
export const MAX_POLL_BACKOFF_MS = 5_000;
/**
 * Messages a poll asks for while the queue is long (the poll before did not drain it), so a
 * backlog drains in few polls; an icws CDK caps it with its `maxRequestedMessages` and its byte
 * cap, an upstream one returns its fixed count. A poll of a drained queue asks for no count and
 * sends the bytes an upstream gateway sends.
 */
export const LONG_QUEUE_POLL_MESSAGES = 1_000n;

export interface PollerOptions {
  readonly canisterId: Principal;
  readonly source: Pick<IcTransport, 'getMessages'>;
  /** Says where to read from and takes each batch read. */
  readonly sink: BatchSink;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Spaces the polls after failures: at least the interval, at most {@link MAX_POLL_BACKOFF_MS}. */
  readonly retry: RetryPolicy;
  readonly clock: Clock;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  /** Folds repeated poll failures into summary lines; by default one of this poller's own. */
  readonly errors?: ErrorLog;
  /** Told of each poll's outcome, for `/health`. */
  readonly health?: {
    pollSucceeded(canisterId: string): void;
    pollFailed(canisterId: string, err: unknown): void;
    forget(canisterId: string): void;
  };
  /** Gets a span per poll; none by default. */
  readonly tracer?: GatewayTracer;
}

/**
 * Polls one canister's queue for this gateway while the canister has clients here. Polls every
 * interval, at once again while the queue is not drained, soon after a relayed call executed
 * ({@link pollSoon}), and backs off with its retry policy while the replica fails. While the
 * queue is not drained, the next poll (asking for {@link LONG_QUEUE_POLL_MESSAGES}) is sent before
 * the batch in hand is delivered, so delivering and polling overlap.
 */
export class CanisterPoller implements PollerHandle {
  readonly #options: PollerOptions;
  #running = false;
  #wake: (() => void) | undefined;
  #pollRequested = false;
  #failures = 0;
  #stopped: Promise<void> | undefined;
  readonly #errors: ErrorLog;

  constructor(options: PollerOptions) {
    this.#options = options;
    this.#errors = options.errors ?? new ErrorLog(options.log, options.clock);
  }

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
    this.#options.health?.forget(this.#options.canisterId.toText());
  }

  /** Polls as soon as the current poll (if any) finishes, instead of at the next interval. */
  pollSoon(): void {
    this.#pollRequested = true;
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    const { intervalMs, clock, retry, sink, health } = this.#options;
    const canister = principalText(this.#options.canisterId);
    const subject = `canister:${canister}`;
    /** The next poll, sent before the batch before it was delivered. */
    let ahead: Promise<CanisterOutputCertifiedMessages> | undefined;
    while (this.#running) {
      const started = clock.now();
      this.#pollRequested = false;
      let drained = true;
      try {
        const batch = await (ahead ?? this.#poll(sink.nextNonce, undefined));
        ahead = undefined;
        drained = batch.is_end_of_queue || batch.messages.length === 0;
        if (!drained && this.#running) {
          ahead = this.#poll(nonceAfter(batch, sink.nextNonce), LONG_QUEUE_POLL_MESSAGES);
          // Its failure is handled when it is awaited, next time round.
          ahead.catch(() => undefined);
        }
        sink.accept(batch);
        if (this.#failures > 0) this.#errors.recovered(subject, 'polls succeed again', { canister, failures: this.#failures });
        this.#failures = 0;
        health?.pollSucceeded(canister);
      } catch (err) {
        ahead = undefined;
        // The replica may come back restarted with a fresh queue: read it from the start again.
        if (this.#failures++ === 0) sink.rewind();
        this.#options.metrics.errors.inc({ kind: 'poll' });
        health?.pollFailed(canister, err);
        this.#errors.report('warn', subject, err, 'poll failed; retrying with backoff', { canister });
      }
      if (!this.#running) break;
      if (this.#failures > 0) await this.#sleep(retry.delayMs(this.#failures - 1));
      else if (drained && !this.#pollRequested) await this.#sleep(intervalMs - (clock.now() - started));
    }
    await ahead?.catch(() => undefined);
  }

  /** One poll from `nonce`, asking for `maxMessages` when given, failing after the poll timeout. */
  #poll(nonce: bigint, maxMessages: bigint | undefined): Promise<CanisterOutputCertifiedMessages> {
    const { canisterId, source, timeoutMs, metrics, clock } = this.#options;
    const endTimer = metrics.pollLatency.startTimer();
    const span = (this.#options.tracer ?? NO_TRACING).startPoll(canisterId, nonce);
    // One promise settled by whichever comes first, the answer or the timeout.
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (end: { batch: CanisterOutputCertifiedMessages } | { error: unknown }): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        endTimer();
        span.end(end);
        if ('batch' in end) resolve(end.batch);
        else reject(end.error);
      };
      const fail = (error: unknown): void => settle({ error });
      const timer = clock.setTimer(() => fail(new GatewayError('ICWS_ERR_POLL_TIMEOUT', `ws_get_messages did not answer within ${timeoutMs} ms (--poll-timeout)`)), timeoutMs);
      let answer: Promise<CanisterOutputCertifiedMessages>;
      try {
        answer = source.getMessages(canisterId, nonce, maxMessages);
      } catch (error) {
        return fail(error);
      }
      answer.then((batch) => settle({ batch }), fail);
    });
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#pollRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#wake = undefined;
        timer.cancel();
        resolve();
      };
      const timer = this.#options.clock.setTimer(done, ms);
      this.#wake = done;
    });
  }
}

/** @returns the nonce after the last message of `batch` (or `current`, if that is later). */
function nonceAfter(batch: CanisterOutputCertifiedMessages, current: bigint): bigint {
  const last = messageKeyNonce(batch.messages[batch.messages.length - 1].key) + 1n;
  return last > current ? last : current;
}
