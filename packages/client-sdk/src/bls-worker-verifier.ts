/**
 * mcl-wasm on a worker (see `bls-mcl.ts`, `bls-worker-spawn.ts`): the checks leave the calling
 * thread, which in a browser is the page's, so a new certificate no longer freezes it.
 *
 * ```
 *  idle ──first check or warmUp──▶ starting ──worker says started──▶ running
 *                                     │                                  │
 *                                     └── load error, start refused, ────┴──▶ failed: pending and later
 *                                         timeout, crash, exit                checks reject with
 *                                                                             BackendUnavailableError
 * ```
 *
 * Checks posted while the worker starts wait in its queue. The worker is started on first use and
 * holds a Node process open only while checks are pending.
 */
import { BackendUnavailableError, type BlsVerifier } from './bls-backend';
import type { BlsReply } from './bls-mcl';
import { spawnBlsWorker, type BlsWorkerHandle, type BlsWorkerSpawner } from './bls-worker-spawn';

/** States of a {@link WorkerBlsVerifier}; see the diagram above. */
export type WorkerVerifierState = 'idle' | 'starting' | 'running' | 'failed';

/** Options of {@link WorkerBlsVerifier}. */
export interface WorkerBlsVerifierOptions {
  /** Starts the worker. @default the platform's (`bls-worker-spawn.ts`) */
  spawn?: BlsWorkerSpawner;
  /** How long the worker may take to start (load and compile mcl-wasm) before it counts as failed. @default 15_000 */
  startTimeoutMs?: number;
}

interface Pending {
  resolve(valid: boolean): void;
  reject(err: Error): void;
}

/** See the module comment. */
export class WorkerBlsVerifier implements BlsVerifier {
  readonly backend = 'worker';
  readonly #spawn: BlsWorkerSpawner;
  readonly #startTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #state: WorkerVerifierState = 'idle';
  #worker: BlsWorkerHandle | undefined;
  #failure: BackendUnavailableError | undefined;
  #startTimer: ReturnType<typeof setTimeout> | undefined;
  #threadId: number | undefined;
  #nextId = 0;

  constructor(options: WorkerBlsVerifierOptions = {}) {
    this.#spawn = options.spawn ?? spawnBlsWorker;
    this.#startTimeoutMs = options.startTimeoutMs ?? 15_000;
  }

  /** See the diagram in the module comment. */
  get state(): WorkerVerifierState {
    return this.#state;
  }

  /** The worker's thread id once it has started, where the platform has one (Node). */
  get threadId(): number | undefined {
    return this.#threadId;
  }

  warmUp(): void {
    this.#start();
  }

  verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
    this.#start();
    if (this.#state === 'failed') return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise<boolean>((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker!.keepAlive(true);
      this.#pending.set(id, { resolve, reject });
      try {
        // copies: a view would carry its whole buffer to the worker
        this.#worker!.post({ id, publicKey: publicKey.slice(), signature: signature.slice(), message });
      } catch (cause) {
        this.#fail(`could not post to the verifier's worker: ${(cause as Error)?.message ?? cause}`, cause);
      }
    });
  }

  async close(): Promise<void> {
    this.#fail('the verifier was closed');
  }

  #setState(next: WorkerVerifierState): void {
    this.#state = next;
  }

  #start(): void {
    if (this.#state !== 'idle') return;
    this.#setState('starting');
    let worker: BlsWorkerHandle | undefined;
    try {
      worker = this.#spawn();
    } catch (cause) {
      return this.#fail(`the verifier's worker could not be started: ${(cause as Error)?.message ?? cause}`, cause);
    }
    if (worker === undefined) return this.#fail('this platform offers no worker for the verifier');
    this.#worker = worker;
    worker.listen(
      (reply) => this.#onReply(worker, reply),
      (err) => worker === this.#worker && this.#fail(`the verifier's worker failed: ${err.message}`, err),
    );
    this.#startTimer = setTimeout(() => this.#fail(`the verifier's worker did not start within ${this.#startTimeoutMs} ms`), this.#startTimeoutMs);
    (this.#startTimer as { unref?: () => void }).unref?.();
  }

  #onReply(worker: BlsWorkerHandle, reply: BlsReply): void {
    if (worker !== this.#worker || this.#state === 'failed') return;
    if ('started' in reply) {
      clearTimeout(this.#startTimer);
      if (!reply.started) return this.#fail(`mcl-wasm did not start in the verifier's worker: ${reply.reason}`);
      this.#threadId = reply.threadId;
      return this.#setState('running');
    }
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) worker.keepAlive(false);
    pending.resolve(reply.valid);
  }

  /** The one way into `failed`: the worker stops and every pending check is handed back. */
  #fail(reason: string, cause?: unknown): void {
    if (this.#state === 'failed') return;
    this.#setState('failed');
    clearTimeout(this.#startTimer);
    this.#failure = new BackendUnavailableError(reason, { cause });
    const worker = this.#worker;
    this.#worker = undefined;
    try {
      worker?.terminate();
    } catch {
      // already gone
    }
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
  }
}
