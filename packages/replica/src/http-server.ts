import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Principal } from '@icp-sdk/core/principal';
import { ReplicaError } from './errors';
import { encodeCallReply, encodeQueryResponse } from './response-cbor';
import { encodeCbor } from './cbor';
import {
  EnvelopeError,
  EnvelopeValidator,
  MAX_ENVELOPE_BYTES,
  type CallContent,
  type QueryContent,
  type ReadStateContent,
  type RequestType,
  type ValidatedRequest,
} from './envelope';
import { routeRequest, type Route } from './http-routes';
import { asksOnlyForTime, selectionForPaths } from './read-state-paths';
import { LruCache } from './envelope/lru-cache';
import { QueryResponseSigner } from './query-response';
import type { Replica } from './replica';

const IMPL_VERSION = '0.1.0';
const IC_API_VERSION = '0.18.0';
/** Canister and subnet ids of URLs remembered in parsed form: parsing one checks its CRC in JavaScript. */
const PRINCIPAL_CACHE_CAPACITY = 1024;

/** Serves the IC HTTP interface of a {@link Replica}, at the endpoints of {@link routeRequest}. */
export class ReplicaHttpServer {
  readonly #server: Server;
  readonly #querySigner: QueryResponseSigner;
  readonly #validator: EnvelopeValidator;
  readonly #principals = new LruCache<string, Principal>(PRINCIPAL_CACHE_CAPACITY);

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
    const route = routeRequest(req.method, (req.url ?? '/').split('?')[0]);
    switch (route.kind) {
      case 'refused':
        req.resume();
        if (route.allow !== undefined) res.setHeader('allow', route.allow);
        return sendText(res, route.status, route.message);
      case 'status':
        return sendCbor(res, 200, {
          ic_api_version: IC_API_VERSION,
          impl_version: IMPL_VERSION,
          root_key: this.replica.rootKey.der,
          replica_health_status: 'healthy',
        });
      case 'call':
        return this.#call(route, req, res);
      case 'query':
        return this.#query(route.canisterText, req, res);
      case 'read_state':
        return this.#readState(route.canisterText, req, res);
      case 'subnet_read_state':
        return this.#subnetReadState(route.subnetText, req, res);
    }
  }

  /** Every version of the call endpoint: `async` answers 202 at once, `sync` once the call's round is certified. */
  async #call(route: Extract<Route, { kind: 'call' }>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const canisterId = this.#principal(route.canisterText, 'canister');
    const request = await this.#validated(req, 'call', canisterId);
    this.#assertHosted(canisterId);
    const content = request.content as CallContent;
    // The validator checked that content.canister_id is the canister of the URL.
    const certified = this.replica.submit({
      requestId: request.requestId,
      sender: request.sender,
      canisterId,
      methodName: content.method_name,
      arg: content.arg,
      ingressExpiryNs: content.ingress_expiry,
    });
    if (route.mode === 'async') {
      certified.catch(() => undefined);
      res.writeHead(202).end();
      return;
    }
    await certified;
    const certificate = await this.replica.certificateParts({ canisters: [], requestIds: [request.requestId], subnet: false });
    return sendBody(res, 200, encodeCallReply(certificate));
  }

  async #query(canisterText: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const canisterId = this.#principal(canisterText, 'canister');
    const request = await this.#validated(req, 'query', canisterId);
    this.#assertHosted(canisterId);
    const content = request.content as QueryContent;
    const outcome = await this.replica.query(canisterId, content.method_name, content.arg, request.sender);
    return sendBody(res, 200, encodeQueryResponse(await this.#querySigner.sign(outcome, request.requestId)));
  }

  /**
   * A read_state through a canister's URL. One for a canister not hosted here is answered when it
   * asks only for `time`, as the IC answers any effective canister id in its range: agents learn the
   * network's time that way from a well-known canister (the ICP ledger's id, by default).
   */
  async #readState(canisterText: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const canisterId = this.#principal(canisterText, 'canister');
    const request = await this.#validated(req, 'read_state', canisterId);
    const { paths } = request.content as ReadStateContent;
    if (asksOnlyForTime(paths) && !this.replica.hasCanister(canisterId)) {
      return sendCbor(res, 200, { certificate: await this.replica.timeCertificate(canisterId) });
    }
    this.#assertHosted(canisterId);
    const selection = selectionForPaths(paths, { canisterId }, request.sender, (id) => this.replica.requestSender(id));
    return sendCbor(res, 200, { certificate: await this.replica.certificate(selection) });
  }

  async #subnetReadState(subnetText: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const subnetId = this.#principal(subnetText, 'subnet');
    const request = await this.#validated(req, 'read_state', subnetId);
    const { subnetId: ownSubnetId } = this.replica;
    if (subnetId.compareTo(ownSubnetId) !== 'eq') {
      throw new EnvelopeError(400, 'ICWS_ERR_SUBNET_NOT_FOUND', `subnet ${subnetId.toText()} is not this replica's subnet; read the state of subnet ${ownSubnetId.toText()}`);
    }
    const selection = selectionForPaths((request.content as ReadStateContent).paths, { subnetId }, request.sender, (id) => this.replica.requestSender(id));
    return sendCbor(res, 200, { certificate: await this.replica.certificate(selection) });
  }

  /** Reads the body and checks the envelope against the endpoint: the one path of every request type. */
  async #validated(req: IncomingMessage, requestType: RequestType, effectiveId: Principal): Promise<ValidatedRequest> {
    const body = await readBody(req);
    return this.#validator.validate(body, { requestType, effectiveCanisterId: effectiveId }, BigInt(Date.now()) * 1_000_000n);
  }

  #assertHosted(canisterId: Principal): void {
    if (!this.replica.hasCanister(canisterId)) {
      throw new EnvelopeError(400, 'ICWS_ERR_CANISTER_NOT_FOUND', `canister ${canisterId.toText()} is not installed on this replica`);
    }
  }

  #principal(text: string, what: 'canister' | 'subnet'): Principal {
    let id = this.#principals.get(text);
    if (id === undefined) {
      try {
        id = Principal.fromText(decodeURIComponent(text));
      } catch {
        throw new EnvelopeError(400, 'ICWS_ERR_BAD_CANISTER_ID', `"${text}" in the URL is not a principal; put the textual ${what} id there`);
      }
      this.#principals.set(text, id);
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

/** Seconds an overloaded replica asks senders to wait: a round takes milliseconds, a queue of calls about a second. */
const OVERLOADED_RETRY_AFTER_S = '1';

/** The response header that carries the `ICWS_ERR_…` code of a refused request. */
export const ERROR_CODE_HEADER = 'x-icws-error-code';

function sendError(res: ServerResponse, err: unknown): void {
  // Refusals answer with their status and code. The body starts with the message because agents
  // read its start (an expired request's "Invalid request expiry: " makes them resync their clock).
  if (err instanceof ReplicaError && err.httpStatus !== undefined) {
    res.setHeader(ERROR_CODE_HEADER, err.code);
    if (err.code === 'ICWS_ERR_REPLICA_OVERLOADED') res.setHeader('retry-after', OVERLOADED_RETRY_AFTER_S);
    return sendText(res, err.httpStatus, `${err.message} (${err.code})`);
  }
  const message = err instanceof Error ? err.message : String(err);
  sendText(res, 500, `internal error: ${message}`);
}
