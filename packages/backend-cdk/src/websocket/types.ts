import type { Principal } from '@icp-sdk/core/principal';
import type { CloseReasonKind } from '@icws/protocol';

/** Result of `send`, `close` and the `ws_*` updates: Candid `variant { Ok : null; Err : text }`. */
export type WsResult = { Ok: null } | { Err: string };

/** Why a connection ended, as `onClose` reports it. */
export type WsCloseCause =
  /** The gateway called `ws_close` (the client's WebSocket closed). */
  | 'ClosedByGateway'
  /**
   * The same principal opened a new connection, which replaces this one; the old client gets a
   * close message (`ClosedByApplication`), so it learns it at its gateway's next poll.
   */
  | 'Reopened'
  /**
   * Its gateway's queue reached `maxQueuedMessages` or `maxQueuedBytes` with messages the gateway
   * has not polled, so a message for this client could not be queued. The client gets a close
   * message (`KeepAliveTimeout`, the upstream reason for messages that do not flow) after every
   * message queued for it before, with no gap in its sequence numbers.
   */
  | 'QueueFull'
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
  /**
   * Whether the client may still resume the session within the recovery window (its connection
   * was lost rather than closed): messages `send` and `broadcast` address to it meanwhile are
   * kept for it, and `onResume` runs if it comes back.
   */
  resumable: boolean;
}

/** Argument of {@link WsHandlers.onResume}. */
export interface WsResumeEvent {
  /** The client that resumed its session. */
  clientPrincipal: Principal;
  /** How many application messages it had missed; they were queued again, in order, before anything sent from here on. */
  recoveredMessages: number;
  /** The gateway it is connected through now (the same or another one). */
  gatewayPrincipal: Principal;
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
  /**
   * A client that lost its connection came back, through the same or another gateway, and got its
   * session back: the messages it missed are queued again, sequence numbers go on, and `send` works
   * as before. Runs instead of `onOpen`; `onClose` may or may not have run in between (a gateway
   * that died never reported the loss).
   */
  onResume?(event: WsResumeEvent): void;
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
   * Most messages one `ws_get_messages` returns when the gateway asks for no count (upstream
   * gateways never do).
   * @default 50
   */
  readonly maxNumberOfReturnedMessages: number;
  /**
   * Most messages one `ws_get_messages` returns when the gateway asks for a count with the
   * `max_messages` field (icws gateways do when a queue is long, so it drains in fewer polls).
   * At least {@link maxNumberOfReturnedMessages}. The byte cap {@link maxReturnedBytes} holds
   * whatever the count.
   * @default 1_000, or maxNumberOfReturnedMessages when that is larger
   */
  readonly maxRequestedMessages: number;
  /**
   * Most bytes one `ws_get_messages` reply holds: its messages with their keys, the certificate and
   * the witness, estimated from above. A poll returns fewer messages rather than exceed it (but
   * always one, if any is queued), and `send` refuses a message too large to fit a reply on its own
   * (`ws.maxMessageBytes`: this less 64.75 KiB). At most 3 MiB, the IC's limit on a query reply.
   * @default 2_097_152 (2 MiB)
   */
  readonly maxReturnedBytes: number;
  /**
   * Most messages a gateway's queue holds that the gateway has not polled yet. Polled messages are
   * dropped first, whatever their age, to make room; when only unpolled ones are left, a message
   * that does not fit closes its client (`QueueFull`) instead of being queued. A gateway that
   * stops polling thus costs bounded memory, and no client ever misses a message silently.
   * @default 100_000
   */
  readonly maxQueuedMessages: number;
  /**
   * Most bytes of message contents a gateway's queue holds; as {@link maxQueuedMessages}. At least
   * {@link maxReturnedBytes}.
   * @default 268_435_456 (256 MiB)
   */
  readonly maxQueuedBytes: number;
  /**
   * How long a client's session can be resumed after its connection is lost, and how long each
   * application message sent to a client is kept for that (at least). A client that reconnects
   * within it, through any gateway, gets the messages it missed and its sequence numbers back
   * (`onResume`); later, it gets a fresh session and is told so. 0 keeps nothing: every reconnection
   * is a new session, as upstream.
   * @default 120_000 (2 minutes)
   */
  readonly recoveryWindowMs: number;
  /**
   * Most application messages kept per client for its resume; the oldest go first. A client that
   * missed more than that gets a fresh session (`MessagesDropped`).
   * @default 1_000
   */
  readonly maxRecoveryMessages: number;
  /**
   * Most bytes of application messages kept per client for its resume; as {@link maxRecoveryMessages}.
   * @default 1_048_576 (1 MiB)
   */
  readonly maxRecoveryBytes: number;
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
  /** Messages in its queue (polled ones stay until older than the ack interval). */
  queuedMessages: number;
  /** Total size of the queued messages, in bytes. */
  queuedBytes: number;
  /** Nonce of the oldest queued message. */
  firstNonce: bigint;
  /** Nonce the next message will get. */
  nextNonce: bigint;
  /** The gateway has polled every message below this nonce (the highest nonce it asked for). */
  polledNonce: bigint;
  /** When the oldest queued message was queued (ns), if any is. */
  oldestMessageTimestampNs: bigint | undefined;
  /** Messages queued since the gateway registered. */
  enqueuedTotal: number;
  /** Messages the gateway had polled that were dropped since it registered (for age, or to make room). */
  prunedTotal: number;
  /** Clients closed because this queue was full of messages the gateway had not polled. */
  queueFullClosures: number;
  /** Since when the gateway has had no clients (ns), if it has none. */
  idleSinceNs: bigint | undefined;
}

/** The sessions kept for resumes, as `ws.metrics()` reports them. */
export interface WsRecoveryMetrics {
  /** Sessions whose connection was lost and whose recovery window has not passed (as last swept). */
  suspendedSessions: number;
  /** Application messages kept for resumes, over all sessions. */
  retainedMessages: number;
  /** Their total size, in bytes. */
  retainedBytes: number;
  /** Resume requests that got their session back. */
  resumedTotal: number;
  /** Resume requests that got a fresh session instead (window passed, messages dropped, unknown). */
  freshSessionsTotal: number;
}

/** What `ws.metrics()` reports. */
export interface WsMetrics {
  connectedClients: number;
  registeredGateways: number;
  /** Messages in the certification tree, over all gateways. */
  certifiedMessages: number;
  gateways: WsGatewayMetrics[];
  recovery: WsRecoveryMetrics;
}
