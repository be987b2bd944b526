/**
 * WebSocket close codes of an `IcWebSocket`, in one table. The client sends its own codes to the
 * gateway when it closes the socket, and reports them in the `close` event; codes the gateway
 * sends are reported as they arrive. 4000 and 4001 are the codes the upstream `ic-websocket-js`
 * uses, so applications switching from it see the same values.
 *
 * | code | name | who closes | when | reconnects |
 * |------|------|------------|------|------------|
 * | 1000 | `NORMAL` | client | the application called `close()` | no |
 * | 1001 | `GOING_AWAY` | gateway | the gateway is shutting down | yes |
 * | 1006 | `ABNORMAL` | – | the socket dropped without a close frame | yes |
 * | 1008 | `POLICY_VIOLATION` | gateway | the gateway or the canister refused the connection (e.g. `ws_open` refused) | no |
 * | 1011 | `INTERNAL_ERROR` | gateway, client | the replica refused or failed a relayed envelope; the root key of a local network is unreachable | yes |
 * | 4000 | `PROTOCOL_ERROR` | client | the gateway broke the protocol: bad frame, sequence number, service message | yes |
 * | 4001 | `CLOSED_BY_APPLICATION` | client | the canister closed the connection (`ClosedByApplication`) | no |
 * | 4002 | `VERIFICATION_FAILED` | client | a relayed message failed verification: certificate, tree, content or client key | yes |
 * | 4003 | `OPEN_TIMEOUT` | client | the canister's open message did not arrive in time | yes |
 * | 4004 | `ACK_TIMEOUT` | client | the canister did not acknowledge sent messages in time | yes |
 * | 4005 | `CANISTER_CLOSED` | client | the canister closed the connection with an error reason | yes |
 * | 4006 | `SEND_FAILED` | client | the identity could not sign an envelope | no |
 *
 * Any other code the gateway sends is reported as is, and reconnects.
 */
import { IcWebSocketErrorCode as Err, type IcWebSocketErrorCode } from './errors';

/** Close codes (see the table above). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  ABNORMAL: 1006,
  POLICY_VIOLATION: 1008,
  INTERNAL_ERROR: 1011,
  PROTOCOL_ERROR: 4000,
  CLOSED_BY_APPLICATION: 4001,
  VERIFICATION_FAILED: 4002,
  OPEN_TIMEOUT: 4003,
  ACK_TIMEOUT: 4004,
  CANISTER_CLOSED: 4005,
  SEND_FAILED: 4006,
} as const;

/** One of the {@link CloseCode} values. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

const NO_RECONNECT: ReadonlySet<number> = new Set([
  CloseCode.NORMAL,
  CloseCode.POLICY_VIOLATION,
  CloseCode.CLOSED_BY_APPLICATION,
  CloseCode.SEND_FAILED,
]);

/** @returns whether a connection that ended with `code` is worth opening again. */
export function isReconnectable(code: number): boolean {
  return !NO_RECONNECT.has(code);
}

/** @returns the code with which the client closes the socket after an error of `code`. @internal */
export function closeCodeOfError(code: IcWebSocketErrorCode): CloseCode {
  switch (code) {
    case Err.INVALID_CERTIFICATE:
    case Err.CERTIFICATE_TOO_OLD:
    case Err.INVALID_TREE:
    case Err.INVALID_CONTENT:
    case Err.WRONG_CLIENT_KEY:
      return CloseCode.VERIFICATION_FAILED;
    case Err.OPEN_TIMEOUT:
      return CloseCode.OPEN_TIMEOUT;
    case Err.ACK_TIMEOUT:
      return CloseCode.ACK_TIMEOUT;
    case Err.CANISTER_CLOSED:
      return CloseCode.CANISTER_CLOSED;
    case Err.ROOT_KEY_UNAVAILABLE:
      return CloseCode.INTERNAL_ERROR;
    case Err.SIGNING_FAILED:
    case Err.INVALID_CONFIG:
    case Err.INVALID_MESSAGE:
      return CloseCode.SEND_FAILED;
    case Err.NOT_OPEN:
    case Err.CLOSED_BEFORE_OPEN:
      return CloseCode.NORMAL;
    case Err.CONNECTION_CLOSED:
      return CloseCode.ABNORMAL;
    default:
      return CloseCode.PROTOCOL_ERROR;
  }
}

const MAX_REASON_BYTES = 123;

/** @returns `reason` cut to the 123 UTF-8 bytes a close frame can carry. @internal */
export function closeReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= MAX_REASON_BYTES) return reason;
  let cut = MAX_REASON_BYTES - 3;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return new TextDecoder().decode(bytes.subarray(0, cut)) + '...';
}
