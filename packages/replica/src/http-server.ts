import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Principal } from '@icp-sdk/core/principal';
import { ReplicaError } from './errors';
import { encodeCallReply, encodeQueryResponse } from './response-cbor';
import { encodeCbor } from './cbor';
import { EnvelopeError, EnvelopeValidator, MAX_ENVELOPE_BYTES, type RequestType } from './envelope';
import { selectionForPaths } from './read-state-paths';
import { LruCache } from './envelope/lru-cache';
import { QueryResponseSigner } from './query-response';
import type { Replica } from './replica';

// v2 and v3 (the 3.x agents), v3 and v4 (@icp-sdk/core's agent); v3 and v4 calls answer synchronously.
const API_ROUTE = /^\/api\/(v2|v3|v4)\/canister\/([^/]+)\/(call|query|read_state)$/;
const IMPL_VERSION = '0.1.0';
/** Canister ids of URLs remembered in parsed form: parsing one checks its CRC in JavaScript. */
const CANISTER_ID_CACHE_CAPACITY = 1024;

/** Serves the IC HTTP interface of a {@link Replica}. */
export class ReplicaHttpServer {
  readonly #server: Server;
  readonly #querySigner: QueryResponseSigner;
  readonly #validator: EnvelopeValidator;
  readonly #canisterIds = new LruCache<string, Principal>(CANISTER_ID_CACHE_CAPACITY);

  constructor(private readonly replica: Replica) {
    this.#validator = new EnvelopeValidator(replica.verifier);
    this.#querySigner = new QueryResponseSigner(replica.nodeKey.nodeId, (message) => replica.signWithNodeKey(message));
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => sendError(res, err));
    });
    this.#server.keepAliveTimeout = 30_000;
  }

  /** @returns the URL the server listens on. */
  async listen(port: number, host = '127.0.0.1'): Promise<URL> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new URL(`http://${shownHost}:${address.port}`);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/v2/status') {
      if (req.method !== 'GET') return sendText(res, 405, 'use GET for /api/v2/status');
      return sendCbor(res, 200, {
        ic_api_version: '0.18.0',
        impl_version: IMPL_VERSION,
        root_key: this.replica.rootKey.der,
        replica_health_status: 'healthy',
      });
    }
    const route = API_ROUTE.exec(path);
    if (route === null) return sendText(res, 404, `no such endpoint: ${req.method} ${path}`);
    const [, version, canisterText, endpoint] = route;
    if (req.method !== 'POST') return sendText(res, 405, `use POST for ${path}`);
    if (version === 'v4' && endpoint !== 'call') return sendText(res, 404, `no such endpoint: ${path}; use /api/v3/canister/<id>/${endpoint}`);
    const effectiveCanisterId = this.#canisterId(canisterText);
    const body = await readBody(req);
    const requestType: RequestType = endpoint === 'call' ? 'call' : endpoint === 'query' ? 'query' : 'read_state';
    const request = await this.#validator.validate(body, { requestType, effectiveCanisterId }, BigInt(Date.now()) * 1_000_000n);
    if (!this.replica.hasCanister(effectiveCanisterId)) {
      throw new EnvelopeError(400, 'ICWS_ERR_CANISTER_NOT_FOUND', `canister ${effectiveCanisterId.toText()} is not installed on this replica`);
    }
    const { content } = request;

    if (content.request_type === 'read_state') {
      const selection = selectionForPaths(content.paths, effectiveCanisterId, request.sender, (id) => this.replica.requestSender(id));
      return sendCbor(res, 200, { certificate: await this.replica.certificate(selection) });
    }
    // validateEnvelope checked that content.canister_id is the canister of the URL.
    const canisterId = effectiveCanisterId;
    if (content.request_type === 'query') {
      const outcome = await this.replica.query(canisterId, content.method_name, content.arg, request.sender);
      return sendBody(res, 200, encodeQueryResponse(await this.#querySigner.sign(outcome, request.requestId)));
    }
    const certified = this.replica.submit({
      requestId: request.requestId,
      sender: request.sender,
      canisterId,
      methodName: content.method_name,
      arg: content.arg,
      ingressExpiryNs: content.ingress_expiry,
    });
    if (version === 'v2') {
      certified.catch(() => undefined);
      res.writeHead(202).end();
      return;
    }
    await certified;
    const certificate = await this.replica.certificate({ canisters: [], requestIds: [request.requestId], subnet: false });
    return sendBody(res, 200, encodeCallReply(certificate));
  }

  #canisterId(text: string): Principal {
    let id = this.#canisterIds.get(text);
    if (id === undefined) {
      try {
        id = Principal.fromText(decodeURIComponent(text));
      } catch {
        throw new EnvelopeError(400, 'ICWS_ERR_BAD_CANISTER_ID', `"${text}" in the URL is not a principal`);
      }
      this.#canisterIds.set(text, id);
    }
    return id;
  }
}

/** Reads the body with plain events: an async iterator per request cost more than the reading. */
function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_ENVELOPE_BYTES) {
    req.resume();
    return Promise.reject(new EnvelopeError(413, 'ICWS_ERR_TOO_LARGE', `request body of ${declared} bytes exceeds the limit of ${MAX_ENVELOPE_BYTES} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_ENVELOPE_BYTES) {
        req.off('data', onData);
        req.resume();
        reject(new EnvelopeError(413, 'ICWS_ERR_TOO_LARGE', `request body exceeds the limit of ${MAX_ENVELOPE_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('the request was aborted before its body was complete'));
    });
  });
}

function sendCbor(res: ServerResponse, status: number, value: unknown): void {
  sendBody(res, status, encodeCbor(value));
}

/** Sends a CBOR body already encoded. */
function sendBody(res: ServerResponse, status: number, body: Uint8Array): void {
  res.writeHead(status, { 'content-type': 'application/cbor', 'content-length': body.length });
  res.end(body);
}

function sendText(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message);
}

/** The response header that carries the `ICWS_ERR_…` code of a refused request. */
export const ERROR_CODE_HEADER = 'x-icws-error-code';

function sendError(res: ServerResponse, err: unknown): void {
  // Refusals answer with their status and code. The body starts with the message because agents
  // read its start (an expired request's "Invalid request expiry: " makes them resync their clock).
  if (err instanceof ReplicaError && err.httpStatus !== undefined) {
    res.setHeader(ERROR_CODE_HEADER, err.code);
    return sendText(res, err.httpStatus, `${err.message} (${err.code})`);
  }
  const message = err instanceof Error ? err.message : String(err);
  sendText(res, 500, `internal error: ${message}`);
}
