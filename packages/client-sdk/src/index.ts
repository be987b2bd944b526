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
  type IcWebSocketEventMap,
} from './events';
export { IcWebSocketError, IcWebSocketErrorCode, type IcWebSocketErrorKind } from './errors';
export { CloseCode, isReconnectable } from './codes';
export { backoff } from './backoff';
export type { SocketLike, SocketConstructor } from './session';
export type { FetchFn } from './root-key';
