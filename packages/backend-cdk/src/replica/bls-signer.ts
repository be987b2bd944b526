import { Worker } from 'node:worker_threads';
import { bls12_381 } from '@noble/curves/bls12-381';

/** Signs certificate messages with the root key. */
export interface CertificateSigner {
  /** @returns the 48-byte BLS short signature of `message`. */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** Releases the signer's resources. */
  close(): Promise<void>;
}

/**
 * Nice value of the signing thread on Linux, where a thread's priority is its own: a signature
 * (tens of ms of CPU) then takes the CPU the request-serving thread leaves, instead of preempting
 * it and stalling queries when cores are few. Elsewhere the priority belongs to the whole process,
 * so it is left alone.
 */
const SIGNER_NICE = 10;

// The worker is plain JavaScript evaluated in place, so it runs the same from TypeScript sources
// (tests) and from the compiled package; it loads noble from the path the parent resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.nice !== undefined) {
  try {
    require('node:os').setPriority(workerData.nice);
  } catch {}
}
const { bls12_381 } = require(workerData.blsModule);
const secretKey = workerData.secretKey;
parentPort.on('message', ({ id, message }) => {
  const signature = bls12_381.signShortSignature(message, secretKey);
  parentPort.postMessage({ id, signature });
});
`;

/**
 * Signs on a worker thread: one BLS signature costs tens of milliseconds in JavaScript, and the
 * thread that serves HTTP must keep answering queries meanwhile.
 */
export class WorkerCertificateSigner implements CertificateSigner {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(sig: Uint8Array): void; reject(err: Error): void }>();
  #nextId = 0;

  constructor(secretKey: Uint8Array) {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { blsModule: require.resolve('@noble/curves/bls12-381'), secretKey, nice: process.platform === 'linux' ? SIGNER_NICE : undefined },
    });
    this.#worker.unref();
    this.#worker.on('message', ({ id, signature }: { id: number; signature: Uint8Array }) => {
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

  async close(): Promise<void> {
    await this.#worker.terminate();
  }

  #failAll(err: Error): void {
    for (const { reject } of this.#pending.values()) reject(err);
    this.#pending.clear();
  }
}

/** Signs on the calling thread; for tools and tests that sign rarely. */
export class InlineCertificateSigner implements CertificateSigner {
  constructor(private readonly secretKey: Uint8Array) {}

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return bls12_381.signShortSignature(message, this.secretKey);
  }

  async close(): Promise<void> {}
}
