import type { Principal } from '@icp-sdk/core/principal';
import type { DecodedClientRequest } from '@icws/protocol';
import type { Clock } from './clock';
import { isRelayRetriable, isReplicaUnavailable, type IcTransport, type RelayOutcome } from './ic-transport';
import { requestIdOf } from './native-hash';
import type { RetryPolicy } from './retry-policy';

/** How much one session may have waiting to be relayed. */
export interface RelayQueueLimits {
  /** Calls queued or in flight. */
  readonly maxFrames: number;
  /** Bytes of envelopes queued or in flight. */
  readonly maxBytes: number;
  /**
   * How long a call may wait, while the replica answers, before it is relayed: a call that waited
   * longer by the time its turn came ends the queue, and so does a call arriving behind one that
   * has. Time the replica was unreachable is not counted: the retry window covers restarts.
   */
  readonly maxWaitMs: number;
}

/** The limits a queue starts with: 64 calls, 8 MiB, 5 s. */
export const DEFAULT_RELAY_QUEUE_LIMITS: RelayQueueLimits = { maxFrames: 64, maxBytes: 8 * 1024 * 1024, maxWaitMs: 5_000 };

/** One call to relay. */
export interface RelayJob {
  readonly request: DecodedClientRequest;
  /**
   * Receives the call's outcome, replied or rejected included. Only calls with this callback have
   * their outcome read: it costs a request id and a certificate lookup.
   */
  readonly onOutcome?: (outcome: RelayOutcome) => void;
}

/** Which limit a refused job would have passed. */
export type RelayQueueOverflow = 'frames' | 'bytes' | 'wait';

export interface RelayQueueOptions {
  readonly canisterId: Principal;
  readonly transport: Pick<IcTransport, 'relayCall'>;
  /** Spaces the attempts at a call while the replica is unavailable or overloaded; see {@link RELAY_RETRY_SCHEDULE}. */
  readonly retry: RetryPolicy;
  readonly limits: RelayQueueLimits;
  /** Tells how long calls have waited. */
  readonly clock: Pick<Clock, 'now'>;
  /** Told of each relayed call, in order. */
  readonly onRelayed?: (outcome: RelayOutcome) => void;
  /** Told of the call that could not be relayed; the queue has closed. */
  readonly onFailed: (err: unknown) => void;
  /**
   * Told when the next call had waited longer than {@link RelayQueueLimits.maxWaitMs} by the time
   * it could start; the queue has closed, dropping it and the calls after it.
   */
  readonly onStalled: () => void;
  /** Told of each retry. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * The schedule of retries of a call while the replica is unavailable or overloaded: from 200 ms up to 2 s apart,
 * for at most 30 s after the first attempt (and never past the envelope's expiry).
 */
export const RELAY_RETRY_SCHEDULE = { minDelayMs: 200, maxDelayMs: 2_000, windowMs: 30_000 } as const;

/**
 * One client's calls on their way to the canister: first in, first out, one in flight at a time,
 * so the canister executes them in the order the client sent them. A job waits while the queue is
 * held (the session is opening) and while the call before it is in flight. The queue is bounded
 * in calls and in bytes: a client sending faster than the replica executes meets the bound instead
 * of growing the gateway's memory; and in time, when the replica falls behind: a call arriving
 * while the oldest one has waited longer than the bound is refused, and a call that waited longer
 * than the bound before it could start ends the queue, so every call relayed started within the
 * bound of its arrival.
 */
export class RelayQueue {
  readonly #options: RelayQueueOptions;
  readonly #waiting: Array<{ job: RelayJob; bytes: number; arrivedAt: number }> = [];
  #frames = 0;
  #bytes = 0;
  #inFlight: Promise<void> | undefined;
  /** When the call in flight arrived, while one is. */
  #inFlightArrivedAt: number | undefined;
  /** When a relay last found the replica unreachable: waits count from then at the earliest. */
  #unreachableAt = Number.NEGATIVE_INFINITY;
  #held = false;
  #closed = false;

  constructor(options: RelayQueueOptions) {
    this.#options = options;
  }

  /** Calls queued or in flight. */
  get frames(): number {
    return this.#frames;
  }

  /** Bytes of the envelopes queued or in flight. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Queues a call; it starts at once when nothing is in flight and the queue is not held.
   * @returns the limit the call would pass, in which case it is not queued; undefined when queued
   *   (or dropped because the queue is closed)
   */
  push(job: RelayJob): RelayQueueOverflow | undefined {
    if (this.#closed) return undefined;
    const bytes = job.request.envelopeCbor.length;
    const { maxFrames, maxBytes, maxWaitMs } = this.#options.limits;
    if (this.#frames + 1 > maxFrames) return 'frames';
    if (this.#bytes + bytes > maxBytes) return 'bytes';
    if (this.oldestWaitMs > maxWaitMs) return 'wait';
    this.#frames++;
    this.#bytes += bytes;
    this.#waiting.push({ job, bytes, arrivedAt: this.#options.clock.now() });
    this.#next();
    return undefined;
  }

  /**
   * How long the oldest call queued or in flight has waited, the time the replica could not be
   * reached left out; 0 with none.
   */
  get oldestWaitMs(): number {
    const arrivedAt = this.#inFlightArrivedAt ?? this.#waiting[0]?.arrivedAt;
    return arrivedAt === undefined ? 0 : this.#waitedMs(arrivedAt);
  }

  /** @returns how long a call that arrived at `arrivedAt` has waited, the replica's outages left out. */
  #waitedMs(arrivedAt: number): number {
    return this.#options.clock.now() - Math.max(arrivedAt, this.#unreachableAt);
  }

  /** Jobs not yet started wait until {@link release}; the one in flight carries on. */
  hold(): void {
    this.#held = true;
  }

  /** Starts the jobs held back by {@link hold}, in order. */
  release(): void {
    this.#held = false;
    this.#next();
  }

  /** Drops the waiting jobs and stops retrying the one in flight. */
  close(): void {
    this.#closed = true;
    for (const { bytes } of this.#waiting.splice(0)) this.#settle(bytes);
  }

  /** @returns a promise resolved once no call is in flight and none can start (closed, held or empty). */
  async idle(): Promise<void> {
    while (this.#inFlight !== undefined) await this.#inFlight;
  }

  #next(): void {
    if (this.#inFlight !== undefined || this.#held || this.#closed) return;
    const head = this.#waiting[0];
    if (head === undefined) return;
    if (this.#waitedMs(head.arrivedAt) > this.#options.limits.maxWaitMs) {
      this.close();
      this.#options.onStalled();
      return;
    }
    this.#waiting.shift();
    this.#inFlightArrivedAt = head.arrivedAt;
    const run = this.#run(head.job).catch((err: unknown) => {
      // A callback threw: end the queue as a failed relay would, rather than leave a rejection.
      this.close();
      this.#options.onFailed(err);
    });
    this.#inFlight = run.finally(() => {
      this.#settle(head.bytes);
      this.#inFlight = undefined;
      this.#inFlightArrivedAt = undefined;
      this.#next();
    });
  }

  async #run(job: RelayJob): Promise<void> {
    const { canisterId, transport, retry } = this.#options;
    const content = job.request.envelope.content;
    const requestId = job.onOutcome !== undefined ? requestIdOf(content) : undefined;
    let outcome: RelayOutcome;
    try {
      outcome = await retry.run(() => transport.relayCall(canisterId, job.request.envelopeCbor, requestId), {
        retriable: isRelayRetriable,
        deadlineAt: Number(content.ingress_expiry / 1_000_000n),
        cancelled: () => this.#closed,
        onRetry: (err, attempt, delayMs) => {
          if (isReplicaUnavailable(err)) this.#unreachableAt = this.#options.clock.now();
          this.#options.onRetry?.(err, attempt, delayMs);
        },
      });
    } catch (err) {
      if (this.#closed) return;
      this.close();
      this.#options.onFailed(err);
      return;
    }
    this.#options.onRelayed?.(outcome);
    job.onOutcome?.(outcome);
  }

  #settle(bytes: number): void {
    this.#frames--;
    this.#bytes -= bytes;
  }
}

