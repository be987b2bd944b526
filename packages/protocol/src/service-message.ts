/**
 * Service messages: the Candid `WebsocketServiceMessageContent` carried in a `WebsocketMessage`
 * whose `is_service_message` is true. Canister to client: `OpenMessage`, `AckMessage`,
 * `CloseMessage`; client to canister: `KeepAliveMessage` only.
 */
import {
  WebsocketServiceMessageContentIdl,
  type CanisterAckMessageContent,
  type CanisterCloseMessageContent,
  type CanisterOpenMessageContent,
  type ClientKeepAliveMessageContent,
  type ClientKey,
  type CloseMessageReason,
  type WebsocketServiceMessageContent,
} from './candid';
import { decodeCandid, encodeCandid } from './candid-codec';
import { ProtocolError, ProtocolErrorCode } from './errors';

/** Name of the variant of a service message. */
export type ServiceMessageKind = 'OpenMessage' | 'AckMessage' | 'KeepAliveMessage' | 'CloseMessage';

/** Name of the variant of a close reason. */
export type CloseReasonKind = 'WrongSequenceNumber' | 'InvalidServiceMessage' | 'KeepAliveTimeout' | 'ClosedByApplication';

/**
 * @returns the Candid bytes of `content` (one value of type `WebsocketServiceMessageContent`).
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` when `content` is not such a value
 */
export function encodeServiceMessage(content: WebsocketServiceMessageContent): Uint8Array {
  return encodeCandid([WebsocketServiceMessageContentIdl], [content]);
}

/**
 * @returns the service message in Candid `bytes`.
 * @throws {ProtocolError} `ICWS_ERR_BAD_SERVICE_MESSAGE` when the bytes are not one
 *   `WebsocketServiceMessageContent` (the upstream CDK closes the client with
 *   `InvalidServiceMessage` in that case)
 */
export function decodeServiceMessage(bytes: Uint8Array): WebsocketServiceMessageContent {
  const values = decodeCandid([WebsocketServiceMessageContentIdl], bytes, 'WebsocketServiceMessageContent', ProtocolErrorCode.BAD_SERVICE_MESSAGE);
  return values[0] as WebsocketServiceMessageContent;
}

/** @returns which variant `content` is, for a `switch`. @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` if not one tag */
export function serviceMessageKind(content: WebsocketServiceMessageContent): ServiceMessageKind {
  return variantName(content) as ServiceMessageKind;
}

/** @returns which variant `reason` is, for a `switch` or a log line. */
export function closeReasonKind(reason: CloseMessageReason): CloseReasonKind {
  return variantName(reason) as CloseReasonKind;
}

/** @returns the `OpenMessage` the canister sends once `ws_open` of `clientKey` succeeded. */
export function openMessage(clientKey: ClientKey): { OpenMessage: CanisterOpenMessageContent } {
  return { OpenMessage: { client_key: clientKey } };
}

/** @returns the `AckMessage` acknowledging client messages up to `lastIncomingSequenceNum`. */
export function ackMessage(lastIncomingSequenceNum: bigint): { AckMessage: CanisterAckMessageContent } {
  return { AckMessage: { last_incoming_sequence_num: lastIncomingSequenceNum } };
}

/** @returns the `KeepAliveMessage` a client sends after an ack, with the last sequence number it received. */
export function keepAliveMessage(lastIncomingSequenceNum: bigint): { KeepAliveMessage: ClientKeepAliveMessageContent } {
  return { KeepAliveMessage: { last_incoming_sequence_num: lastIncomingSequenceNum } };
}

/** @returns the `CloseMessage` the canister sends when it drops a client for `reason`. */
export function closeMessage(reason: CloseReasonKind): { CloseMessage: CanisterCloseMessageContent } {
  return { CloseMessage: { reason: { [reason]: null } as CloseMessageReason } };
}

function variantName(value: object): string {
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `expected a Candid variant with one tag, got keys [${keys.join(', ')}]`);
  }
  return keys[0] as string;
}
