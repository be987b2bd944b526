import { Worker } from 'node:worker_threads';
import { bls12_381 } from '@noble/curves/bls12-381';

/** Signs certificate messages with the root key. */
export interface CertificateSigner {
  /** @returns the 48-byte BLS short signature of `message`. */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** Releases the signer's resources. */
  close(): Promise<void>;
}

/** The library that makes a {@link WorkerCertificateSigner}'s signatures. */
export type SignerBackend = 'mcl' | 'noble';

/** The IC's domain separation tag for BLS signatures on G1 (the "min-sig" scheme). */
export const G1_SIGNATURE_DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';

// The worker is plain JavaScript evaluated in place, so it runs the same from TypeScript sources
// (tests) and from the compiled package; it loads its libraries from the paths the parent resolved.
//
// A signature is hash_to_curve(message) · secret key on G1. noble computes it in 7–10 ms; mcl
// (WebAssembly) in about 1 ms (bench/replica.js prints both), with noble's hash_to_field (the spec's
// expand_message_xmd) in front: hash_to_curve is clear_cofactor(map(u0) + map(u1)), mcl's mapToG1
// is map then clear_cofactor, and clearing the cofactor is linear, so the sum of the two mapped
// points is the same point. The signatures are byte for byte noble's (a test compares them); where
// mcl cannot start, noble signs.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { secretKey, dst, modules } = workerData;
const { bls12_381 } = require(modules.noble);
const { hash_to_field } = require(modules.hashToCurve);
const { sha256 } = require(modules.sha256);
const fieldOptions = { DST: dst, p: bls12_381.fields.Fp.ORDER, m: 1, k: 128, expand: 'xmd', hash: sha256 };

function fieldElement(mcl, value) {
  const element = new mcl.Fp();
  element.setBigEndianMod(Buffer.from(value.toString(16).padStart(96, '0'), 'hex'));
  return element;
}

const signWithMcl = (async () => {
  const mcl = require(modules.mcl);
  await mcl.init(mcl.BLS12_381);
  mcl.setETHserialization(true);
  mcl.setMapToMode(mcl.IRTF);
  const scalar = new mcl.Fr();
  scalar.setBigEndianMod(secretKey);
  parentPort.postMessage({ backend: 'mcl' });
  return (message) => {
    const [[u0], [u1]] = hash_to_field(message, 2, fieldOptions);
    const point = mcl.add(fieldElement(mcl, u0).mapToG1(), fieldElement(mcl, u1).mapToG1());
    return mcl.mul(point, scalar).serialize();
  };
})().catch(() => {
  parentPort.postMessage({ backend: 'noble' });
  return (message) => bls12_381.signShortSignature(message, secretKey);
});

parentPort.on('message', async ({ id, message }) => {
  const sign = await signWithMcl;
  parentPort.postMessage({ id, signature: sign(message) });
});
`;

/**
 * Signs on a worker thread, so the thread that serves HTTP keeps reading and checking requests while
 * a round's certificate is being signed (queries that need that certificate wait for it).
 */
export class WorkerCertificateSigner implements CertificateSigner {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(sig: Uint8Array): void; reject(err: Error): void }>();
  readonly #backend: Promise<SignerBackend>;
  #nextId = 0;

  constructor(secretKey: Uint8Array) {
    const modules = {
      noble: require.resolve('@noble/curves/bls12-381'),
      hashToCurve: require.resolve('@noble/curves/abstract/hash-to-curve'),
      sha256: require.resolve('@noble/hashes/sha2'),
      mcl: require.resolve('mcl-wasm'),
    };
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { secretKey, dst: G1_SIGNATURE_DST, modules } });
    this.#worker.unref();
    let started!: (backend: SignerBackend) => void;
    this.#backend = new Promise((resolve) => (started = resolve));
    this.#worker.on('message', ({ id, signature, backend }: { id: number; signature: Uint8Array; backend?: SignerBackend }) => {
      if (backend !== undefined) return started(backend);
      this.#pending.get(id)?.resolve(signature);
      this.#pending.delete(id);
    });
    this.#worker.on('error', (err) => this.#failAll(err));
    this.#worker.on('exit', (code) => this.#failAll(new Error(`certificate signer exited with code ${code}`)));
  }

  sign(message: Uint8Array): Promise<Uint8Array> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, message });
    });
  }

  /** @returns which library makes the signatures: `mcl`, or `noble` where mcl could not start. */
  backend(): Promise<SignerBackend> {
    return this.#backend;
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }

  #failAll(err: Error): void {
    for (const { reject } of this.#pending.values()) reject(err);
    this.#pending.clear();
  }
}

/** Signs on the calling thread with noble, the reference implementation; for tools and tests that sign rarely. */
export class InlineCertificateSigner implements CertificateSigner {
  constructor(private readonly secretKey: Uint8Array) {}

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return bls12_381.signShortSignature(message, this.secretKey);
  }

  async close(): Promise<void> {}
}
