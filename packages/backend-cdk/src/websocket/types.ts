import type { Principal } from '@icp-sdk/core/principal';
import type { CloseReasonKind } from '@icws/protocol';

/** Result of `send`, `close` and the `ws_*` updates: Candid `variant { Ok : null; Err : text }`. */
export type WsResult = { Ok: null } | { Err: string };

/** Why a connection ended, as `onClose` reports it. */
export type WsCloseCause =
  /** The gateway called `ws_close` (the client's WebSocket closed). */
  | 'ClosedByGateway'
  /** The same principal opened a new connection, which replaces this one. */
  | 'Reopened'
  /** The canister closed it and told the client so with a close message of this reason. */
  | CloseReasonKind;

/** Argument of {@link WsHandlers.onOpen}. */
export interface WsOpenEvent {
  /** The client that opened the connection. */
  clientPrincipal: Principal;
}

/** Argument of {@link WsHandlers.onMessage}. */
export interface WsMessageEvent {
  /** The client that sent the message. */
  clientPrincipal: Principal;
  /** The application message, Candid-encoded by the client (decode with `ws.decodeMessage`). */
  message: Uint8Array;
}

/** Argument of {@link WsHandlers.onClose}. */
export interface WsCloseEvent {
  /** The client whose connection ended. */
  clientPrincipal: Principal;
  /** Why it ended. */
  cause: WsCloseCause;
}

/**
 * The application's handlers. They run inside the canister message that caused them; if one
 * throws, that message traps and everything it did (the connection opening, the message being
 * counted, messages queued) is undone.
 */
export interface WsHandlers {
  /** A client opened a connection; `send` to it works from here on. */
  onOpen?(event: WsOpenEvent): void;
  /** A client sent an application message. */
  onMessage?(event: WsMessageEvent): void;
  /** A connection ended. Do not call `close` for this client here: it is gone already. */
  onClose?(event: WsCloseEvent): void;
}

/** Timing and size settings of the CDK, with the upstream defaults. */
export interface WsSettings {
  /**
   * How often each client is sent an ack with the last sequence number received from it; it must
   * answer with a keep-alive within {@link keepAliveTimeoutMs}. Also how long queued messages and
   * client-less gateways are kept. Clients must be configured with the same value.
   * @default 300_000
   */
  readonly sendAckIntervalMs: number;
  /**
   * How long after an ack a client may take to send its keep-alive before it is closed with
   * `KeepAliveTimeout`. Must be below `sendAckIntervalMs`.
   * @default 60_000
   */
  readonly keepAliveTimeoutMs: number;
  /**
   * Most messages one `ws_get_messages` returns.
   * @default 50
   */
  readonly maxNumberOfReturnedMessages: number;
}

/** A connected client, as `ws.clients()` lists it. */
export interface WsClientInfo {
  clientPrincipal: Principal;
  clientNonce: bigint;
  /** The gateway the client is connected through. */
  gatewayPrincipal: Principal;
  /** When the connection opened (ns since the epoch). */
  openedAtNs: bigint;
  /** When the client last sent a keep-alive, or opened (ns). */
  lastKeepAliveNs: bigint;
  /** Messages queued for the client so far, service messages included (its last sequence number). */
  messagesSent: bigint;
  /** Messages received from the client so far, keep-alives included. */
  messagesReceived: bigint;
}

/** The state of one gateway's queue. */
export interface WsGatewayMetrics {
  gatewayPrincipal: Principal;
  /** Clients connected through the gateway. */
  connectedClients: number;
  /** Messages waiting in its queue (polled ones stay until older than the ack interval). */
  queuedMessages: number;
  /** Total size of the queued messages, in bytes. */
  queuedBytes: number;
  /** Nonce of the oldest queued message. */
  firstNonce: bigint;
  /** Nonce the next message will get. */
  nextNonce: bigint;
  /** When the oldest queued message was queued (ns), if any is. */
  oldestMessageTimestampNs: bigint | undefined;
  /** Messages queued since the gateway registered. */
  enqueuedTotal: number;
  /** Messages dropped for age since the gateway registered. */
  prunedTotal: number;
  /** Since when the gateway has had no clients (ns), if it has none. */
  idleSinceNs: bigint | undefined;
}

/** What `ws.metrics()` reports. */
export interface WsMetrics {
  connectedClients: number;
  registeredGateways: number;
  /** Messages in the certification tree, over all gateways. */
  certifiedMessages: number;
  gateways: WsGatewayMetrics[];
}
