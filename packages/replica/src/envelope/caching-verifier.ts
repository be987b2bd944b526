import { createHash, hash as oneShotHash } from 'node:crypto';
import { LruCache } from './lru-cache';
import type { SignatureItem, SignatureVerifier } from './signature-verifier';

/**
 * Verified signatures remembered by default. An entry costs about 150 bytes, so the default holds
 * a few MB; it should exceed the envelopes re-sent within their expiry (one per polling gateway and
 * canister, one per agent that rounds its query expiry to the minute).
 */
export const VERIFIED_CACHE_CAPACITY = 16_384;

/**
 * Remembers which signatures verified, so that an envelope sent again (a gateway polling
 * `ws_get_messages` with the same nonce, an agent whose query expiry is rounded to the minute)
 * skips the Ed25519 or ECDSA check. Only successes are kept: a failure is checked again every time,
 * so a forged request cannot evict good entries any faster than it pays for its own check.
 *
 * An entry's key is the sha256 of the key, the message and the signature, each prefixed with its
 * length, so a hit means those exact three byte strings verified before.
 */
export class CachingSignatureVerifier implements SignatureVerifier {
  readonly #verified: LruCache<string, true>;

  /**
   * @param inner - checks what the cache does not know
   * @param capacity - most signatures remembered @default VERIFIED_CACHE_CAPACITY
   */
  constructor(
    private readonly inner: SignatureVerifier,
    capacity = VERIFIED_CACHE_CAPACITY,
  ) {
    this.#verified = new LruCache(capacity);
  }

  /** Signatures remembered now; for tests and metrics. */
  get size(): number {
    return this.#verified.size;
  }

  async verify(items: readonly SignatureItem[]): Promise<boolean[]> {
    const keys = items.map(cacheKey);
    const unknown: number[] = [];
    keys.forEach((key, i) => {
      if (this.#verified.get(key) === undefined) unknown.push(i);
    });
    const verdicts: boolean[] = items.map(() => true);
    if (unknown.length === 0) return verdicts;
    const checked = await this.inner.verify(unknown.map((i) => items[i]));
    unknown.forEach((itemIndex, j) => {
      const ok = checked[j] === true;
      verdicts[itemIndex] = ok;
      if (ok) this.#verified.set(keys[itemIndex], true);
    });
    return verdicts;
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

// Text digests: a Buffer digest gets a native backing store, which costs more than the hashing.
const sha256Base64: (data: Uint8Array) => string =
  typeof oneShotHash === 'function'
    ? (data) => oneShotHash('sha256', data, 'base64')
    : (data) => createHash('sha256').update(data).digest('base64');

function cacheKey({ publicKeyDer, message, signature }: SignatureItem): string {
  const input = Buffer.allocUnsafe(12 + publicKeyDer.length + message.length + signature.length);
  let at = input.writeUInt32BE(publicKeyDer.length, 0);
  input.set(publicKeyDer, at);
  at = input.writeUInt32BE(message.length, at + publicKeyDer.length);
  input.set(message, at);
  at = input.writeUInt32BE(signature.length, at + message.length);
  input.set(signature, at);
  return sha256Base64(input);
}
