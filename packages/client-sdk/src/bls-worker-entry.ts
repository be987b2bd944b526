/**
 * The Web Worker that verifies BLS signatures for the SDK in browsers (see `bls-mcl.ts`). The
 * browser builds emit it as a file of its own beside the SDK, which loads it when the first socket
 * is made; mcl-wasm is in this file, not in the SDK's.
 */
import * as mclModule from 'mcl-wasm';
import { serveBlsRequests, startMclBls, type BlsReply, type BlsRequest, type MclWasm } from './bls-mcl';

interface WorkerScope {
  postMessage(reply: BlsReply): void;
  addEventListener(type: 'message', listener: (event: { data: BlsRequest }) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
// the bundled CommonJS module's live exports (`mod` is set by init) are on `default`
const mcl = ((mclModule as { default?: unknown }).default ?? mclModule) as MclWasm;
serveBlsRequests(
  { post: (reply) => scope.postMessage(reply), listen: (onRequest) => scope.addEventListener('message', (event) => onRequest(event.data)) },
  startMclBls(mcl),
);
