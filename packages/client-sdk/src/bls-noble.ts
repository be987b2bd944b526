/**
 * The pure-JavaScript BLS verifier of `@icp-sdk/core` (noble), on the calling thread: about 24 ms a
 * signature, with the key parsed and subgroup-checked each time. It runs everywhere, so it is the
 * last fallback (see `bls-verifier.ts`), and can be chosen outright.
 */
import { blsVerify } from '@icp-sdk/core/agent';
import type { BlsVerifier } from './bls-backend';

/** See the module comment. */
export class NobleBlsVerifier implements BlsVerifier {
  readonly backend = 'noble';

  async verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
    try {
      return await blsVerify(publicKey, signature, message);
    } catch {
      return false; // a key or signature that is not a valid point
    }
  }
}
