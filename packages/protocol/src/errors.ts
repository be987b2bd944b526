/**
 * Errors of `@icws/protocol`. Every failure to encode or decode a protocol value is a
 * {@link ProtocolError} with a stable string `code`; decoders also say which field was wrong.
 */
import { defineErrorCodes, IcwsError } from './icws-error';

/** The codes of {@link ProtocolError} and what each means. */
export const PROTOCOL_ERROR_CODES = defineErrorCodes({
  ICWS_ERR_BAD_MESSAGE: { kind: 'protocol', summary: 'bytes from a peer are not valid CBOR, or not the expected CBOR shape (see `field`)' },
  ICWS_ERR_BAD_SERVICE_MESSAGE: { kind: 'protocol', summary: 'Candid bytes of a service message do not decode as `WebsocketServiceMessageContent`' },
  ICWS_ERR_BAD_CANDID: { kind: 'protocol', summary: 'Candid bytes (other than a service message) do not decode as the expected type' },
  ICWS_ERR_BAD_MESSAGE_KEY: { kind: 'protocol', summary: 'an outbound-queue message key is not `<gateway principal>_<20-digit nonce>`' },
  ICWS_ERR_BAD_CBOR: { kind: 'protocol', summary: 'a request body given to the strict envelope decoder is not one CBOR item' },
  ICWS_ERR_MALFORMED_ENVELOPE: { kind: 'protocol', summary: 'a request envelope lacks a field, has one of the wrong type, or one the spec does not define (see `field`)' },
  ICWS_ERR_DELEGATION_CHAIN_TOO_LONG: { kind: 'protocol', summary: "a request envelope's delegation chain is longer than `MAX_DELEGATIONS`" },
  ICWS_ERR_DELEGATION_TARGETS: { kind: 'protocol', summary: 'a delegation lists more than `MAX_DELEGATION_TARGETS` canisters' },
  ICWS_ERR_READ_STATE_TOO_LARGE: { kind: 'protocol', summary: 'a read_state request has more than `MAX_READ_STATE_PATHS` paths, or a path more than `MAX_PATH_LABELS` labels' },
  ICWS_ERR_INVALID_ARGUMENT: { kind: 'input', summary: 'a value handed to an encoder is out of range or of the wrong type (a bug of the caller)' },
});

/** One of the codes of {@link PROTOCOL_ERROR_CODES}. */
export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_CODES;

/** The codes of {@link ProtocolError} by name, for `err.hasCode(ProtocolErrorCode.BAD_MESSAGE)`. */
export const ProtocolErrorCode = {
  BAD_MESSAGE: 'ICWS_ERR_BAD_MESSAGE',
  BAD_SERVICE_MESSAGE: 'ICWS_ERR_BAD_SERVICE_MESSAGE',
  BAD_CANDID: 'ICWS_ERR_BAD_CANDID',
  BAD_MESSAGE_KEY: 'ICWS_ERR_BAD_MESSAGE_KEY',
  BAD_CBOR: 'ICWS_ERR_BAD_CBOR',
  MALFORMED_ENVELOPE: 'ICWS_ERR_MALFORMED_ENVELOPE',
  DELEGATION_CHAIN_TOO_LONG: 'ICWS_ERR_DELEGATION_CHAIN_TOO_LONG',
  DELEGATION_TARGETS: 'ICWS_ERR_DELEGATION_TARGETS',
  READ_STATE_TOO_LARGE: 'ICWS_ERR_READ_STATE_TOO_LARGE',
  INVALID_ARGUMENT: 'ICWS_ERR_INVALID_ARGUMENT',
} as const satisfies Record<string, ProtocolErrorCode>;

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
export class ProtocolError extends IcwsError<ProtocolErrorCode> {
  declare readonly kind: ProtocolErrorKind;
  /** Dotted path of the offending field, when the error is about one field. */
  readonly field: string | undefined;

  /**
   * @param code - stable machine-readable code, one of {@link PROTOCOL_ERROR_CODES}
   * @param message - human-readable explanation naming the problem
   * @param options - offending field and underlying cause
   */
  constructor(code: ProtocolErrorCode, message: string, options: ProtocolErrorOptions = {}) {
    super(code, message, { cause: options.cause, ...PROTOCOL_ERROR_CODES[code] });
    this.field = options.field;
  }

  /** @returns whether `err` is a {@link ProtocolError}, optionally with the given `code`. */
  static override is(err: unknown, code?: ProtocolErrorCode): err is ProtocolError {
    return err instanceof ProtocolError && (code === undefined || err.code === code);
  }
}
