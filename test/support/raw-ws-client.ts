/**
 * A client that speaks the IC WebSocket protocol by hand — no client SDK — for gateway tests:
 * it signs envelopes with an @dfinity/identity key and checks every certified message it gets.
 */
import { Certificate, Expiry, lookup_path, LookupPathStatus, reconstruct, type HashTree, Cbor } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import type { Principal } from '@icp-sdk/core/principal';
import {
  decodeCanisterToClientMessage,
  decodeGatewayHandshake,
  decodeServiceMessage,
  decodeWebsocketMessage,
  encodeClientRequest,
  encodeWsMessageArgs,
  encodeWsOpenArgs,
  type CallEnvelope,
  type WebsocketMessage,
} from '@icws/protocol';
import { createHash } from 'node:crypto';
import WebSocket from 'ws';

export interface ReceivedMessage {
  key: string;
  message: WebsocketMessage;
  /** Decoded service message, for service messages. */
  service?: Record<string, unknown>;
}

/** Waits for the next event of `kind` on `socket`. */
function next<T>(socket: WebSocket, kind: 'message' | 'close' | 'open'): Promise<T> {
  return new Promise((resolve) => socket.once(kind, (...args: unknown[]) => resolve((kind === 'close' ? args : args[0]) as T)));
}

export class RawClient {
  readonly identity = Ed25519KeyIdentity.generate();
  readonly socket: WebSocket;
  gatewayPrincipal: Principal | undefined;
  readonly nonce = BigInt(Math.floor(Math.random() * 2 ** 40));
  #sequence = 0n;
  #inbox: Buffer[] = [];
  #waiters: Array<(frame: Buffer) => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(
    url: URL | string,
    readonly canisterId: Principal,
    private readonly rootKey: Uint8Array,
    socketOptions: WebSocket.ClientOptions = {},
  ) {
    this.socket = new WebSocket(url, socketOptions);
    this.socket.on('message', (data: Buffer) => {
      const waiter = this.#waiters.shift();
      if (waiter) waiter(data);
      else this.#inbox.push(data);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
    this.socket.on('error', () => undefined);
  }

  get principal(): Principal {
    return this.identity.getPrincipal();
  }

  /** The next binary frame from the gateway. */
  frame(timeoutMs = 15_000): Promise<Buffer> {
    const queued = this.#inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  async handshake(): Promise<Principal> {
    if (this.socket.readyState !== WebSocket.OPEN) await next(this.socket, 'open');
    this.gatewayPrincipal = decodeGatewayHandshake(await this.frame()).gateway_principal;
    return this.gatewayPrincipal;
  }

  /** A signed `call` envelope frame as the client SDKs send it. */
  async callFrame(methodName: string, arg: Uint8Array, canisterId: Principal = this.canisterId): Promise<Uint8Array> {
    const content = {
      request_type: 'call' as const,
      canister_id: canisterId,
      method_name: methodName,
      arg,
      sender: this.principal,
      ingress_expiry: Expiry.fromDeltaInMilliseconds(4 * 60_000),
      nonce: crypto.getRandomValues(new Uint8Array(16)),
    };
    const signed = (await this.identity.transformRequest({ request: {}, endpoint: 'call', body: content } as never)) as { body: { content: Record<string, unknown> } };
    const envelope = signed.body as unknown as CallEnvelope;
    (envelope.content as unknown as Record<string, unknown>).ingress_expiry = content.ingress_expiry.toBigInt();
    return encodeClientRequest({ envelope });
  }

  /** The frame of a signed ws_open naming `gatewayPrincipal`. */
  openFrame(gatewayPrincipal: Principal = this.gatewayPrincipal!): Promise<Uint8Array> {
    return this.callFrame('ws_open', encodeWsOpenArgs({ client_nonce: this.nonce, gateway_principal: gatewayPrincipal }));
  }

  async open(gatewayPrincipal?: Principal): Promise<void> {
    this.socket.send(await this.openFrame(gatewayPrincipal));
  }

  /** Sends an application message (Candid bytes of the app type) with the next sequence number. */
  async sendApp(content: Uint8Array): Promise<void> {
    this.#sequence++;
    const msg: WebsocketMessage = {
      client_key: { client_principal: this.principal, client_nonce: this.nonce },
      sequence_num: this.#sequence,
      timestamp: BigInt(Date.now()) * 1_000_000n,
      is_service_message: false,
      content,
    };
    this.socket.send(await this.callFrame('ws_message', encodeWsMessageArgs({ msg })));
  }

  /** Receives the next relayed message and verifies it is certified by the canister. */
  async receive(timeoutMs?: number): Promise<ReceivedMessage> {
    const frame = decodeCanisterToClientMessage(await this.frame(timeoutMs));
    await verifyCertified(frame, this.canisterId, this.rootKey);
    const message = decodeWebsocketMessage(frame.content);
    const service = message.is_service_message ? (decodeServiceMessage(message.content) as unknown as Record<string, unknown>) : undefined;
    return { key: frame.key, message, service };
  }
}

/** Checks the certificate, that the tree is what it certifies, and that the tree holds sha256(content) at the key. */
export async function verifyCertified(frame: { key: string; content: Uint8Array; cert: Uint8Array; tree: Uint8Array }, canisterId: Principal, rootKey: Uint8Array): Promise<void> {
  const certificate = await Certificate.create({ certificate: frame.cert, rootKey, principal: { canisterId } });
  const certified = certificate.lookup_path(['canister', canisterId.toUint8Array(), 'certified_data']);
  if (certified.status !== LookupPathStatus.Found) throw new Error('certificate has no certified_data');
  const tree = Cbor.decode<HashTree>(frame.tree);
  if (Buffer.compare(Buffer.from(await reconstruct(tree)), Buffer.from(certified.value as Uint8Array)) !== 0) throw new Error('tree does not match certified_data');
  const leaf = lookup_path(['websocket', frame.key], tree);
  if (leaf.status !== LookupPathStatus.Found) throw new Error(`tree has no websocket/${frame.key}`);
  const digest = createHash('sha256').update(frame.content).digest();
  if (Buffer.compare(digest, Buffer.from(leaf.value as Uint8Array)) !== 0) throw new Error('content hash does not match the tree');
}

export { IDL };
