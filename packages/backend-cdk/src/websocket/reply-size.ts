/**
 * How big a `ws_get_messages` reply gets. The IC refuses a query reply over 3 MiB, and a gateway
 * whose poll fails polls the same nonce again: one reply that is too big stalls the whole queue.
 * So each reply is capped in bytes as well as in messages, and a message that could never fit a
 * reply on its own is refused when it is sent. The sizes are upper bounds of what the Candid reply
 * holds besides the messages' contents, so that an estimate within the cap is a reply within it.
 * @internal
 */
import type { QueuedMessage } from './gateway-queue';

/** The IC's limit on the reply of a query, which the `maxReturnedBytes` setting may not exceed. */
export const MAX_QUERY_REPLY_BYTES = 3 * 1024 * 1024;

/**
 * Default of `maxReturnedBytes`: 2 MiB, a third below the IC's limit, leaving room for hosts
 * and gateways that wrap the reply.
 */
export const DEFAULT_MAX_RETURNED_BYTES = 2 * 1024 * 1024;

/**
 * Bound on what one reply holds besides its messages: the data certificate (a mainnet one carries
 * a subnet delegation of a few KiB), the witness's pruned branches on both sides of the returned
 * keys (two 32-byte hashes per tree level) and the Candid header.
 */
export const REPLY_OVERHEAD_BYTES = 64 * 1024;

/**
 * Bound on what each returned message adds besides its CBOR content: its client key and its key
 * text (up to 84 characters) in the reply, and in the witness its key as a label, its leaf hash
 * and the fork joining it to its neighbour.
 */
export const OUTPUT_MESSAGE_OVERHEAD_BYTES = 512;

/**
 * Bound on what the CBOR `WebsocketMessage` adds around application bytes: its field names, the
 * client key, sequence number, timestamp and the self-describing tag (about 160 bytes).
 */
export const WEBSOCKET_MESSAGE_ENVELOPE_BYTES = 256;

/** Default of `maxRequestedMessages`: a long queue drains in polls of up to this many messages. */
export const DEFAULT_MAX_REQUESTED_MESSAGES = 1_000;

/** Default of `maxQueuedMessages`: messages a gateway may leave unpolled before clients are closed. */
export const DEFAULT_MAX_QUEUED_MESSAGES = 100_000;

/** Default of `maxQueuedBytes`: 256 MiB of contents a gateway may leave unpolled before clients are closed. */
export const DEFAULT_MAX_QUEUED_BYTES = 256 * 1024 * 1024;

/** @returns what `queued` adds to a reply, at most. */
export function replyBytesOf(queued: QueuedMessage): number {
  return queued.content.length + OUTPUT_MESSAGE_OVERHEAD_BYTES;
}

/** @returns the most bytes of messages a reply capped at `maxReturnedBytes` carries. */
export function messageBudget(maxReturnedBytes: number): number {
  return maxReturnedBytes - REPLY_OVERHEAD_BYTES;
}

/**
 * @returns the largest application message (`send`'s bytes) a reply capped at `maxReturnedBytes`
 * can carry on its own; can be 0 or less for a cap too small for any message
 */
export function maxMessageBytes(maxReturnedBytes: number): number {
  return messageBudget(maxReturnedBytes) - OUTPUT_MESSAGE_OVERHEAD_BYTES - WEBSOCKET_MESSAGE_ENVELOPE_BYTES;
}
