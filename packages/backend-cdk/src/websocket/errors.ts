/**
 * What the canister answers when a call breaks the IC WebSocket protocol. Protocol errors travel
 * as the text of an `Err` result (never as traps), worded as the upstream Rust CDK words them, so
 * gateways and clients that log or match them see the same text from either CDK. Errors of the
 * developer's own code (bad configuration, an app message that does not decode) are thrown as
 * {@link CdkError}s instead.
 */
import type { Principal } from '@icp-sdk/core/principal';
import { clientKeyText, type ClientKey } from '@icws/protocol';
import { CdkError, type CdkErrorCode } from '../errors';
import type { WsSettings } from './types';

type QueueLimits = Pick<WsSettings, 'maxQueuedMessages' | 'maxQueuedBytes'>;

/** Stable codes of the errors the WebSocket CDK throws. */
export const WsErrorCode = {
  /** `createIcWebSocket` got options it cannot work with. */
  CONFIG: 'ICWS_ERR_WS_CONFIG',
  /** An application message does not encode or decode as the canister's `AppMessage` type. */
  APP_MESSAGE: 'ICWS_ERR_WS_APP_MESSAGE',
  /** `broadcast` of a message too large to fit a `ws_get_messages` reply (`send` answers `Err`). */
  MESSAGE_TOO_LARGE: 'ICWS_ERR_WS_MESSAGE_TOO_LARGE',
} as const satisfies Record<string, CdkErrorCode>;

/** The texts of the protocol's `Err` results, one function per refusal. */
export const wsErrors = {
  /** `ws_open` from the anonymous principal: a client must sign its calls. */
  anonymousPrincipalNotAllowed: (): string => 'Anonymous principal is not allowed',
  /** `ws_open` with the key (principal and nonce) of a connection that is open already. */
  clientKeyAlreadyConnected: (key: ClientKey): string => `Client with key ${clientKeyText(key)} already has an open connection`,
  /** `ws_message` whose `msg.client_key` is not the caller's current key. */
  clientKeyMessageMismatch: (key: ClientKey): string =>
    `Client with principal ${key.client_principal.toText()} has a different key than the one used in the message`,
  /** `ws_close` for a client key that has no connection. */
  clientKeyNotConnected: (key: ClientKey): string => `Client with key ${clientKeyText(key)} doesn't have an open connection`,
  /** `ws_close` from a gateway other than the one the client opened through. */
  clientNotRegisteredToGateway: (key: ClientKey, gateway: Principal): string =>
    `Client with key ${clientKeyText(key)} was not registered to gateway ${gateway.toText()}`,
  /** `ws_message`, `send` or `close` for a principal that has no connection. */
  clientPrincipalNotConnected: (principal: Principal): string => `Client with principal ${principal.toText()} doesn't have an open connection`,
  /** A service message from a client whose content is not a `WebsocketServiceMessageContent`. */
  decodeServiceMessageContent: (reason: string): string => `Error decoding service message content: ${reason}`,
  /** `ws_close` from a principal that no client opened a connection through. */
  gatewayNotRegistered: (gateway: Principal): string => `Gateway with principal ${gateway.toText()} is not registered`,
  /** A service message from a client other than `KeepAliveMessage`. */
  invalidServiceMessage: (): string => 'Invalid service message',
  /** `ws_message` out of sequence; the connection is closed with `WrongSequenceNumber`. */
  incomingSequenceNumberWrong: (expected: bigint, actual: bigint): string => `Expected incoming sequence number ${expected} but got ${actual}`,
  /** `send` of a message that could never fit a `ws_get_messages` reply; nothing is queued. */
  messageTooLarge: (size: number, max: number, maxReturnedBytes: number): string =>
    `Message of ${size} bytes is larger than the ${max} bytes a ws_get_messages reply can carry ` +
    `(maxReturnedBytes ${maxReturnedBytes} less the certificate, witness and key overhead); split it or raise maxReturnedBytes`,
  /** `send` (or an ack) to a client whose gateway's queue is full of unpolled messages; the client was closed. */
  gatewayQueueFull: (gateway: Principal, principal: Principal, messages: number, bytes: number, settings: QueueLimits): string =>
    `Queue of gateway ${gateway.toText()} is full with ${messages} messages and ${bytes} bytes it has not polled ` +
    `(maxQueuedMessages ${settings.maxQueuedMessages}, maxQueuedBytes ${settings.maxQueuedBytes}); ` +
    `the client with principal ${principal.toText()} was closed`,
  /** `ws_open` through a gateway whose queue is full of unpolled messages. */
  gatewayQueueFullOnOpen: (gateway: Principal, settings: QueueLimits): string =>
    `Queue of gateway ${gateway.toText()} is full with messages it has not polled ` +
    `(maxQueuedMessages ${settings.maxQueuedMessages}, maxQueuedBytes ${settings.maxQueuedBytes}); open the connection through another gateway or later`,
  /** `ws_open` asking to resume a session of another principal: only a session's own principal may resume it. */
  resumeOfAnotherPrincipal: (caller: Principal, key: ClientKey): string =>
    // The reason first: a gateway's close frame carries only the first 123 bytes.
    `Resume refused: only the session's own principal may resume it; principal ${caller.toText()} ` +
    `asked for the session of client ${clientKeyText(key)}, and can resume only its own with its own signed ws_open`,
  /** `ws_open` asking to resume a session with a claim the session contradicts. */
  resumeRefused: (key: ClientKey, reason: string): string => `Resume refused: ${reason} (session of client ${clientKeyText(key)})`,
  /** `ws_get_messages` called as an update: only a query can return a data certificate. */
  getMessagesNotInQuery: (): string => 'ws_get_messages must be called as a query: a data certificate is only available in queries',
};

/** @returns the error `createIcWebSocket` throws for unusable options. */
export function configError(message: string): CdkError {
  return new CdkError(WsErrorCode.CONFIG, `createIcWebSocket: ${message}`);
}

/** @returns the error `broadcast` throws for a message too large to fit a `ws_get_messages` reply. */
export function messageTooLargeError(message: string): CdkError {
  return new CdkError(WsErrorCode.MESSAGE_TOO_LARGE, message);
}

/** @returns the error thrown when an app message does not fit the `AppMessage` type. */
export function appMessageError(message: string): CdkError {
  return new CdkError(WsErrorCode.APP_MESSAGE, message);
}
