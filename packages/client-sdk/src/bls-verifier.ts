/**
 * Who checks the BLS signatures of certificates: the interface certificate checks call, and the
 * choice among its implementations.
 *
 * ```
 *  'worker' (default) ──cannot start or dies──▶ 'wasm' ──cannot start──▶ 'noble'
 *   mcl-wasm on a worker thread / Web Worker     mcl-wasm on the        @icp-sdk/core's pure-JS
 *   (the calling thread stays free)              calling thread         verifier, on the calling thread
 * ```
 *
 * Every implementation gives the same verdicts (tests check the three on the same certificates); they
 * differ in where and how fast they run: about 4 ms of a worker's time, 4 ms of the calling thread's,
 * or 24 ms of it. A verifier that cannot run (no WebAssembly, no workers, a worker file the page's
 * server does not serve, a crashed worker) hands the checks it holds to the next one, so a missing
 * backend never fails a certificate. The verifiers the SDK picks by name are shared by every socket
 * of the process (one worker, one set of prepared keys), and remember the signatures that verified
 * (`bls-verdict-cache.ts`): a delegation is checked once, not with every certificate.
 */
import { BackendUnavailableError, type BlsVerifier } from './bls-backend';
import { NobleBlsVerifier } from './bls-noble';
import { VerdictCachingBlsVerifier } from './bls-verdict-cache';
import { WasmBlsVerifier } from './bls-wasm-verifier';
import { WorkerBlsVerifier } from './bls-worker-verifier';

export type { BlsVerifier } from './bls-backend';

/** The verifiers the SDK has by name; see the module comment. */
export type BlsVerifierName = 'worker' | 'wasm' | 'noble';

/** The order in which named verifiers give way when one cannot run. */
const FALLBACKS: Record<BlsVerifierName, BlsVerifierName[]> = {
  worker: ['worker', 'wasm', 'noble'],
  wasm: ['wasm', 'noble'],
  noble: ['noble'],
};

const makers: Record<BlsVerifierName, () => BlsVerifier> = {
  worker: () => new WorkerBlsVerifier(),
  wasm: () => new WasmBlsVerifier(),
  noble: () => new NobleBlsVerifier(),
};

/** Shared by every socket of the process, made on first use. */
const shared = new Map<BlsVerifierName, BlsVerifier>();

/**
 * @returns the process-wide verifier for `name`, which gives way to the next one when it cannot run
 *   (see the module comment)
 */
export function sharedBlsVerifier(name: BlsVerifierName = 'worker'): BlsVerifier {
  let verifier = shared.get(name);
  if (verifier === undefined) {
    verifier = new VerdictCachingBlsVerifier(new FallbackBlsVerifier(FALLBACKS[name].map((next) => makers[next])));
    shared.set(name, verifier);
  }
  return verifier;
}

/** @returns whether `value` names a verifier of {@link sharedBlsVerifier}. */
export function isBlsVerifierName(value: unknown): value is BlsVerifierName {
  return typeof value === 'string' && Object.hasOwn(FALLBACKS, value);
}

/**
 * Runs the checks on the first verifier of a list that can: when one reports that it cannot run
 * ({@link BackendUnavailableError}), the next one is made and takes over, that check included.
 */
export class FallbackBlsVerifier implements BlsVerifier {
  readonly #makers: ReadonlyArray<() => BlsVerifier>;
  #index = 0;
  #current: BlsVerifier;

  /** @param makers - make the verifiers, in order of preference; the last should always be able to run */
  constructor(makers: ReadonlyArray<() => BlsVerifier>) {
    if (makers.length === 0) throw new RangeError('FallbackBlsVerifier needs at least one verifier');
    this.#makers = makers;
    this.#current = makers[0]!();
  }

  /** The name of the verifier that runs the checks now. */
  get backend(): string {
    return this.#current.backend;
  }

  warmUp(): void {
    this.#current.warmUp?.();
  }

  async verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
    for (;;) {
      const verifier = this.#current;
      try {
        return await verifier.verify(publicKey, signature, message);
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        this.#giveWay(verifier);
      }
    }
  }

  async close(): Promise<void> {
    await this.#current.close?.();
  }

  /** Moves to the next verifier, unless a concurrent check already moved past `failed`. */
  #giveWay(failed: BlsVerifier): void {
    if (failed !== this.#current) return;
    if (this.#index + 1 >= this.#makers.length) throw new BackendUnavailableError(`no BLS verifier can run here; the last one (${failed.backend}) failed`);
    void failed.close?.();
    this.#current = this.#makers[++this.#index]!();
    this.#current.warmUp?.();
  }
}
