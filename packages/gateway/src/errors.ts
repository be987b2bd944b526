/**
 * Errors of `@icws/gateway`: a {@link GatewayError} is an `IcwsError` of `@icws/protocol` whose
 * code is listed in {@link GATEWAY_ERROR_CODES}. Errors that end a session travel in its close
 * reason, code first (`ICWS_ERR_ENVELOPE_REFUSED: …`).
 */
import { CloseCode, defineErrorCodes, IcwsError, type IcwsErrorKind } from '@icws/protocol';

/** The codes of {@link GatewayError}, what each means and the close code it ends a session with. */
export const GATEWAY_ERROR_CODES = defineErrorCodes({
  ICWS_ERR_USAGE: { kind: 'config', summary: 'a flag or environment variable is missing or malformed (exit code 2)' },
  ICWS_ERR_KEY_PAIR: { kind: 'config', summary: '`DATA_DIR/key_pair` is not an Ed25519 PKCS#8 key; delete it to get a new principal' },
  ICWS_ERR_REPLICA_UNAVAILABLE: { kind: 'transport', closeCode: CloseCode.INTERNAL_ERROR, summary: 'the replica cannot be reached or answered 5xx; retried with backoff' },
  ICWS_ERR_REPLICA_OVERLOADED: { kind: 'transport', closeCode: CloseCode.TRY_AGAIN_LATER, summary: 'the replica refused calls as overloaded (503 `ICWS_ERR_REPLICA_OVERLOADED`) for the whole relay window; retried with backoff before' },
  ICWS_ERR_ENVELOPE_REFUSED: { kind: 'reject', closeCode: CloseCode.INTERNAL_ERROR, summary: "the replica refused a client's envelope (4xx; the reason quotes it)" },
  ICWS_ERR_POLL_REJECTED: { kind: 'reject', summary: 'the canister rejected `ws_get_messages` or returned `Err`' },
  ICWS_ERR_QUERY_SIGNATURE: { kind: 'trust', summary: "a poll's reply is not signed by a node of the canister's subnet" },
  ICWS_ERR_NODE_KEYS: { kind: 'trust', summary: "the subnet's node keys could not be read from a certificate the root key vouches for (e.g. its delegation does not cover the canister)" },
  ICWS_ERR_TEXT_FRAME: { kind: 'protocol', closeCode: CloseCode.UNSUPPORTED_DATA, summary: 'a text frame: the protocol speaks CBOR in binary frames' },
  ICWS_ERR_FRAME_TOO_LARGE: { kind: 'protocol', closeCode: CloseCode.TOO_BIG, summary: 'a frame over the size limit (2 MiB; `--max-open-frame-bytes`, 64 KiB, until the session is open)' },
  ICWS_ERR_BAD_CLIENT_REQUEST: { kind: 'protocol', closeCode: CloseCode.INVALID_PAYLOAD, summary: 'a frame that is not a CBOR client request with a signed `call` envelope, or a `ws_open` argument that does not decode' },
  ICWS_ERR_OPEN_REQUIRED: { kind: 'protocol', closeCode: CloseCode.POLICY_VIOLATION, summary: 'the first frame of a connection is not a `ws_open` call' },
  ICWS_ERR_WRONG_GATEWAY: { kind: 'input', closeCode: CloseCode.POLICY_VIOLATION, summary: '`ws_open` names another gateway' },
  ICWS_ERR_WRONG_CANISTER: { kind: 'input', closeCode: CloseCode.POLICY_VIOLATION, summary: 'a call to another canister than the one the session opened with' },
  ICWS_ERR_CLIENT_KEY_IN_USE: { kind: 'input', closeCode: CloseCode.POLICY_VIOLATION, summary: 'the client key (principal and nonce) is already connected to this gateway' },
  ICWS_ERR_OPEN_REFUSED: { kind: 'reject', closeCode: CloseCode.POLICY_VIOLATION, summary: 'the canister refused or rejected `ws_open`' },
  ICWS_ERR_RELAY_QUEUE_FULL: { kind: 'input', closeCode: CloseCode.POLICY_VIOLATION, summary: 'more calls waiting to be relayed than `--max-queued-frames`' },
  ICWS_ERR_RELAY_QUEUE_TOO_LARGE: { kind: 'input', closeCode: CloseCode.TOO_BIG, summary: 'more bytes of calls waiting to be relayed than `--max-queued-bytes`' },
  ICWS_ERR_RELAY_BACKLOG: { kind: 'transport', closeCode: CloseCode.TRY_AGAIN_LATER, summary: "a client's call waited longer than `--max-relay-wait-ms` for a replica that answers before it could be relayed, or arrived behind one that had: the replica does not keep up; every call relayed started within that bound of its arrival" },
  ICWS_ERR_OVERLOADED: { kind: 'transport', closeCode: CloseCode.TRY_AGAIN_LATER, summary: 'more calls arrived than the replica relayed while calls waited past half of `--max-relay-wait-ms`: the newest sessions with calls waiting are closed, as many as the excess' },
  ICWS_ERR_CLIENT_TOO_SLOW: { kind: 'transport', closeCode: CloseCode.TRY_AGAIN_LATER, summary: 'the client reads too slowly: its send buffer passed `--max-client-buffer`' },
  ICWS_ERR_OPEN_TIMEOUT: { kind: 'timeout', closeCode: CloseCode.TRY_AGAIN_LATER, summary: 'no `ws_open` within `--open-timeout-ms` of the handshake' },
  ICWS_ERR_PING_TIMEOUT: { kind: 'timeout', closeCode: CloseCode.TRY_AGAIN_LATER, summary: 'the client answered none of `--max-missed-pongs` pings in a row, sent every `--ping-interval-ms`' },
  ICWS_ERR_FRAME_TIMEOUT: { kind: 'timeout', closeCode: CloseCode.TRY_AGAIN_LATER, summary: 'a frame begun and not finished within `--ping-interval-ms` × `--max-missed-pongs`' },
  ICWS_ERR_CONNECTION_LIMIT: { kind: 'transport', httpStatus: 503, summary: 'the gateway holds `--max-connections` connections; the upgrade is refused with HTTP 503' },
  ICWS_ERR_IP_CONNECTION_LIMIT: { kind: 'input', httpStatus: 429, summary: "the client's address holds `--max-connections-per-ip` connections; the upgrade is refused with HTTP 429" },
  ICWS_ERR_POLL_TIMEOUT: { kind: 'timeout', summary: '`ws_get_messages` did not answer within `--poll-timeout`; retried with backoff' },
  ICWS_ERR_SELF_TEST: { kind: 'config', summary: 'the start-up self-test through `--public-url` failed: an HTTP request or a WebSocket handshake sent there did not reach this gateway (shown on `/health`)' },
  ICWS_ERR_TRACE_EXPORT: { kind: 'transport', summary: 'the OTLP collector of `--opentelemetry-collector-endpoint` did not take a batch of spans (unreachable, or it answered an error); those spans are dropped, the gateway carries on' },
  ICWS_ERR_INTERNAL: { kind: 'internal', summary: 'an unexpected failure without a code of its own (logged with this code; the message says what failed)' },
  ICWS_ERR_SHUTTING_DOWN: { kind: 'internal', closeCode: CloseCode.GOING_AWAY, summary: 'the gateway is shutting down' },
});

/** One of the codes of {@link GATEWAY_ERROR_CODES}. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES;

/** Categories of gateway failures, for callers that branch on the category. */
export type GatewayErrorKind = IcwsErrorKind;

/** The error the gateway throws and logs. */
export class GatewayError extends IcwsError<GatewayErrorCode> {
  /**
   * @param code - stable machine-readable code, one of {@link GATEWAY_ERROR_CODES}
   * @param message - human-readable explanation that names the problem and the fix
   */
  constructor(code: GatewayErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, ...GATEWAY_ERROR_CODES[code] });
  }
}
