/**
 * The CBOR form of a canister-to-client `WebsocketMessage`: the bytes a canister puts in
 * `CanisterOutputMessage.content`, certifies (their SHA-256 sits in its cert tree) and a client
 * decodes after checking the certificate.
 *
 * Layout, as the upstream Rust CDK writes it with serde_cbor (self-describe, structs as maps in
 * field order, principal as a byte string, `content` as a byte string, integers minimal):
 *
 * ```
 * d9 d9 f7                      tag 55799 (self-describe)
 * a5                            map of 5 entries, in this order:
 *   6a "client_key"               a2  map of 2 entries:
 *     70 "client_principal"         58 1d <29 bytes>   byte string (a principal has at most 29)
 *     6c "client_nonce"             <u64>
 *   6c "sequence_num"             <u64>
 *   69 "timestamp"                <u64>              nanoseconds since the epoch
 *   72 "is_service_message"       f4 | f5            false | true
 *   67 "content"                  <byte string>      Candid
 * ```
 * where `<u64>` is an unsigned integer in its shortest form (`00`–`17`, `18 xx`, `19 xxxx`,
 * `1a xxxxxxxx`, `1b xxxxxxxxxxxxxxxx`).
 */
import type { WebsocketMessage } from './candid';
import { decodeCborRecord, encodeCbor, read, u64ToCbor } from './cbor';
import { ProtocolError, ProtocolErrorCode } from './errors';

const WHAT = 'WebsocketMessage';

/**
 * @returns the CBOR bytes of `message`, byte-for-byte what the upstream Rust CDK produces for it.
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` when a field is out of range or mistyped
 */
export function encodeWebsocketMessage(message: WebsocketMessage): Uint8Array<ArrayBuffer> {
  const { client_key: clientKey } = message;
  if (!(message.content instanceof Uint8Array)) {
    throw invalid('content', 'must be a Uint8Array');
  }
  if (typeof message.is_service_message !== 'boolean') {
    throw invalid('is_service_message', 'must be a boolean');
  }
  if (typeof clientKey?.client_principal?.toUint8Array !== 'function') {
    throw invalid('client_key.client_principal', 'must be a Principal');
  }
  // Key order is the wire order: serde writes struct fields in declaration order.
  return encodeCbor(
    {
      client_key: {
        client_principal: clientKey.client_principal.toUint8Array(),
        client_nonce: u64ToCbor(clientKey.client_nonce, 'client_key.client_nonce'),
      },
      sequence_num: u64ToCbor(message.sequence_num, 'sequence_num'),
      timestamp: u64ToCbor(message.timestamp, 'timestamp'),
      is_service_message: message.is_service_message,
      content: message.content,
    },
    true,
  );
}

/**
 * @returns the `WebsocketMessage` in CBOR `bytes` (with or without the self-describe tag; map keys
 *   in any order; unknown keys ignored, as serde does). Byte fields are views into `bytes`.
 * @throws {ProtocolError} `ICWS_ERR_BAD_MESSAGE`, with `field` naming the first bad field
 */
export function decodeWebsocketMessage(bytes: Uint8Array): WebsocketMessage {
  const map = decodeCborRecord(bytes, WHAT);
  const key = read.record(map.client_key, WHAT, 'client_key');
  return {
    client_key: {
      client_principal: read.principal(key.client_principal, WHAT, 'client_key.client_principal'),
      client_nonce: read.u64(key.client_nonce, WHAT, 'client_key.client_nonce'),
    },
    sequence_num: read.u64(map.sequence_num, WHAT, 'sequence_num'),
    timestamp: read.u64(map.timestamp, WHAT, 'timestamp'),
    is_service_message: read.bool(map.is_service_message, WHAT, 'is_service_message'),
    content: read.bytes(map.content, WHAT, 'content'),
  };
}

function invalid(field: string, problem: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `${WHAT}: ${field} ${problem}`, { field });
}
