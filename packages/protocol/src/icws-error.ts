/**
 * The one error system of icws. Every package throws an {@link IcwsError} subclass whose `code` is
 * listed in that package's registry ({@link defineErrorCodes}); the registry says the code's
 * `kind`, what it means, and, where the error leaves the process, the HTTP status or WebSocket close
 * code it travels with. Codes are stable strings prefixed `ICWS_ERR_`; messages name the problem and
 * the fix.
 */

/**
 * Categories of failure, for callers that branch on the category rather than the exact code:
 *
 * - `input`: the caller passed a bad value or called at the wrong time (a bug or a bad request)
 * - `config`: a flag, option, file or module is missing or malformed
 * - `protocol`: a peer broke the IC WebSocket protocol (bad frame, sequence number, message)
 * - `trust`: a signature, delegation, certificate or tree did not verify
 * - `reject`: a canister or the replica refused a call
 * - `timeout`: a peer did not answer in time
 * - `closed`: a peer ended the connection
 * - `transport`: the network or the replica could not be reached
 * - `internal`: the process itself is shutting down or failed
 */
export type IcwsErrorKind = 'input' | 'config' | 'protocol' | 'trust' | 'reject' | 'timeout' | 'closed' | 'transport' | 'internal';

/** What a registry says of one error code. */
export interface ErrorCodeInfo {
  readonly kind: IcwsErrorKind;
  /** One line: when the error happens. The READMEs' error tables list the same codes. */
  readonly summary: string;
  /** The HTTP status an HTTP server answers with when the error refuses a request. */
  readonly httpStatus?: number;
  /** The WebSocket close code a connection ends with when the error ends it. */
  readonly closeCode?: number;
}

/** A package's error codes: code → what it means. */
export type ErrorCodeRegistry<Code extends string = string> = { readonly [C in Code]: ErrorCodeInfo };

/**
 * Declares a package's error codes. Keeps the literal code strings as the registry's keys, so the
 * package's error class accepts only its own codes.
 * @throws IcwsError `ICWS_ERR_INVALID_ARGUMENT` when a code does not start with `ICWS_ERR_`
 */
export function defineErrorCodes<const R extends Record<string, ErrorCodeInfo>>(registry: R): R {
  for (const code of Object.keys(registry)) {
    if (!/^ICWS_ERR_[A-Z0-9_]+$/.test(code)) {
      throw new IcwsError('ICWS_ERR_INVALID_ARGUMENT', `error code "${code}" must be ICWS_ERR_ followed by capitals, digits and underscores`, { kind: 'input' });
    }
  }
  return Object.freeze(registry);
}

/** Options of {@link IcwsError}. */
export interface IcwsErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
  /** @default 'internal' */
  readonly kind?: IcwsErrorKind;
  readonly httpStatus?: number;
  readonly closeCode?: number;
}

/** The base class of every error icws throws, rejects with or reports. */
export class IcwsError<Code extends string = string> extends Error {
  /** Category of the failure. */
  readonly kind: IcwsErrorKind;
  /** The HTTP status this error is answered with, where it refuses an HTTP request. */
  readonly httpStatus: number | undefined;
  /** The WebSocket close code this error ends a connection with, where it ends one. */
  readonly closeCode: number | undefined;

  /**
   * @param code - stable machine-readable code, `ICWS_ERR_…`
   * @param message - human-readable explanation that names the problem and the fix
   */
  constructor(
    readonly code: Code,
    message: string,
    options: IcwsErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = options.kind ?? 'internal';
    this.httpStatus = options.httpStatus;
    this.closeCode = options.closeCode;
  }

  /** @returns whether this error carries `code`. */
  hasCode(code: Code): boolean {
    return this.code === code;
  }

  /**
   * The code and message in one line, code first, as close reasons (cut to 123 bytes) and log
   * lines carry them.
   */
  get wireText(): string {
    return `${this.code}: ${this.message}`;
  }

  /** @returns whether `err` is an {@link IcwsError} of any package, optionally with `code`. */
  static is(err: unknown, code?: string): err is IcwsError {
    return err instanceof IcwsError && (code === undefined || err.code === code);
  }
}

/**
 * @returns the first `ICWS_ERR_…` code in a text that carries one (a close reason, an HTTP body),
 *   or undefined when it carries none
 */
export function codeOfWireText(text: string): string | undefined {
  return /\b(ICWS_ERR_[A-Z0-9_]*[A-Z0-9])\b/.exec(text)?.[1];
}

/** @returns a short description of `err` for a message, whatever was thrown. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
