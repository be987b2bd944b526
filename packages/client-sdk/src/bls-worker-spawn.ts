/**
 * Starts the worker of `bls-worker-verifier.ts`: a worker thread in Node, a Web Worker in browsers.
 * The Node worker runs the verifier's own source text (`bls-mcl.ts`), with mcl-wasm required from
 * where this package resolves it, so it runs the same from the sources and from each build.
 */
import { serveBlsRequests, startMclBls, type BlsReply, type BlsRequest } from './bls-mcl';
import { nodeRequire, startWebWorker } from './build-locations';

/** A started verifier worker, whichever the platform's kind. */
export interface BlsWorkerHandle {
  post(request: BlsRequest): void;
  /** Registers the handlers of the worker's replies and of its failure (a load error, a crash, an exit). */
  listen(onReply: (reply: BlsReply) => void, onFailure: (err: Error) => void): void;
  /** Whether the worker keeps a Node process alive: only while checks are pending. No-op in browsers. */
  keepAlive(on: boolean): void;
  terminate(): void;
}

/** Starts a verifier worker; `undefined` where the platform has none. @throws when it cannot be started */
export type BlsWorkerSpawner = () => BlsWorkerHandle | undefined;

/** The platform's spawner: see the module comment. */
export const spawnBlsWorker: BlsWorkerSpawner = () => {
  const require = nodeRequire();
  if (require !== undefined) return spawnNodeWorker(require);
  const worker = startWebWorker();
  return worker === undefined ? undefined : webWorkerHandle(worker);
};

function spawnNodeWorker(require: NodeJS.Require): BlsWorkerHandle {
  const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
  const source = `
    const { parentPort, threadId } = require('node:worker_threads');
    const mcl = require(${JSON.stringify(require.resolve('mcl-wasm'))});
    (${serveBlsRequests.toString()})(
      { post: (reply) => parentPort.postMessage(reply), listen: (onRequest) => parentPort.on('message', onRequest), threadId },
      (${startMclBls.toString()})(mcl),
    );`;
  const worker = new Worker(source, { eval: true });
  worker.unref();
  return {
    post: (request) => worker.postMessage(request),
    listen(onReply, onFailure) {
      worker.on('message', onReply);
      worker.on('error', onFailure);
      worker.on('messageerror', onFailure);
      worker.on('exit', (code) => onFailure(new Error(`the verifier's worker thread exited with code ${code}`)));
    },
    keepAlive: (on) => (on ? worker.ref() : worker.unref()),
    terminate: () => void worker.terminate(),
  };
}

function webWorkerHandle(worker: Worker): BlsWorkerHandle {
  return {
    post: (request) => worker.postMessage(request),
    listen(onReply, onFailure) {
      worker.addEventListener('message', (event) => onReply(event.data as BlsReply));
      worker.addEventListener('error', (event) => {
        event.preventDefault(); // handled: the checks go to the next verifier
        onFailure(new Error(`the verifier's Web Worker failed: ${event.message || 'it could not be loaded'}`));
      });
      worker.addEventListener('messageerror', () => onFailure(new Error("the verifier's Web Worker could not read a message")));
    },
    keepAlive: () => undefined,
    terminate: () => worker.terminate(),
  };
}
