/**
 * Errors of `@icws/protocol`. Every failure to encode or decode a protocol value is a
 * {@link ProtocolError} with a stable string `code`; decoders also say which field was wrong.
 */

/** Stable codes of {@link ProtocolError}, for `err.hasCode(...)` and for logs. */
export const ProtocolErrorCode = {
  /** Bytes from a peer are not valid CBOR, or not the expected CBOR shape (see `field`). */
  BAD_MESSAGE: 'ICWS_ERR_BAD_MESSAGE',
  /** Candid bytes of a service message do not decode as `WebsocketServiceMessageContent`. */
  BAD_SERVICE_MESSAGE: 'ICWS_ERR_BAD_SERVICE_MESSAGE',
  /** Candid bytes (other than a service message) do not decode as the expected type. */
  BAD_CANDID: 'ICWS_ERR_BAD_CANDID',
  /** An outbound-queue message key is not `<gateway principal>_<20-digit nonce>`. */
  BAD_MESSAGE_KEY: 'ICWS_ERR_BAD_MESSAGE_KEY',
  /** A request body given to the strict envelope decoder is not one CBOR item. */
  BAD_CBOR: 'ICWS_ERR_BAD_CBOR',
  /** A request envelope lacks a field, has one of the wrong type, or one the spec does not define (see `field`). */
  MALFORMED_ENVELOPE: 'ICWS_ERR_MALFORMED_ENVELOPE',
  /** A request envelope's delegation chain is longer than `MAX_DELEGATIONS`. */
  DELEGATION_CHAIN_TOO_LONG: 'ICWS_ERR_DELEGATION_CHAIN_TOO_LONG',
  /** A delegation lists more than `MAX_DELEGATION_TARGETS` canisters. */
  DELEGATION_TARGETS: 'ICWS_ERR_DELEGATION_TARGETS',
  /** A read_state request has more than `MAX_READ_STATE_PATHS` paths, or a path more than `MAX_PATH_LABELS` labels. */
  READ_STATE_TOO_LARGE: 'ICWS_ERR_READ_STATE_TOO_LARGE',
  /** A value handed to an encoder is out of range or of the wrong type (a bug of the caller). */
  INVALID_ARGUMENT: 'ICWS_ERR_INVALID_ARGUMENT',
} as const;

/** One of the {@link ProtocolErrorCode} values. */
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/**
 * Category of a {@link ProtocolError}: `protocol` when a peer sent bytes that break the protocol,
 * `input` when the local caller passed a value that cannot be encoded.
 */
export type ProtocolErrorKind = 'protocol' | 'input';

/** Options of {@link ProtocolError}. */
export interface ProtocolErrorOptions {
  /** Dotted path of the offending field, e.g. `client_key.client_nonce`. */
  field?: string;
  /** The underlying error (CBOR or Candid library error), if any. */
  cause?: unknown;
}

/** The error thrown by every encoder and decoder of this package. */
export class ProtocolError extends Error {
  /** Whether a peer (`protocol`) or the local caller (`input`) is at fault. */
  readonly kind: ProtocolErrorKind;
  /** Dotted path of the offending field, when the error is about one field. */
  readonly field: string | undefined;

  /**
   * @param code - stable machine-readable code, one of {@link ProtocolErrorCode}
   * @param message - human-readable explanation naming the problem
   * @param options - offending field and underlying cause
   */
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    options: ProtocolErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProtocolError';
    this.kind = code === ProtocolErrorCode.INVALID_ARGUMENT ? 'input' : 'protocol';
    this.field = options.field;
  }

  /** @returns whether this error carries `code`. */
  hasCode(code: ProtocolErrorCode): boolean {
    return this.code === code;
  }

  /** @returns whether `err` is a {@link ProtocolError}, optionally with the given `code`. */
  static is(err: unknown, code?: ProtocolErrorCode): err is ProtocolError {
    return err instanceof ProtocolError && (code === undefined || err.code === code);
  }
}
