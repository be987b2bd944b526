/**
 * Constants and defaults of the IC WebSocket protocol. Values agree with the upstream
 * implementations (ic-websocket-cdk-rs `src/lib.rs`, ic-websocket-sdk-js `src/ic-websocket.ts`,
 * ic-websocket-gateway `src/main.rs` and `src/canister_poller.rs`); a peer whose timing differs
 * from these may see its connections closed as blocked by the gateway.
 */

/**
 * Upper bound on the latency between client and canister, through the gateway.
 * Client and canister derive their timeouts from it.
 * @default 30_000
 */
export const COMMUNICATION_LATENCY_BOUND_MS = 30_000;

/**
 * How often the canister sends each client an `AckMessage`. Configurable on the canister; the
 * client must be configured with the same value.
 * @default 300_000 (5 minutes)
 */
export const DEFAULT_SEND_ACK_INTERVAL_MS = 300_000;

/**
 * How long the canister waits, after sending acks, for each client's `KeepAliveMessage` before
 * closing it with `KeepAliveTimeout`. The send-ack interval must be strictly greater.
 */
export const CLIENT_KEEP_ALIVE_TIMEOUT_MS = 2 * COMMUNICATION_LATENCY_BOUND_MS;

/**
 * How long a client waits for the canister's `OpenMessage` after calling `ws_open`
 * (the call and the reply each take up to one latency bound).
 */
export const CLIENT_OPEN_TIMEOUT_MS = 2 * COMMUNICATION_LATENCY_BOUND_MS;

/**
 * @returns how long a client waits for the ack of a message it sent before deciding the gateway
 * blocks it: one ack interval plus one latency bound.
 * @param sendAckIntervalMs - the canister's ack interval
 */
export function clientAckTimeoutMs(sendAckIntervalMs: number = DEFAULT_SEND_ACK_INTERVAL_MS): number {
  return sendAckIntervalMs + COMMUNICATION_LATENCY_BOUND_MS;
}

/**
 * Most messages `ws_get_messages` returns in one poll; `is_end_of_queue` tells the gateway whether
 * more are waiting.
 * @default 50
 */
export const DEFAULT_MAX_NUMBER_OF_RETURNED_MESSAGES = 50;

/** How many expired messages the canister deletes from a gateway's queue each time it enqueues one. */
export const MESSAGES_TO_DELETE_COUNT = 5;

/** Nonce of the first message of each gateway's outbound queue. */
export const INITIAL_OUTGOING_MESSAGE_NONCE = 0n;

/**
 * Sequence number of the first message a client sends, and so the first one the canister expects.
 * Both directions start at 1: the sender increments its counter before sending.
 */
export const INITIAL_CLIENT_SEQUENCE_NUM = 1n;

/** Sequence number of the first message the canister sends to a client (the open message). */
export const FIRST_CANISTER_SEQUENCE_NUM = 1n;

/**
 * How often the gateway polls `ws_get_messages` while the queue is drained.
 * @default 100
 */
export const DEFAULT_POLLING_INTERVAL_MS = 100;

/** How long the gateway waits for one `ws_get_messages` query before polling again. */
export const POLLING_TIMEOUT_MS = 5_000;

/**
 * Oldest certificate a client accepts on a relayed message.
 * @default 5
 */
export const DEFAULT_MAX_CERTIFICATE_AGE_MINUTES = 5;

/** Address the gateway listens on for WebSockets. */
export const DEFAULT_GATEWAY_LISTEN_ADDRESS = '0.0.0.0:8080';

/** URL of the local replica the gateway talks to. */
export const DEFAULT_IC_NETWORK_URL = 'http://127.0.0.1:4943';

/**
 * Label under which the canister's certified data commits to its outbound messages: the certified
 * data is the hash of the tree `websocket/<message key> -> sha256(message content)`, and a client
 * looks its message up at the path `["websocket", key]`.
 */
export const CERTIFICATION_LABEL = 'websocket';

/** Name of the canister method a client calls to open a connection. */
export const WS_OPEN_METHOD = 'ws_open';
/** Name of the canister method a client calls to send a message. */
export const WS_MESSAGE_METHOD = 'ws_message';
/** Name of the canister method a gateway calls when a client's socket closes. */
export const WS_CLOSE_METHOD = 'ws_close';
/** Name of the canister query method a gateway polls. */
export const WS_GET_MESSAGES_METHOD = 'ws_get_messages';
