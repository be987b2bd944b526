/**
 * Service messages: the Candid `WebsocketServiceMessageContent` carried in a `WebsocketMessage`
 * whose `is_service_message` is true. Canister to client: `OpenMessage`, `AckMessage`,
 * `CloseMessage`; client to canister: `KeepAliveMessage` only.
 */
import {
  UpstreamServiceMessageContentIdl,
  WebsocketServiceMessageContentIdl,
  type CanisterAckMessageContent,
  type CanisterCloseMessageContent,
  type CanisterOpenMessageContent,
  type ClientKeepAliveMessageContent,
  type ClientKey,
  type CloseMessageReason,
  type FreshSessionReason,
  type SessionResumeOutcome,
  type WebsocketServiceMessageContent,
} from './candid';
import { decodeCandid, encodeCandid, withoutEmptyOption } from './candid-codec';
import { ProtocolError, ProtocolErrorCode } from './errors';

/** Name of the variant of a service message. */
export type ServiceMessageKind = 'OpenMessage' | 'AckMessage' | 'KeepAliveMessage' | 'CloseMessage';

/** Name of the variant of a close reason. */
export type CloseReasonKind = 'WrongSequenceNumber' | 'InvalidServiceMessage' | 'KeepAliveTimeout' | 'ClosedByApplication';

/** Name of the variant of a fresh-session reason. */
export type FreshSessionReasonKind = 'UnknownSession' | 'MessagesDropped' | 'ResumeDisabled';

/**
 * @returns the Candid bytes of `content` (one value of type `WebsocketServiceMessageContent`):
 *   upstream's exact bytes, unless it is an open message that answers a resume request.
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` when `content` is not such a value
 */
export function encodeServiceMessage(content: WebsocketServiceMessageContent): Uint8Array {
  if ('OpenMessage' in content) {
    const { client_key, resume } = content.OpenMessage;
    if (resume !== undefined && resume.length > 0) return encodeCandid([WebsocketServiceMessageContentIdl], [content]);
    return encodeCandid([UpstreamServiceMessageContentIdl], [{ OpenMessage: { client_key } }]);
  }
  return encodeCandid([UpstreamServiceMessageContentIdl], [content]);
}

/**
 * @returns the service message in Candid `bytes`.
 * @throws {ProtocolError} `ICWS_ERR_BAD_SERVICE_MESSAGE` when the bytes are not one
 *   `WebsocketServiceMessageContent` (the upstream CDK closes the client with
 *   `InvalidServiceMessage` in that case)
 */
export function decodeServiceMessage(bytes: Uint8Array): WebsocketServiceMessageContent {
  const values = decodeCandid([WebsocketServiceMessageContentIdl], bytes, 'WebsocketServiceMessageContent', ProtocolErrorCode.BAD_SERVICE_MESSAGE);
  const content = values[0] as WebsocketServiceMessageContent;
  if ('OpenMessage' in content) return { OpenMessage: withoutEmptyOption(content.OpenMessage, 'resume') };
  return content;
}

/** @returns which variant `content` is, for a `switch`. @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` if not one tag */
export function serviceMessageKind(content: WebsocketServiceMessageContent): ServiceMessageKind {
  return variantName(content) as ServiceMessageKind;
}

/** @returns which variant `reason` is, for a `switch` or a log line. */
export function closeReasonKind(reason: CloseMessageReason): CloseReasonKind {
  return variantName(reason) as CloseReasonKind;
}

/**
 * @returns the `OpenMessage` the canister sends once `ws_open` of `clientKey` succeeded.
 * @param resume - the answer to the client's resume request, when it made one
 */
export function openMessage(clientKey: ClientKey, resume?: SessionResumeOutcome): { OpenMessage: CanisterOpenMessageContent } {
  return { OpenMessage: resume === undefined ? { client_key: clientKey } : { client_key: clientKey, resume: [resume] } };
}

/** @returns the outcome of a resume request that got the session back. */
export function resumedSession(recoveredMessages: bigint, lastIncomingSequenceNum: bigint): SessionResumeOutcome {
  return { Resumed: { recovered_messages: recoveredMessages, last_incoming_sequence_num: lastIncomingSequenceNum } };
}

/** @returns the outcome of a resume request that got a fresh session instead, for `reason`. */
export function freshSession(reason: FreshSessionReasonKind): SessionResumeOutcome {
  return { Fresh: { reason: { [reason]: null } as FreshSessionReason } };
}

/** @returns which variant `reason` is. */
export function freshSessionReasonKind(reason: FreshSessionReason): FreshSessionReasonKind {
  return variantName(reason) as FreshSessionReasonKind;
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
