/**
 * mcl-wasm on the calling thread (see `bls-mcl.ts`): about 4 ms a signature, with keys prepared
 * once. The WebAssembly module (about 650 KB of JavaScript) is loaded when first needed (a socket
 * warms it up as it connects), not with the SDK. mcl keeps its settings per thread, so every
 * verifier of a thread shares one instance; an application that also uses mcl-wasm on that thread
 * with other settings should use the worker.
 */
import { BackendUnavailableError, type BlsVerifier } from './bls-backend';
import type { MclBls, MclWasm } from './bls-mcl';

/** Loads mcl-wasm and starts the verifier; injectable for tests. */
export type MclLoader = () => Promise<MclBls>;

let inThisThread: Promise<MclBls> | undefined;

/** Loads mcl-wasm and the verifier code once per thread; a failed load is tried again next time. */
export const loadMclInThisThread: MclLoader = () => {
  inThisThread ??= (async () => {
    const [mclModule, { startMclBls }] = await Promise.all([import('mcl-wasm'), import('./bls-mcl')]);
    // an ES namespace of the CommonJS module: its live exports (`mod` is set by init) are on `default`
    const mcl = ((mclModule as { default?: unknown }).default ?? mclModule) as MclWasm;
    return startMclBls(mcl);
  })().catch((err: unknown) => {
    inThisThread = undefined;
    throw err;
  });
  return inThisThread;
};

/** See the module comment. */
export class WasmBlsVerifier implements BlsVerifier {
  readonly backend = 'wasm';
  readonly #load: MclLoader;
  #bls: Promise<MclBls> | undefined;

  /** @param load - loads and starts mcl-wasm @default loads it on this thread once */
  constructor(load: MclLoader = loadMclInThisThread) {
    this.#load = load;
  }

  warmUp(): void {
    this.#started().catch(() => undefined); // reported by the first check
  }

  async verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
    let bls: MclBls;
    try {
      bls = await this.#started();
    } catch (cause) {
      throw new BackendUnavailableError(`mcl-wasm cannot run on this thread: ${(cause as Error)?.message ?? cause}`, { cause });
    }
    return bls.verify(publicKey, signature, message);
  }

  #started(): Promise<MclBls> {
    this.#bls ??= this.#load();
    return this.#bls;
  }
}
