import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SignatureItem, SignatureVerifier } from './envelope/signature-verifier';
import { keyTypeOf, type KeyType } from './envelope/spki';
import { badPublicKey, KEY_CACHE_CAPACITY, verifySignature } from './envelope/verify-signature';

/** Options of {@link CryptoWorkerPool}. */
export interface CryptoWorkerPoolOptions {
  /** Worker threads. @default os.availableParallelism(), at least 1 */
  readonly size?: number;
  /**
   * A tick's batch of at most this many checks runs on the calling thread while no worker is
   * busy: a check or two costs less there than the round trip to a worker and back, and answers
   * sooner. 0 sends everything to the workers. @default DEFAULT_IN_THREAD_MAX_BATCH
   */
  readonly inThreadMaxBatch?: number;
  /** PKCS#8 DER of the Ed25519 key that {@link CryptoWorkerPool.sign} signs with. */
  readonly signingKeyPkcs8?: Uint8Array;
  /**
   * Nice value of the worker threads on Linux, where each thread has its own (elsewhere it is the
   * whole process's, so it is left alone). Measured on 2 busy cores, workers at nice 10 waited tens
   * of milliseconds for the CPU with a 0.2 ms check in hand, holding up the requests behind it.
   * @default WORKER_NICE
   */
  readonly nice?: number;
}

/** Default nice value of the workers: the thread serving HTTP's own, see {@link CryptoWorkerPoolOptions.nice}. */
export const WORKER_NICE = 0;
/** Default of {@link CryptoWorkerPoolOptions.inThreadMaxBatch}. */
export const DEFAULT_IN_THREAD_MAX_BATCH = 2;

/** What a worker answers for each check (one byte per check). */
const INVALID = 0;
const VALID = 1;
const KEY_UNPARSABLE = 2;
/**
 * Batches a worker may have posted and unanswered. Two keep it busy (one running, one waiting in its
 * port) without waking it for every tick; what arrives meanwhile waits on this thread and joins
 * the next batch, so batches grow with the load and messages do not.
 */
const MAX_BATCHES_IN_FLIGHT = 2;
/**
 * Most checks in one batch: about 4 ms of work, so that the checks of a burst of update calls are
 * spread over the workers and answered in parts.
 */
const MAX_BATCH_OPERATIONS = 32;
/** Bytes in front of each check of a batch: the lengths of key, message and signature. */
const OP_HEADER_BYTES = 12;
const SIGNATURE_BYTES = 64;

// Plain JavaScript evaluated in place, so it runs the same from TypeScript sources (tests) and from
// the compiled package. A batch is one transferred buffer: u32 count, then per check three u32
// (key, message and signature lengths), then the bytes. Verification mirrors verifySignature
// (Ed25519 over the message, ECDSA over its sha256 with r ‖ s signatures; the parent has already
// refused unsupported key types).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
if (workerData.nice !== undefined) {
  try {
    require('node:os').setPriority(workerData.nice);
  } catch {}
}
const keys = new Map();
function keyOf(der) {
  const id = der.toString('latin1');
  let key = keys.get(id);
  if (key !== undefined) {
    keys.delete(id);
  } else {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    if (keys.size >= workerData.keyCacheCapacity) keys.delete(keys.keys().next().value);
  }
  keys.set(id, key);
  return key;
}
function verified(der, message, signature) {
  const key = keyOf(der);
  if (signature.length !== ${SIGNATURE_BYTES}) return ${INVALID};
  try {
    const ok = key.asymmetricKeyType === 'ed25519'
      ? verify(null, message, key, signature)
      : verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
    return ok ? ${VALID} : ${INVALID};
  } catch {
    return ${INVALID};
  }
}
parentPort.on('message', ({ id, buffer }) => {
  const view = new DataView(buffer);
  const bytes = Buffer.from(buffer);
  const count = view.getUint32(0);
  const verdicts = new Uint8Array(count);
  const errors = [];
  let at = 4 + count * ${OP_HEADER_BYTES};
  for (let i = 0; i < count; i++) {
    const header = 4 + i * ${OP_HEADER_BYTES};
    const der = bytes.subarray(at, (at += view.getUint32(header)));
    const message = bytes.subarray(at, (at += view.getUint32(header + 4)));
    const signature = bytes.subarray(at, (at += view.getUint32(header + 8)));
    try {
      verdicts[i] = verified(der, message, signature);
    } catch (err) {
      verdicts[i] = ${KEY_UNPARSABLE};
      errors.push({ index: i, message: String(err && err.message) });
    }
  }
  parentPort.postMessage({ id, verdicts, errors }, [verdicts.buffer]);
});
`;

/** One call of verify(): its verdicts fill in as the batches holding its signatures come back. */
interface VerifyRequest {
  readonly verdicts: boolean[];
  remaining: number;
  settled: boolean;
  resolve(verdicts: boolean[]): void;
  reject(err: Error): void;
}

/** One signature to check: the `index`th item of a {@link VerifyRequest}. */
interface Operation {
  readonly request: VerifyRequest;
  readonly index: number;
  readonly item: SignatureItem;
  readonly type: KeyType;
}

interface PoolWorker {
  readonly worker: Worker;
  /** Operations posted and not answered yet. */
  inFlight: number;
  /** Batches posted and not answered yet, by id. */
  readonly batches: Map<number, Operation[]>;
}

interface WorkerReply {
  id: number;
  verdicts: Uint8Array;
  errors: Array<{ index: number; message: string }>;
}

/**
 * Runs the replica's envelope signature checks (a {@link SignatureVerifier}) on worker threads, so
 * that the thread serving HTTP spends its time on requests, and signs query replies with the node
 * key. The checks asked for within one event-loop tick go out together, as one message per worker
 * carrying one transferred buffer, split across the workers with the least work outstanding; a
 * worker that already has {@link MAX_BATCHES_IN_FLIGHT} batches gets nothing more until it
 * answers. A tick of at most {@link CryptoWorkerPoolOptions.inThreadMaxBatch} checks while the
 * workers are idle runs on the calling thread instead, and so does signing (an Ed25519 signature
 * with node:crypto costs about what posting it to a worker and reading the answer costs): a
 * message then makes at most one worker round trip per request it takes part in, for its call.
 *
 * Unsupported key types are refused on the calling thread before anything is posted; verdicts and
 * errors are those of {@link verifySignature}. Idle workers hold no reference on the event loop. A
 * worker that dies fails the operations it held and is replaced.
 */
export class CryptoWorkerPool implements SignatureVerifier {
  /** Worker threads in the pool. */
  readonly size: number;
  /** Batches posted to workers, operations in them, and operations run on the calling thread. */
  readonly stats = { batches: 0, operations: 0, inThread: 0 };
  readonly #inThreadMaxBatch: number;
  readonly #signingKey: KeyObject | undefined;
  readonly #nice: number | undefined;
  readonly #workers: PoolWorker[] = [];
  /** Checks waiting to be posted. */
  #queue: Operation[] = [];
  #flushScheduled = false;
  #nextBatchId = 0;
  #closed = false;

  /** @throws RangeError when `size` is not a whole number */
  constructor(options: CryptoWorkerPoolOptions = {}) {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`the crypto pool size must be a whole number, got ${size}`);
    this.size = Math.max(1, size);
    this.#inThreadMaxBatch = options.inThreadMaxBatch ?? DEFAULT_IN_THREAD_MAX_BATCH;
    this.#nice = process.platform === 'linux' ? (options.nice ?? WORKER_NICE) : undefined;
    this.#signingKey = options.signingKeyPkcs8 && createPrivateKey({ key: Buffer.from(options.signingKeyPkcs8), format: 'der', type: 'pkcs8' });
    for (let i = 0; i < this.size; i++) this.#workers.push(this.#spawn());
  }

  /**
   * @returns one verdict per item, in order
   * @throws EnvelopeError when a key is of an unsupported type or does not parse
   */
  verify(items: readonly SignatureItem[]): Promise<boolean[]> {
    if (this.#closed) return Promise.reject(closedError());
    const verdicts = items.map(() => false);
    let types: KeyType[];
    try {
      types = items.map((item) => keyTypeOf(item.publicKeyDer));
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (items.length === 0) return Promise.resolve(verdicts);
    return new Promise((resolve, reject) => {
      const request: VerifyRequest = { verdicts, remaining: items.length, settled: false, resolve, reject };
      items.forEach((item, index) => this.#enqueue({ request, index, item, type: types[index] }));
    });
  }

  /**
   * @returns the 64-byte Ed25519 signature of `message` by the pool's signing key, made on the
   *   calling thread
   * @throws Error when the pool was made without a signing key
   */
  sign(message: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#signingKey === undefined) return Promise.reject(new Error('this crypto pool has no signing key'));
    const signature = sign(null, message, this.#signingKey);
    return Promise.resolve(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength));
  }

  /** Stops the workers; operations still waiting are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const err = closedError();
    for (const operation of this.#queue.splice(0)) fail(operation, err);
    const workers = this.#workers.splice(0);
    for (const entry of workers) failBatches(entry, err);
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }

  #enqueue(operation: Operation): void {
    this.#queue.push(operation);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // After the I/O callbacks of this loop iteration, so requests that arrived together share a batch.
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closed) return;
    const queue = this.#queue;
    if (queue.length > 0 && queue.length <= this.#inThreadMaxBatch && this.#workers.every((entry) => entry.inFlight === 0)) {
      for (const operation of queue.splice(0)) this.#runHere(operation);
      return;
    }
    // Whatever finds no worker with room waits here; the next answer flushes again.
    while (queue.length > 0) {
      const ready = this.#workers.filter((entry) => entry.batches.size < MAX_BATCHES_IN_FLIGHT).sort((a, b) => a.inFlight - b.inFlight);
      if (ready.length === 0) return;
      const share = Math.min(MAX_BATCH_OPERATIONS, Math.ceil(queue.length / ready.length));
      for (const entry of ready) {
        const batch = queue.splice(0, share);
        if (batch.length === 0) break;
        this.#post(entry, batch);
      }
    }
  }

  #runHere(operation: Operation): void {
    this.stats.inThread++;
    const { publicKeyDer, message, signature } = operation.item;
    let ok: boolean;
    try {
      ok = verifySignature(publicKeyDer, message, signature);
    } catch (err) {
      return fail(operation, err as Error);
    }
    settle(operation.request, operation.index, ok);
  }

  #post(entry: PoolWorker, operations: Operation[]): void {
    let bytes = 4 + operations.length * OP_HEADER_BYTES;
    for (const { item } of operations) bytes += item.publicKeyDer.length + item.message.length + item.signature.length;
    const buffer = new ArrayBuffer(bytes);
    const view = new DataView(buffer);
    const out = new Uint8Array(buffer);
    view.setUint32(0, operations.length);
    let at = 4 + operations.length * OP_HEADER_BYTES;
    operations.forEach(({ item }, i) => {
      const header = 4 + i * OP_HEADER_BYTES;
      [item.publicKeyDer, item.message, item.signature].forEach((part, p) => {
        view.setUint32(header + p * 4, part.length);
        out.set(part, at);
        at += part.length;
      });
    });
    const id = this.#nextBatchId++;
    this.stats.batches++;
    this.stats.operations += operations.length;
    entry.batches.set(id, operations);
    if (entry.inFlight === 0) entry.worker.ref();
    entry.inFlight += operations.length;
    entry.worker.postMessage({ id, buffer }, [buffer]);
  }

  #onReply(entry: PoolWorker, { id, verdicts, errors }: WorkerReply): void {
    const operations = entry.batches.get(id);
    if (operations === undefined) return;
    entry.batches.delete(id);
    entry.inFlight -= operations.length;
    if (entry.inFlight === 0) entry.worker.unref();
    if (!this.#flushScheduled) this.#flush();
    for (const { index, message } of errors) {
      const operation = operations[index];
      fail(operation, badPublicKey(operation.type, message));
    }
    operations.forEach((operation, i) => {
      if (verdicts[i] !== KEY_UNPARSABLE) settle(operation.request, operation.index, verdicts[i] === VALID);
    });
  }

  #spawn(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { keyCacheCapacity: KEY_CACHE_CAPACITY, nice: this.#nice },
    });
    worker.unref();
    const entry: PoolWorker = { worker, inFlight: 0, batches: new Map() };
    worker.on('message', (reply: WorkerReply) => this.#onReply(entry, reply));
    worker.on('error', (err) => this.#replace(entry, err));
    worker.on('exit', (code) => this.#replace(entry, new Error(`a crypto worker thread exited with code ${code}`)));
    return entry;
  }

  /** Fails what a dead worker held and starts another in its place. */
  #replace(entry: PoolWorker, err: Error): void {
    const at = this.#workers.indexOf(entry);
    if (at === -1) return;
    failBatches(entry, err);
    this.#workers[at] = this.#spawn();
    void entry.worker.terminate();
  }
}

function settle(request: VerifyRequest, index: number, ok: boolean): void {
  if (request.settled) return;
  request.verdicts[index] = ok;
  if (--request.remaining === 0) {
    request.settled = true;
    request.resolve(request.verdicts);
  }
}

function fail(operation: Operation, err: Error): void {
  const { request } = operation;
  if (request.settled) return;
  request.settled = true;
  request.reject(err);
}

function failBatches(entry: PoolWorker, err: Error): void {
  for (const operations of entry.batches.values()) for (const operation of operations) fail(operation, err);
  entry.batches.clear();
  entry.inFlight = 0;
}

function closedError(): Error {
  return new Error('the crypto worker pool is closed');
}
