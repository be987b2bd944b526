/**
 * Remembers which signatures verified, so the same signature over the same message under the same
 * key is checked once. A delegation is such a signature: every certificate of a subnet carries the
 * same delegation certificate, signed by the root key, for weeks (mainnet) or for the replica's
 * life, so after the first certificate only the subnet's own signature needs a pairing. Entries are
 * found by the signature's bytes and confirmed by comparing key and message byte for byte; only
 * signatures that verified are kept, so a gateway sending forged ones cannot fill the cache. A
 * check under way is shared too: the sockets of one process that receive the same poll's
 * certificate at once wait for one pairing, not one each.
 */
import { equalBytes } from '@icws/protocol';
import type { BlsVerifier } from './bls-backend';

/** Signatures remembered: a few delegations, and certificates checked more than once. */
const VERDICTS_CACHED = 64;
/** A compressed G1 point: the only length a signature of the scheme has. */
const SIGNATURE_BYTES = 48;

/** A signature's key and message: what it verified for, or what a check under way checks. */
interface Signed {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
}

/** Checks through `inner` what it has not seen verify before; see the module comment. */
export class VerdictCachingBlsVerifier implements BlsVerifier {
  readonly #inner: BlsVerifier;
  readonly #capacity: number;
  /** By signature; insertion order is eviction order. */
  readonly #verified = new Map<string, Signed>();
  /** Checks under way, by signature: callers asking for the same triple meanwhile share the verdict. */
  readonly #pending = new Map<string, Signed & { readonly check: Promise<boolean> }>();

  /**
   * @param inner - the verifier that checks what is not cached
   * @param capacity - verified signatures remembered @default 64
   */
  constructor(inner: BlsVerifier, capacity = VERDICTS_CACHED) {
    this.#inner = inner;
    this.#capacity = capacity;
  }

  get backend(): string {
    return this.#inner.backend;
  }

  warmUp(): void {
    this.#inner.warmUp?.();
  }

  async verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
    // not a signature of the scheme: nothing to remember, the inner verifier says no
    if (signature.length !== SIGNATURE_BYTES) return this.#inner.verify(publicKey, signature, message);
    const id = String.fromCharCode.apply(null, signature as unknown as number[]);
    if (isFor(this.#verified.get(id), publicKey, message)) return true;
    const pending = this.#pending.get(id);
    if (isFor(pending, publicKey, message)) return pending!.check;
    const check = this.#check(id, publicKey, signature, message);
    // the same signature under another key or message (a forgery) waits for its own verdict
    if (pending === undefined) this.#pending.set(id, { publicKey, message, check });
    return check;
  }

  async #check(id: string, publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
    try {
      const valid = await this.#inner.verify(publicKey, signature, message);
      if (valid) {
        this.#verified.delete(id);
        // copies: the caller's key is a view into a whole certificate
        this.#verified.set(id, { publicKey: publicKey.slice(), message: message.slice() });
        if (this.#verified.size > this.#capacity) this.#verified.delete(this.#verified.keys().next().value!);
      }
      return valid;
    } finally {
      if (isFor(this.#pending.get(id), publicKey, message)) this.#pending.delete(id);
    }
  }

  async close(): Promise<void> {
    await this.#inner.close?.();
  }
}

/** @returns whether `signed` is for exactly `publicKey` and `message`. */
function isFor(signed: Signed | undefined, publicKey: Uint8Array, message: Uint8Array): boolean {
  return signed !== undefined && equalBytes(signed.publicKey, publicKey) && equalBytes(signed.message, message);
}
