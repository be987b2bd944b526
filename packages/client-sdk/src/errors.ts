/**
 * Errors of `@icws/client-sdk`. Everything the SDK throws, rejects with or reports in an `error`
 * event is an {@link IcWebSocketError} with a `kind` and a stable string `code`; messages say what
 * happened and, where it helps, what to do about it.
 */

/**
 * Categories of failure, for callers that branch on the category rather than the exact code:
 *
 * - `input`: the caller passed a bad value or called a method at the wrong time
 * - `trust`: something the gateway relayed does not verify (certificate, tree, content)
 * - `protocol`: a peer broke the IC WebSocket protocol (bad frame, sequence number, service message)
 * - `timeout`: the canister did not answer in time (open message, acks)
 * - `closed`: the canister or the gateway ended the connection
 * - `transport`: the network failed (socket error, root key unreachable)
 */
export type IcWebSocketErrorKind = 'input' | 'trust' | 'protocol' | 'timeout' | 'closed' | 'transport';

/** Stable codes of {@link IcWebSocketError}, for `err.hasCode(...)` and for logs. */
export const IcWebSocketErrorCode = {
  /** The configuration passed to `new IcWebSocket` is incomplete or wrong. */
  INVALID_CONFIG: 'ICWS_ERR_INVALID_CONFIG',
  /** `send` was called while the connection is not open. */
  NOT_OPEN: 'ICWS_ERR_NOT_OPEN',
  /** A message given to `send` does not encode as the canister's Candid message type. */
  INVALID_MESSAGE: 'ICWS_ERR_INVALID_MESSAGE',
  /** The identity failed to sign an envelope. */
  SIGNING_FAILED: 'ICWS_ERR_SIGNING_FAILED',
  /** The first frame of the gateway is not its handshake. */
  BAD_HANDSHAKE: 'ICWS_ERR_BAD_HANDSHAKE',
  /** A frame of the gateway is not a relayed canister message, or its content is not a `WebsocketMessage`. */
  BAD_FRAME: 'ICWS_ERR_BAD_FRAME',
  /** The certificate of a relayed message does not verify against the root key, or is not for the canister. */
  INVALID_CERTIFICATE: 'ICWS_ERR_INVALID_CERTIFICATE',
  /** The certificate of a relayed message is older than `maxCertificateAgeInMinutes`. */
  CERTIFICATE_TOO_OLD: 'ICWS_ERR_CERTIFICATE_TOO_OLD',
  /** The hash tree of a relayed message is not the one the canister certified. */
  INVALID_TREE: 'ICWS_ERR_INVALID_TREE',
  /** The content of a relayed message is not the content the canister certified under its key. */
  INVALID_CONTENT: 'ICWS_ERR_INVALID_CONTENT',
  /** A certified message is addressed to another client (another principal or nonce). */
  WRONG_CLIENT_KEY: 'ICWS_ERR_WRONG_CLIENT_KEY',
  /** A message arrived out of sequence: the gateway dropped, repeated or reordered messages. */
  SEQUENCE_MISMATCH: 'ICWS_ERR_SEQUENCE_MISMATCH',
  /** A service message is invalid or arrived when it makes no sense (e.g. an ack before the open message). */
  BAD_SERVICE_MESSAGE: 'ICWS_ERR_BAD_SERVICE_MESSAGE',
  /** An application message does not decode as the canister's Candid message type. */
  BAD_APP_MESSAGE: 'ICWS_ERR_BAD_APP_MESSAGE',
  /** The canister's open message did not arrive in time after the socket was created. */
  OPEN_TIMEOUT: 'ICWS_ERR_OPEN_TIMEOUT',
  /** The canister did not acknowledge a sent message in time: the gateway may be dropping messages. */
  ACK_TIMEOUT: 'ICWS_ERR_ACK_TIMEOUT',
  /** The canister closed the connection because of an error (wrong sequence number, keep-alive timeout, …). */
  CANISTER_CLOSED: 'ICWS_ERR_CANISTER_CLOSED',
  /** The socket closed (or failed) without the protocol closing it. */
  CONNECTION_CLOSED: 'ICWS_ERR_CONNECTION_CLOSED',
  /** The root key of a local network could not be fetched from `networkUrl`. */
  ROOT_KEY_UNAVAILABLE: 'ICWS_ERR_ROOT_KEY_UNAVAILABLE',
  /** The connection was closed by `close()` before it opened (rejects `opened`). */
  CLOSED_BEFORE_OPEN: 'ICWS_ERR_CLOSED_BEFORE_OPEN',
} as const;

/** One of the {@link IcWebSocketErrorCode} values. */
export type IcWebSocketErrorCode = (typeof IcWebSocketErrorCode)[keyof typeof IcWebSocketErrorCode];

const KIND_OF_CODE: Record<IcWebSocketErrorCode, IcWebSocketErrorKind> = {
  ICWS_ERR_INVALID_CONFIG: 'input',
  ICWS_ERR_NOT_OPEN: 'input',
  ICWS_ERR_INVALID_MESSAGE: 'input',
  ICWS_ERR_SIGNING_FAILED: 'input',
  ICWS_ERR_BAD_HANDSHAKE: 'protocol',
  ICWS_ERR_BAD_FRAME: 'protocol',
  ICWS_ERR_INVALID_CERTIFICATE: 'trust',
  ICWS_ERR_CERTIFICATE_TOO_OLD: 'trust',
  ICWS_ERR_INVALID_TREE: 'trust',
  ICWS_ERR_INVALID_CONTENT: 'trust',
  ICWS_ERR_WRONG_CLIENT_KEY: 'trust',
  ICWS_ERR_SEQUENCE_MISMATCH: 'protocol',
  ICWS_ERR_BAD_SERVICE_MESSAGE: 'protocol',
  ICWS_ERR_BAD_APP_MESSAGE: 'protocol',
  ICWS_ERR_OPEN_TIMEOUT: 'timeout',
  ICWS_ERR_ACK_TIMEOUT: 'timeout',
  ICWS_ERR_CANISTER_CLOSED: 'closed',
  ICWS_ERR_CONNECTION_CLOSED: 'closed',
  ICWS_ERR_ROOT_KEY_UNAVAILABLE: 'transport',
  ICWS_ERR_CLOSED_BEFORE_OPEN: 'closed',
};

/** The error of every failure of this package. */
export class IcWebSocketError extends Error {
  /** Category of the failure, derived from `code`. */
  readonly kind: IcWebSocketErrorKind;

  /**
   * @param code - stable machine-readable code, one of {@link IcWebSocketErrorCode}
   * @param message - human-readable explanation that names the problem
   * @param options - the underlying error, if any
   */
  constructor(
    readonly code: IcWebSocketErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IcWebSocketError';
    this.kind = KIND_OF_CODE[code];
  }

  /** @returns whether this error carries `code`. */
  hasCode(code: IcWebSocketErrorCode): boolean {
    return this.code === code;
  }

  /** @returns whether `err` is an {@link IcWebSocketError}, optionally with the given `code`. */
  static is(err: unknown, code?: IcWebSocketErrorCode): err is IcWebSocketError {
    return err instanceof IcWebSocketError && (code === undefined || err.code === code);
  }
}

/** @returns a short description of `err` for a message, whatever it is. @internal */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
