import { ReplicaError, type ReplicaErrorCode } from '../errors';

/**
 * HTTP statuses a refused request envelope maps to: 400 for malformed or out-of-policy requests
 * (wrong endpoint, expired, other canister), 403 when authentication fails (signature, sender,
 * delegation), 413 when the body is too large to read at all.
 */
export type EnvelopeStatus = 400 | 403 | 413;

/**
 * A request envelope the replica refuses, with the HTTP status to answer with, so the HTTP layer
 * does not need to know every code; 403s are `trust` failures, the rest are `input` failures.
 */
export class EnvelopeError extends ReplicaError {
  declare readonly httpStatus: EnvelopeStatus;

  /**
   * @param status - HTTP status to answer with; the code's own in the registry
   * @param code - stable code, e.g. `ICWS_ERR_BAD_SIGNATURE`
   * @param message - names the problem and says what to do
   */
  constructor(
    readonly status: EnvelopeStatus,
    code: ReplicaErrorCode,
    message: string,
  ) {
    super(code, message, { httpStatus: status });
  }
}
