/**
 * The binary WebSocket frames between client and gateway, all CBOR maps:
 *
 * ```
 *  client                                   gateway                              canister
 *    | ---------- WebSocket open ------------> |
 *    | <--- GatewayHandshakeMessage ---------- |  55799({gateway_principal: h'..'})
 *    | ---- ClientRequest (ws_open call) ----> | -- relays envelope to /call -------> |
 *    | <--- CanisterToClientMessage ---------- | <-- polls ws_get_messages (query) -- |
 *    | ---- ClientRequest (ws_message) ------> | -- relays -------------------------> |
 * ```
 *
 * - `GatewayHandshakeMessage`: first frame of the gateway, self-describe tagged; the client
 *   needs the gateway principal for `ws_open`.
 * - `ClientRequest`: `{ envelope: <signed call envelope> }`, self-describe tagged (as
 *   `@dfinity/agent`'s CBOR encoder writes it). The first one calls `ws_open`.
 * - `CanisterToClientMessage`: `{ key, content, cert, tree }` (text, then three byte strings),
 *   written WITHOUT the self-describe tag, as the upstream gateway writes it (`serde_cbor::to_vec`).
 *
 * Decoders accept each frame with or without the tag and ignore unknown keys.
 */
import type { Principal } from '@icp-sdk/core/principal';
import { decodeCborRecord, encodeCbor, read } from './cbor';
import { SELF_DESCRIBE_TAG } from './cbor-head';
import { callEnvelopeToCbor, encodeCallEnvelope, readCallEnvelope } from './envelope';
import type { CallEnvelope } from './envelope-types';
import { ProtocolError, ProtocolErrorCode } from './errors';

/** First frame the gateway sends on a new socket. */
export interface GatewayHandshakeMessage {
  /** The principal the gateway polls with; the client passes it to `ws_open`. */
  gateway_principal: Principal;
}

/** A canister message the gateway relays to its client, with what proves it. */
export interface CanisterToClientMessage {
  /** The message key (`<gateway>_<nonce>`): its path under `websocket` in `tree`. */
  key: string;
  /** CBOR of the `WebsocketMessage` (see `decodeWebsocketMessage`). */
  content: Uint8Array;
  /** The replica's certificate of the poll the message came with. */
  cert: Uint8Array;
  /** Hash tree witnessing `sha256(content)` at `websocket/<key>`. */
  tree: Uint8Array;
}

/** A client's frame: a signed call for the gateway to relay. */
export interface ClientRequest {
  envelope: CallEnvelope;
}

/** A decoded {@link ClientRequest}, with the envelope ready to relay. */
export interface DecodedClientRequest extends ClientRequest {
  /**
   * The envelope as the body of a `call` HTTP request (self-describe tagged CBOR). When the frame
   * has the usual `{ "envelope": … }` layout these are the client's own envelope bytes, so fields
   * the decoder does not know survive the relay; otherwise the envelope re-encoded.
   */
  envelopeCbor: Uint8Array<ArrayBuffer>;
}

const HANDSHAKE = 'GatewayHandshakeMessage';
const RELAYED = 'CanisterToClientMessage';
const REQUEST = 'ClientRequest';

/** @returns the gateway's handshake frame. */
export function encodeGatewayHandshake(message: GatewayHandshakeMessage): Uint8Array<ArrayBuffer> {
  const principal = message.gateway_principal;
  if (typeof principal?.toUint8Array !== 'function') {
    throw new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `${HANDSHAKE}: gateway_principal must be a Principal`, {
      field: 'gateway_principal',
    });
  }
  return encodeCbor({ gateway_principal: principal.toUint8Array() }, true);
}

/**
 * @returns the handshake in `bytes`.
 * @throws {ProtocolError} `ICWS_ERR_BAD_MESSAGE` if `gateway_principal` is missing or not bytes
 */
export function decodeGatewayHandshake(bytes: Uint8Array): GatewayHandshakeMessage {
  const map = decodeCborRecord(bytes, HANDSHAKE);
  return { gateway_principal: read.principal(map.gateway_principal, HANDSHAKE, 'gateway_principal') };
}

/** @returns the frame relaying `message` to a client, byte-for-byte as the upstream gateway writes it. */
export function encodeCanisterToClientMessage(message: CanisterToClientMessage): Uint8Array<ArrayBuffer> {
  for (const field of ['content', 'cert', 'tree'] as const) {
    if (!(message[field] instanceof Uint8Array)) {
      throw new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `${RELAYED}: ${field} must be a Uint8Array`, { field });
    }
  }
  if (typeof message.key !== 'string') {
    throw new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `${RELAYED}: key must be a string`, { field: 'key' });
  }
  const { key, content, cert, tree } = message;
  return encodeCbor({ key, content, cert, tree }, false);
}

/**
 * @returns the relayed message in `bytes`; byte fields are views into `bytes`.
 * @throws {ProtocolError} `ICWS_ERR_BAD_MESSAGE` naming the bad field
 */
export function decodeCanisterToClientMessage(bytes: Uint8Array): CanisterToClientMessage {
  const map = decodeCborRecord(bytes, RELAYED);
  return {
    key: read.text(map.key, RELAYED, 'key'),
    content: read.bytes(map.content, RELAYED, 'content'),
    cert: read.bytes(map.cert, RELAYED, 'cert'),
    tree: read.bytes(map.tree, RELAYED, 'tree'),
  };
}

/** @returns a client's frame carrying `request.envelope`, self-describe tagged. */
export function encodeClientRequest(request: ClientRequest): Uint8Array<ArrayBuffer> {
  return encodeCbor({ envelope: callEnvelopeToCbor(request.envelope) }, true);
}

/**
 * @returns the client's request in `bytes`, with the envelope bytes to relay.
 * @throws {ProtocolError} `ICWS_ERR_BAD_MESSAGE` naming the bad field; envelopes of requests
 *   other than `call` are refused
 */
export function decodeClientRequest(bytes: Uint8Array): DecodedClientRequest {
  const map = decodeCborRecord(bytes, REQUEST);
  const envelope = readCallEnvelope(map.envelope, REQUEST, 'envelope');
  const start = envelopeOffset(bytes);
  let envelopeCbor: Uint8Array<ArrayBuffer>;
  if (start === undefined) {
    envelopeCbor = encodeCallEnvelope(envelope);
  } else {
    envelopeCbor = new Uint8Array(SELF_DESCRIBE_TAG.length + bytes.length - start);
    envelopeCbor.set(SELF_DESCRIBE_TAG);
    envelopeCbor.set(bytes.subarray(start), SELF_DESCRIBE_TAG.length);
  }
  return { envelope, envelopeCbor };
}

// `a1 68 "envelope"`: a map of one entry whose key is the 8-byte text "envelope".
const ENVELOPE_HEAD = Uint8Array.of(0xa1, 0x68, 0x65, 0x6e, 0x76, 0x65, 0x6c, 0x6f, 0x70, 0x65);

/**
 * @returns where the envelope item starts in a frame laid out as `[55799] {"envelope": item}`,
 *   or `undefined` for any other layout. The frame has already decoded as one map, so the item
 *   runs to the end of the frame.
 */
function envelopeOffset(bytes: Uint8Array): number | undefined {
  let at = 0;
  if (startsWith(bytes, SELF_DESCRIBE_TAG, 0)) at = SELF_DESCRIBE_TAG.length;
  return startsWith(bytes, ENVELOPE_HEAD, at) ? at + ENVELOPE_HEAD.length : undefined;
}

function startsWith(bytes: Uint8Array, prefix: Readonly<Uint8Array>, at: number): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}
