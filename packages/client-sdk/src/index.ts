/**
 * `@icws/client-sdk`: WebSockets to Internet Computer canisters through an untrusted gateway, for
 * browsers and Node. The public API is exactly what this file exports.
 */
export { IcWebSocket } from './ic-websocket';
export { createWsConfig, type IcWebSocketConfig, type ReconnectOptions, type WsCanisterService, type ApplicationMessageOf } from './config';
export { generateRandomIdentity } from './identity';
export {
  IcWebSocketMessageEvent,
  IcWebSocketErrorEvent,
  IcWebSocketCloseEvent,
  IcWebSocketReconnectEvent,
  IcWebSocketResumedEvent,
  IcWebSocketNewSessionEvent,
  type NewSessionReason,
  type IcWebSocketEventMap,
  type ReceivedMessageDetails,
} from './events';
export { IcWebSocketError, IcWebSocketErrorCode, CLIENT_ERROR_CODES, type IcWebSocketErrorKind } from './errors';
export { CloseCode, CLOSE_CODES, isReconnectable } from './codes';
export { IcwsError } from '@icws/protocol';
export { backoff } from './backoff';
export type { SocketLike, SocketConstructor } from './session';
export type { FetchFn } from './root-key';
export type { BlsVerifier } from './bls-backend';
export type { BlsVerifierName } from './bls-verifier';
