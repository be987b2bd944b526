/**
 * Remembers which signatures verified, so the same signature over the same message under the same
 * key is checked once. A delegation is such a signature: every certificate of a subnet carries the
 * same delegation certificate, signed by the root key, for weeks (mainnet) or for the replica's
 * life, so after the first certificate only the subnet's own signature needs a pairing. Entries are
 * found by their exact bytes; only signatures that verified are kept, so a gateway sending forged
 * ones cannot fill the cache. A check under way is shared too: the sockets of one process that
 * receive the same poll's certificate at once wait for one pairing, not one each.
 */
import type { BlsVerifier } from './bls-backend';

/** Signatures remembered: a few delegations, and certificates checked more than once. */
const VERDICTS_CACHED = 64;

/** Checks through `inner` what it has not seen verify before; see the module comment. */
export class VerdictCachingBlsVerifier implements BlsVerifier {
  readonly #inner: BlsVerifier;
  readonly #capacity: number;
  /** Insertion order is eviction order. */
  readonly #verified = new Set<string>();
  /** Checks under way, by the same id: callers asking meanwhile share the verdict. */
  readonly #pending = new Map<string, Promise<boolean>>();

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
    const id = idOf(publicKey, signature, message);
    if (this.#verified.has(id)) return true;
    const pending = this.#pending.get(id);
    if (pending !== undefined) return pending;
    const check = this.#check(id, publicKey, signature, message);
    this.#pending.set(id, check);
    return check;
  }

  async #check(id: string, publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
    try {
      const valid = await this.#inner.verify(publicKey, signature, message);
      if (valid) {
        this.#verified.add(id);
        if (this.#verified.size > this.#capacity) this.#verified.delete(this.#verified.values().next().value!);
      }
      return valid;
    } finally {
      this.#pending.delete(id);
    }
  }

  async close(): Promise<void> {
    await this.#inner.close?.();
  }
}

/** The three byte strings as one string, each preceded by its length so that no two triples collide. */
function idOf(...parts: Uint8Array[]): string {
  let id = '';
  for (const part of parts) {
    id += String.fromCharCode(part.length & 0xffff, part.length >>> 16);
    for (let i = 0; i < part.length; i++) id += String.fromCharCode(part[i]!);
  }
  return id;
}
