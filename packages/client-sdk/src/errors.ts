/**
 * Errors of `@icws/client-sdk`. Everything the SDK throws, rejects with or reports in an `error`
 * event is an {@link IcWebSocketError}: an `IcwsError` of `@icws/protocol` with a `kind`, a stable
 * string `code` and, for errors that end a connection, the close code the SDK closes it with.
 */
import { CloseCode, defineErrorCodes, describeError, IcwsError } from '@icws/protocol';

/** The codes of {@link IcWebSocketError}: what each means and the close code it ends a connection with. */
export const CLIENT_ERROR_CODES = defineErrorCodes({
  ICWS_ERR_INVALID_CONFIG: { kind: 'input', closeCode: CloseCode.SEND_FAILED, summary: 'the configuration passed to `new IcWebSocket` is incomplete or wrong' },
  ICWS_ERR_NOT_OPEN: { kind: 'input', closeCode: CloseCode.NORMAL, summary: '`send` was called while the connection is not open' },
  ICWS_ERR_INVALID_MESSAGE: { kind: 'input', closeCode: CloseCode.SEND_FAILED, summary: "a message given to `send` does not encode as the canister's Candid message type" },
  ICWS_ERR_MESSAGE_TOO_LARGE: { kind: 'input', closeCode: CloseCode.SEND_FAILED, summary: 'a message given to `send` encodes to more Candid bytes than `maxMessageBytes`; it is not sent' },
  ICWS_ERR_SEND_QUEUE_FULL: { kind: 'input', closeCode: CloseCode.NORMAL, summary: '`send` while reconnecting or while the paced flush after a reconnection runs, with `reconnect.maxQueuedMessages` or `maxQueuedBytes` already waiting; the message is not queued' },
  ICWS_ERR_SIGNING_FAILED: { kind: 'input', closeCode: CloseCode.SEND_FAILED, summary: 'the identity failed to sign an envelope' },
  ICWS_ERR_BAD_HANDSHAKE: { kind: 'protocol', closeCode: CloseCode.PROTOCOL_ERROR, summary: 'the first frame of the gateway is not its handshake' },
  ICWS_ERR_BAD_FRAME: { kind: 'protocol', closeCode: CloseCode.PROTOCOL_ERROR, summary: 'a frame of the gateway is not a relayed canister message, or its content is not a `WebsocketMessage`' },
  ICWS_ERR_INVALID_CERTIFICATE: { kind: 'trust', closeCode: CloseCode.VERIFICATION_FAILED, summary: 'the certificate of a relayed message does not verify against the root key, or is not for the canister' },
  ICWS_ERR_CERTIFICATE_TOO_OLD: { kind: 'trust', closeCode: CloseCode.VERIFICATION_FAILED, summary: 'the certificate of a relayed message is older than `maxCertificateAgeInMinutes`' },
  ICWS_ERR_INVALID_TREE: { kind: 'trust', closeCode: CloseCode.VERIFICATION_FAILED, summary: 'the hash tree of a relayed message is not the one the canister certified' },
  ICWS_ERR_INVALID_CONTENT: { kind: 'trust', closeCode: CloseCode.VERIFICATION_FAILED, summary: 'the content of a relayed message is not the content the canister certified under its key' },
  ICWS_ERR_WRONG_CLIENT_KEY: { kind: 'trust', closeCode: CloseCode.VERIFICATION_FAILED, summary: 'a certified message is addressed to another client (another principal or nonce)' },
  ICWS_ERR_SEQUENCE_MISMATCH: { kind: 'protocol', closeCode: CloseCode.PROTOCOL_ERROR, summary: 'a message arrived out of sequence: the gateway dropped, repeated or reordered messages' },
  ICWS_ERR_BAD_SERVICE_MESSAGE: { kind: 'protocol', closeCode: CloseCode.PROTOCOL_ERROR, summary: 'a service message is invalid or arrived when it makes no sense (e.g. an ack before the open message)' },
  ICWS_ERR_BAD_APP_MESSAGE: { kind: 'protocol', closeCode: CloseCode.PROTOCOL_ERROR, summary: "an application message does not decode as the canister's Candid message type" },
  ICWS_ERR_OPEN_TIMEOUT: { kind: 'timeout', closeCode: CloseCode.OPEN_TIMEOUT, summary: "the canister's open message did not arrive in time after the socket was created" },
  ICWS_ERR_ACK_TIMEOUT: { kind: 'timeout', closeCode: CloseCode.ACK_TIMEOUT, summary: 'the canister did not acknowledge a sent message in time: the gateway may be dropping messages' },
  ICWS_ERR_CANISTER_SILENT: { kind: 'timeout', closeCode: CloseCode.CANISTER_SILENT, summary: 'no ack nor other certified message from the canister within the ack interval plus the latency bound: the gateway withholds messages or the replica is down' },
  ICWS_ERR_CONNECTION_REFUSED: { kind: 'reject', closeCode: CloseCode.POLICY_VIOLATION, summary: 'the gateway or the replica refused the connection for good (refused `ws_open`, expired or invalid delegation or signature): no reconnection' },
  ICWS_ERR_CANISTER_CLOSED: { kind: 'closed', closeCode: CloseCode.CANISTER_CLOSED, summary: 'the canister closed the connection because of an error (wrong sequence number, keep-alive timeout, …)' },
  ICWS_ERR_CONNECTION_CLOSED: { kind: 'closed', closeCode: CloseCode.ABNORMAL, summary: 'the socket closed (or failed) without the protocol closing it' },
  ICWS_ERR_ROOT_KEY_UNAVAILABLE: { kind: 'transport', closeCode: CloseCode.INTERNAL_ERROR, summary: 'the root key of a local network could not be fetched from `networkUrl`' },
  ICWS_ERR_CLOSED_BEFORE_OPEN: { kind: 'closed', closeCode: CloseCode.NORMAL, summary: 'the connection was closed by `close()` before it opened (rejects `opened`)' },
});

/** One of the codes of {@link CLIENT_ERROR_CODES}. */
export type IcWebSocketErrorCode = keyof typeof CLIENT_ERROR_CODES;

/** The codes of {@link IcWebSocketError} by name, for `err.hasCode(IcWebSocketErrorCode.ACK_TIMEOUT)`. */
export const IcWebSocketErrorCode = Object.freeze(
  Object.fromEntries(Object.keys(CLIENT_ERROR_CODES).map((code) => [code.slice('ICWS_ERR_'.length), code])),
) as { readonly [C in IcWebSocketErrorCode as C extends `ICWS_ERR_${infer Name}` ? Name : never]: C };

/**
 * Categories of failure of this package, for callers that branch on the category rather than the
 * exact code (see `IcwsErrorKind` of `@icws/protocol`).
 */
export type IcWebSocketErrorKind = (typeof CLIENT_ERROR_CODES)[IcWebSocketErrorCode]['kind'];

/** The error of every failure of this package. */
export class IcWebSocketError extends IcwsError<IcWebSocketErrorCode> {
  declare readonly kind: IcWebSocketErrorKind;
  declare readonly closeCode: number;

  /**
   * @param code - stable machine-readable code, one of {@link CLIENT_ERROR_CODES}
   * @param message - human-readable explanation that names the problem
   * @param options - the underlying error, if any
   */
  constructor(code: IcWebSocketErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, ...CLIENT_ERROR_CODES[code] });
  }

  /** @returns whether `err` is an {@link IcWebSocketError}, optionally with the given `code`. */
  static override is(err: unknown, code?: IcWebSocketErrorCode): err is IcWebSocketError {
    return err instanceof IcWebSocketError && (code === undefined || err.code === code);
  }
}

export { describeError };
