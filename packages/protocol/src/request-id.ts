/**
 * Request ids: the representation-independent hash of the IC interface specification ("Request
 * ids"), which senders sign and replicas and nodes recompute. A map hashes to the sha256 of the
 * sorted, concatenated (hash of key, hash of value) pairs of its defined fields; text hashes as
 * its UTF-8 bytes, blobs as themselves, natural numbers as unsigned LEB128, arrays as the
 * concatenated hashes of their items, principals as their bytes.
 *
 * Browser-safe: the default sha256 is JavaScript (`@noble/hashes`); a host with a native sha256
 * makes its own {@link RequestIdOf} with {@link createRequestIdOf}.
 */
import { encodeUleb128 } from './leb128';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';

/** A principal as agents hold it: anything that gives its bytes (`Principal` of `@dfinity/principal`). */
export interface PrincipalBytes {
  toUint8Array(): Uint8Array;
}

/** Values the representation-independent hash covers. `undefined` fields of a map are left out. */
export type HashableValue = string | Uint8Array | bigint | number | PrincipalBytes | readonly HashableValue[] | HashableMap | undefined;

/** A map of field names to {@link HashableValue}s, such as a request content or a delegation. */
export interface HashableMap {
  readonly [key: string]: HashableValue;
}

/** A sha256 function: 32 bytes out. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/**
 * Computes the request id of a request content (or of a delegation, or of a query reply).
 * @throws {RangeError} for a negative number; {@link TypeError} for `undefined` in an array
 */
export type RequestIdOf = <T extends { readonly [K in keyof T]: HashableValue }>(content: T) => Uint8Array;

// Field names repeat in every request, so their hashes are kept; only short names are cached and
// the cache is capped so hostile maps cannot grow it.
const MAX_CACHED_KEYS = 256;
const MAX_CACHED_KEY_LENGTH = 32;
// So do most short values: request type, method, canister and sender, small arguments, an expiry
// rounded to the minute. A lookup costs a fraction of a hash. Nonces and request ids (in query
// replies), made not to repeat, are not cached; the cache is emptied when full, so values that
// never repeat cannot make it grow.
const MAX_CACHED_VALUES = 4096;
const MAX_CACHED_VALUE_BYTES = 64;
const UNCACHED_FIELDS: ReadonlySet<string> = new Set(['nonce', 'request_id']);

const utf8 = new TextEncoder();

/**
 * @param sha256 - the hash function; inject a native one where the platform has it (node:crypto's
 *   one-shot `hash` is several times faster than JavaScript for the short inputs hashed here)
 * @returns a {@link RequestIdOf} with caches of its own for field names and short values
 */
export function createRequestIdOf(sha256: Sha256): RequestIdOf {
  const keyHashes = new Map<string, Uint8Array>();
  const valueHashes = new Map<string, Uint8Array>();

  const hashOfMap = (map: HashableMap): Uint8Array => {
    const pairs: Array<{ key: Uint8Array; value: Uint8Array }> = [];
    for (const key of Object.keys(map)) {
      const value = map[key];
      if (value === undefined) continue;
      pairs.push({ key: hashOfKey(key), value: hashOfValue(value, !UNCACHED_FIELDS.has(key)) });
    }
    pairs.sort((a, b) => compareHashes(a.key, b.key));
    const joined = new Uint8Array(pairs.length * 64);
    for (let i = 0; i < pairs.length; i++) {
      joined.set(pairs[i].key, i * 64);
      joined.set(pairs[i].value, i * 64 + 32);
    }
    return sha256(joined);
  };

  const hashOfKey = (key: string): Uint8Array => {
    let cached = keyHashes.get(key);
    if (cached === undefined) {
      cached = sha256(utf8.encode(key));
      if (keyHashes.size < MAX_CACHED_KEYS && key.length <= MAX_CACHED_KEY_LENGTH) keyHashes.set(key, cached);
    }
    return cached;
  };

  const hashOfValue = (value: Exclude<HashableValue, undefined>, cache: boolean): Uint8Array => {
    if (typeof value === 'string') return cache && value.length <= MAX_CACHED_VALUE_BYTES ? cachedHash(`s${value}`, value) : sha256(utf8.encode(value));
    if (value instanceof Uint8Array) return cache && value.length <= MAX_CACHED_VALUE_BYTES ? cachedHash(`b${byteText(value)}`, value) : sha256(value);
    if (typeof value === 'bigint' || typeof value === 'number') return cache ? cachedHash(`n${value}`, value) : sha256(leb128(value));
    if (Array.isArray(value)) {
      const items = value as readonly HashableValue[];
      const joined = new Uint8Array(items.length * 32);
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (item === undefined) throw new TypeError('cannot hash undefined inside an array; request ids leave out only undefined map fields');
        joined.set(hashOfValue(item, true), i * 32);
      }
      return sha256(joined);
    }
    if (isPrincipal(value)) return hashOfValue(value.toUint8Array(), cache);
    return hashOfMap(value as HashableMap);
  };

  /** @returns the hash of a short value, from the cache under `id` when it was hashed before. */
  const cachedHash = (id: string, value: string | Uint8Array | bigint | number): Uint8Array => {
    let hash = valueHashes.get(id);
    if (hash === undefined) {
      hash = sha256(typeof value === 'string' ? utf8.encode(value) : value instanceof Uint8Array ? value : leb128(value));
      if (valueHashes.size >= MAX_CACHED_VALUES) valueHashes.clear();
      valueHashes.set(id, hash);
    }
    return hash;
  };

  return <T extends { readonly [K in keyof T]: HashableValue }>(content: T): Uint8Array => hashOfMap(content as HashableMap);
}

/**
 * The request id of `content`, hashed with the JavaScript sha256 of `@noble/hashes`. Gives the
 * same ids as `requestIdOf` of `@dfinity/agent`.
 */
export const requestIdOf: RequestIdOf = createRequestIdOf((data) => nobleSha256(data));

/** Byte order of two hashes; they nearly always differ in the first byte. */
function compareHashes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function isPrincipal(value: object): value is PrincipalBytes {
  return typeof (value as Partial<PrincipalBytes>).toUint8Array === 'function';
}

/** @returns the bytes of a short blob as a string of char codes 0-255, a cache key. */
function byteText(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** @returns `n` as unsigned LEB128, the spec's encoding of natural numbers in request ids. */
function leb128(n: bigint | number): Uint8Array {
  if (n < 0) throw new RangeError(`cannot hash the negative number ${n}; request ids cover natural numbers only`);
  return encodeUleb128(n);
}
