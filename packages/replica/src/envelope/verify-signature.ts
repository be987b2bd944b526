import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { EnvelopeError } from './envelope-error';
import { LruCache } from './lru-cache';
import { keyTypeOf, type KeyType } from './spki';

/** Parsed keys kept; a session key signs many requests, so parsing each DER once pays off. */
export const KEY_CACHE_CAPACITY = 1024;

interface ParsedKey {
  type: KeyType;
  key: KeyObject;
}

const keys = new LruCache<string, ParsedKey>(KEY_CACHE_CAPACITY);

/**
 * Verifies `signature` over `message` by the key in `publicKeyDer` the way the IC does: Ed25519
 * over the message itself, ECDSA (P-256, secp256k1) over its sha256 with the signature as the
 * 64 bytes r ‖ s. Node's OpenSSL parses the SPKI DER of all three as @dfinity/identity produces it.
 *
 * @returns whether the signature is valid
 * @throws EnvelopeError 400 `ICWS_ERR_UNSUPPORTED_KEY` naming the key type (e.g. canister
 *   signatures, WebAuthn), or 400 `ICWS_ERR_BAD_PUBLIC_KEY` when the key does not parse
 */
export function verifySignature(publicKeyDer: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const { type, key } = parsedKey(publicKeyDer);
  if (signature.length !== 64) return false;
  try {
    return type === 'ed25519' ? verify(null, message, key, signature) : verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

// Supported keys are under 100 bytes of DER; longer ones are parsed (and refused) uncached.
const MAX_CACHED_DER_BYTES = 256;

function parsedKey(der: Uint8Array): ParsedKey {
  const id = der.length <= MAX_CACHED_DER_BYTES ? Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('hex') : undefined;
  const cached = id === undefined ? undefined : keys.get(id);
  if (cached !== undefined) return cached;
  const type = keyTypeOf(der);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (err) {
    throw badPublicKey(type, (err as Error).message);
  }
  const parsed = { type, key };
  if (id !== undefined) keys.set(id, parsed);
  return parsed;
}

/**
 * @returns the error for a key of a supported type that OpenSSL cannot parse
 * @internal
 */
export function badPublicKey(type: KeyType, reason: string): EnvelopeError {
  return new EnvelopeError(400, 'ICWS_ERR_BAD_PUBLIC_KEY', `public key does not parse as ${type} (${reason}); send the key as @dfinity/identity's toDer() produces it`);
}
