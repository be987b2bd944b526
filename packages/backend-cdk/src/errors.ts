/**
 * Errors of `@icws/backend-cdk`. Every error is an {@link IcwsError} with a `kind` and a stable
 * string `code` that callers test with {@link IcwsError.hasCode}; messages say what went wrong and
 * what to do about it.
 */

/** Broad classes of failure, for callers that branch on the category rather than the exact code. */
export type IcwsErrorKind =
  | 'input' // the caller sent something malformed or refused by policy
  | 'trust' // a signature, delegation or certificate did not verify
  | 'reject' // a canister rejected a call
  | 'config' // the replica or a canister module was set up wrongly
  | 'internal';

/** Base class of every error this package throws. */
export class IcwsError extends Error {
  /**
   * @param kind - category of the failure
   * @param code - stable machine-readable code, e.g. `ICWS_ERR_INVALID_SIGNATURE`
   * @param message - human-readable explanation that names the problem
   */
  constructor(
    readonly kind: IcwsErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** @returns whether this error carries `code`. */
  hasCode(code: string): boolean {
    return this.code === code;
  }
}
