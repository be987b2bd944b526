import { verifySignature } from './verify-signature';

/** One signature to check: `signature` over `message` by the key in `publicKeyDer` (DER SPKI). */
export interface SignatureItem {
  publicKeyDer: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * Checks batches of signatures. An interface so that the work, the costliest part of validating a
 * request, can move to a pool of worker threads without touching the validation rules.
 */
export interface SignatureVerifier {
  /**
   * @returns one verdict per item, in order
   * @throws EnvelopeError when a key is of an unsupported type or does not parse
   */
  verify(items: readonly SignatureItem[]): Promise<boolean[]>;
  /** Releases threads or other resources, when the verifier holds any. */
  close?(): Promise<void>;
}

/** Verifies on the calling thread; fine until signature checks saturate the event loop. */
export class InThreadSignatureVerifier implements SignatureVerifier {
  async verify(items: readonly SignatureItem[]): Promise<boolean[]> {
    return items.map((item) => verifySignature(item.publicKeyDer, item.message, item.signature));
  }
}
