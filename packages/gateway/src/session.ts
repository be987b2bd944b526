import { IDL } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';
import {
  CanisterWsOpenResultIdl,
  decodeCandid,
  decodeClientRequest,
  decodeWsOpenArgs,
  encodeCanisterToClientMessage,
  encodeGatewayHandshake,
  ProtocolError,
  requestIdOf,
  WS_OPEN_METHOD,
  type CanisterOutputMessage,
  type CanisterWsOpenResult,
  type ClientKey,
  type DecodedClientRequest,
} from '@icws/protocol';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import { CloseCode, closeReason } from './close-codes';
import { GatewayError } from './errors';
import type { IcClient, RelayOutcome } from './ic-client';
import type { GatewayMetrics } from './metrics';

/** What a session needs from the gateway around it. */
export interface SessionHost {
  readonly gatewayPrincipal: Principal;
  readonly ic: Pick<IcClient, 'relayCall' | 'wsClose'>;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  readonly maxClientBufferBytes: number;
  readonly maxFrameBytes: number;
  /** Routes the canister's messages for `clientKey` to `session`; false when the key is taken. */
  bind(session: ClientSession, canisterId: Principal, clientKey: ClientKey): boolean;
  unbind(session: ClientSession): void;
  pollSoon(canisterId: Principal): void;
  /** Keeps track of work that a drain must wait for. */
  track(work: Promise<unknown>): void;
}

/**
 * One client connection.
 *
 *   awaiting_open ──ws_open relayed──▶ opening ──canister's first message──▶ open
 *         │                               │                                    │
 *         └──────── bad frame, socket closed, refusal, shutdown ───────────────┴──▶ closed
 *
 * Frames a client sends while `opening` wait and are relayed once open. Calls of one client are
 * relayed one at a time, in order, so the canister sees them in sequence.
 */
export type SessionState = 'awaiting_open' | 'opening' | 'open' | 'closed';

const MAX_FRAMES_WHILE_OPENING = 32;
const RELAY_RETRY_WINDOW_MS = 30_000;

export class ClientSession {
  #state: SessionState = 'awaiting_open';
  #canisterId: Principal | undefined;
  #clientKey: ClientKey | undefined;
  #waitingFrames: DecodedClientRequest[] = [];
  #relayChain: Promise<void> = Promise.resolve();
  /** Nonce of the last message delivered; a poller that re-reads its queue repeats older ones. */
  #lastNonce = -1n;

  constructor(
    private readonly socket: WebSocket,
    private readonly host: SessionHost,
    readonly id: number,
  ) {
    socket.on('message', (data, isBinary) => this.#onFrame(data as Buffer, isBinary));
    socket.on('close', () => this.#teardown(CloseCode.Normal, 'client closed', false));
    socket.on('error', (err) => host.log.debug({ session: id, err: err.message }, 'socket error'));
    socket.send(encodeGatewayHandshake({ gateway_principal: host.gatewayPrincipal }));
  }

  get state(): SessionState {
    return this.#state;
  }

  get canisterId(): Principal | undefined {
    return this.#canisterId;
  }

  get clientKey(): ClientKey | undefined {
    return this.#clientKey;
  }

  /** Sends a certified canister message to the client. */
  deliver(message: CanisterOutputMessage, nonce: bigint, cert: Uint8Array, tree: Uint8Array): void {
    if (this.#state === 'closed' || nonce <= this.#lastNonce) return;
    this.#lastNonce = nonce;
    if (this.socket.bufferedAmount > this.host.maxClientBufferBytes) {
      this.host.metrics.errors.inc({ kind: 'slow_client' });
      this.close(CloseCode.TryAgainLater, `client too slow: more than ${this.host.maxClientBufferBytes} bytes waiting to be sent`);
      return;
    }
    this.socket.send(encodeCanisterToClientMessage({ key: message.key, content: message.content, cert, tree }));
    this.host.metrics.messagesRelayed.inc({ direction: 'canister_to_client' });
    if (this.#state === 'opening') {
      this.#state = 'open';
      for (const frame of this.#waitingFrames.splice(0)) this.#relay(frame);
    }
  }

  /** Closes the connection from the gateway's side. */
  close(code: CloseCode, reason: string): void {
    this.#teardown(code, reason, true);
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    if (!isBinary) return this.close(CloseCode.UnsupportedData, 'text frames are not supported; send CBOR client requests in binary frames');
    if (data.length > this.host.maxFrameBytes) {
      return this.close(CloseCode.TooBig, `frame of ${data.length} bytes exceeds the limit of ${this.host.maxFrameBytes} bytes`);
    }
    let request: DecodedClientRequest;
    try {
      request = decodeClientRequest(data);
    } catch (err) {
      return this.close(CloseCode.InvalidPayload, `not a client request: ${err instanceof ProtocolError ? err.message : String(err)}`);
    }
    if (this.#state === 'awaiting_open') return this.#open(request);
    if (request.envelope.content.canister_id.compareTo(this.#canisterId!) !== 'eq') {
      return this.close(CloseCode.PolicyViolation, `this session is bound to canister ${this.#canisterId!.toText()}; got a call to ${request.envelope.content.canister_id.toText()}`);
    }
    if (this.#state === 'opening') {
      if (this.#waitingFrames.length >= MAX_FRAMES_WHILE_OPENING) {
        return this.close(CloseCode.PolicyViolation, 'too many frames before the connection opened; wait for the open message');
      }
      this.#waitingFrames.push(request);
      return;
    }
    this.#relay(request);
  }

  #open(request: DecodedClientRequest): void {
    const { content } = request.envelope;
    if (content.method_name !== WS_OPEN_METHOD) {
      return this.close(CloseCode.PolicyViolation, `the first frame must be a ws_open call, got a call to ${content.method_name}`);
    }
    let clientNonce: bigint;
    try {
      const args = decodeWsOpenArgs(content.arg);
      if (args.gateway_principal.compareTo(this.host.gatewayPrincipal) !== 'eq') {
        return this.close(CloseCode.PolicyViolation, `ws_open names gateway ${args.gateway_principal.toText()}, but this is ${this.host.gatewayPrincipal.toText()}`);
      }
      clientNonce = args.client_nonce;
    } catch (err) {
      return this.close(CloseCode.InvalidPayload, `ws_open argument: ${(err as Error).message}`);
    }
    const clientKey: ClientKey = { client_principal: content.sender, client_nonce: clientNonce };
    if (!this.host.bind(this, content.canister_id, clientKey)) {
      return this.close(CloseCode.PolicyViolation, `client key ${content.sender.toText()}:${clientNonce} is already connected to this gateway`);
    }
    this.#canisterId = content.canister_id;
    this.#clientKey = clientKey;
    this.#state = 'opening';
    this.#relay(request, (outcome) => {
      const refusal = openRefusal(outcome);
      if (refusal !== undefined) this.close(CloseCode.PolicyViolation, refusal);
    });
  }

  /** Relays one call after the previous one of this client has been answered. */
  #relay(request: DecodedClientRequest, onOutcome?: (outcome: RelayOutcome) => void): void {
    const canisterId = this.#canisterId!;
    const work = this.#relayChain.then(async () => {
      if (this.#state === 'closed') return;
      try {
        const outcome = await this.#relayWithRetries(canisterId, request, onOutcome !== undefined);
        this.host.metrics.messagesRelayed.inc({ direction: 'client_to_canister' });
        if (outcome.status !== 'accepted') this.host.pollSoon(canisterId);
        onOutcome?.(outcome);
      } catch (err) {
        const refused = err instanceof GatewayError && err.hasCode('ICWS_ERR_ENVELOPE_REFUSED');
        this.host.metrics.errors.inc({ kind: refused ? 'envelope_refused' : 'replica_unavailable' });
        this.close(CloseCode.InternalError, refused ? `the replica refused the envelope: ${(err as Error).message}` : `could not relay to the canister: ${(err as Error).message}`);
      }
    });
    this.#relayChain = work;
    this.host.track(work);
  }

  /**
   * The replica may be restarting: keep trying within the envelope's validity.
   * @param readOutcome - whether to read the call's reply or reject (it costs a request id and a
   *   tree lookup, so it is done only where the session acts on it)
   */
  async #relayWithRetries(canisterId: Principal, request: DecodedClientRequest, readOutcome: boolean): Promise<RelayOutcome> {
    const content = request.envelope.content;
    const requestId = readOutcome ? requestIdOf(content) : undefined;
    const deadline = Math.min(Date.now() + RELAY_RETRY_WINDOW_MS, Number(content.ingress_expiry / 1_000_000n));
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.host.ic.relayCall(canisterId, request.envelopeCbor, requestId);
      } catch (err) {
        const retriable = err instanceof GatewayError && err.hasCode('ICWS_ERR_REPLICA_UNAVAILABLE');
        if (!retriable || Date.now() > deadline || this.#state === 'closed') throw err;
        this.host.log.warn({ session: this.id, err: (err as Error).message }, 'replica unavailable; retrying the relay');
        await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 200 * 2 ** attempt)));
      }
    }
  }

  /** The one way a session ends. */
  #teardown(code: CloseCode, reason: string, byGateway: boolean): void {
    if (this.#state === 'closed') return;
    const wasBound = this.#clientKey !== undefined;
    this.#state = 'closed';
    this.#waitingFrames = [];
    if (byGateway) {
      this.host.log.info({ session: this.id, code, reason }, 'closing client session');
      this.socket.close(code, closeReason(reason));
      const socket = this.socket;
      setTimeout(() => socket.terminate(), 2_000).unref();
    }
    if (!wasBound) return;
    this.host.unbind(this);
    const canisterId = this.#canisterId!;
    const clientKey = this.#clientKey!;
    const closing = this.#relayChain.then(() => this.host.ic.wsClose(canisterId, clientKey)).catch((err: unknown) => {
      this.host.metrics.errors.inc({ kind: 'ws_close' });
      this.host.log.warn({ session: this.id, err: (err as Error).message }, 'ws_close failed');
    });
    this.host.track(closing);
  }
}

/** @returns why the canister refused `ws_open`, or undefined if it accepted. */
function openRefusal(outcome: RelayOutcome): string | undefined {
  if (outcome.status === 'rejected') return `the canister rejected ws_open: ${outcome.message}`;
  if (outcome.status !== 'replied') return undefined;
  try {
    const [result] = decodeCandid([CanisterWsOpenResultIdl as IDL.Type], outcome.reply, 'ws_open result') as [CanisterWsOpenResult];
    return 'Err' in result ? `the canister refused ws_open: ${result.Err}` : undefined;
  } catch {
    return 'the canister answered ws_open with something other than CanisterWsOpenResult';
  }
}
