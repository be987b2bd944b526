/**
 * The interface of a BLS signature verifier (see `bls-verifier.ts` for the ones the SDK has and how
 * one is chosen), and the error by which a verifier says that it cannot run here.
 */

/**
 * Checks BLS12-381 "min-sig" signatures, the IC's: keys on G2, signatures on G1, hash-to-curve
 * with the tag `BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`.
 */
export interface BlsVerifier {
  /** What runs the checks (`worker`, `wasm`, `noble`, or a name of the application's own), for diagnostics. */
  readonly backend: string;
  /**
   * @param publicKey - the signer's key: a compressed G2 point (96 bytes), without its DER prefix
   * @param signature - a compressed G1 point (48 bytes)
   * @param message - the signed bytes
   * @returns whether `signature` is the key's signature of `message`: `false` also for a key or a
   *   signature that is not a valid point
   * @throws {BackendUnavailableError} when this verifier cannot run here (the check did not happen)
   */
  verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean>;
  /** Starts whatever the first check needs (a worker, a WebAssembly module) ahead of it. Optional. */
  warmUp?(): void;
  /** Releases what the verifier holds (a worker). Optional. */
  close?(): Promise<void>;
}

/** A verifier cannot run in this environment, or stopped running: no verdict was reached. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';

  /**
   * @param message - why
   * @param options - the underlying error, if any
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}
