import { createHash, hash as oneShotHash } from 'node:crypto';

/**
 * Values the representation-independent hash covers (IC interface spec, "Request ids"): text, blobs,
 * natural numbers, arrays of those, and nested maps.
 */
export type HashableValue = string | Uint8Array | bigint | number | readonly HashableValue[] | HashableMap | undefined;
export interface HashableMap {
  readonly [key: string]: HashableValue;
}

const encoder = new TextEncoder();
// Field names repeat in every request, so their hashes are kept; only short names are cached and
// the cache is capped so hostile maps cannot grow it.
const keyHashes = new Map<string, Uint8Array>();
const MAX_CACHED_KEYS = 256;
// So do most short values: request type, method, canister and sender, small arguments, an expiry
// rounded to the minute. A hash costs ~1.7 µs through node:crypto, a lookup a fraction of that.
// Nonces and request ids (in query replies), made not to repeat, are not cached; the cache is
// emptied when full, so values that never repeat cannot make it grow.
const valueHashes = new Map<string, Uint8Array>();
const MAX_CACHED_VALUES = 4096;
const MAX_CACHED_VALUE_BYTES = 64;
const UNCACHED_FIELDS: ReadonlySet<string> = new Set(['nonce', 'request_id']);

// crypto.hash (Node >= 20.12) is about 1.7x faster than createHash for the short inputs hashed here.
const sha256: (data: Uint8Array) => Uint8Array =
  typeof oneShotHash === 'function'
    ? (data) => oneShotHash('sha256', data, 'buffer')
    : (data) => createHash('sha256').update(data).digest();

/**
 * @returns the request id of a request content (or of a delegation): the sha256 of the sorted,
 * concatenated hashes of its fields. Gives the same ids as `requestIdOf` of `@dfinity/agent`,
 * about 2.7x faster, because it uses node:crypto instead of a JavaScript sha256.
 */
export function requestIdOf<T extends { readonly [K in keyof T]: HashableValue }>(content: T): Uint8Array {
  return hashOfMap(content as HashableMap);
}

function hashOfMap(map: HashableMap): Uint8Array {
  const pairs: Array<{ key: Uint8Array; value: Uint8Array }> = [];
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (value === undefined) continue;
    pairs.push({ key: hashOfKey(key), value: UNCACHED_FIELDS.has(key) ? hashOfValue(value, false) : hashOfValue(value) });
  }
  pairs.sort((a, b) => compareHashes(a.key, b.key));
  const joined = new Uint8Array(pairs.length * 64);
  for (let i = 0; i < pairs.length; i++) {
    joined.set(pairs[i].key, i * 64);
    joined.set(pairs[i].value, i * 64 + 32);
  }
  return sha256(joined);
}

/** Byte order of two hashes; they nearly always differ in the first byte. */
function compareHashes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function hashOfKey(key: string): Uint8Array {
  let cached = keyHashes.get(key);
  if (cached === undefined) {
    cached = sha256(encoder.encode(key));
    if (keyHashes.size < MAX_CACHED_KEYS && key.length <= 32) keyHashes.set(key, cached);
  }
  return cached;
}

function hashOfValue(value: Exclude<HashableValue, undefined>, cache = true): Uint8Array {
  if (typeof value === 'string') return cache && value.length <= MAX_CACHED_VALUE_BYTES ? cachedHash(`s${value}`, value) : sha256(encoder.encode(value));
  if (value instanceof Uint8Array) {
    if (!cache || value.length > MAX_CACHED_VALUE_BYTES) return sha256(value);
    return cachedHash(`b${Buffer.from(value.buffer, value.byteOffset, value.length).toString('latin1')}`, value);
  }
  if (typeof value === 'bigint' || typeof value === 'number') return cache ? cachedHash(`n${value}`, value) : sha256(leb128(value));
  if (Array.isArray(value)) {
    const items = value as readonly HashableValue[];
    const joined = new Uint8Array(items.length * 32);
    items.forEach((item, i) => {
      if (item === undefined) throw new TypeError('cannot hash undefined inside an array');
      joined.set(hashOfValue(item), i * 32);
    });
    return sha256(joined);
  }
  return hashOfMap(value as HashableMap);
}

/** @returns the hash of a short value, from the cache under `id` when it was hashed before. */
function cachedHash(id: string, value: string | Uint8Array | bigint | number): Uint8Array {
  let hash = valueHashes.get(id);
  if (hash === undefined) {
    hash = sha256(typeof value === 'string' ? encoder.encode(value) : value instanceof Uint8Array ? value : leb128(value));
    if (valueHashes.size >= MAX_CACHED_VALUES) valueHashes.clear();
    valueHashes.set(id, hash);
  }
  return hash;
}

/** @returns `n` as unsigned LEB128, the spec's encoding of natural numbers in request ids. */
function leb128(n: bigint | number): Uint8Array {
  let rest = BigInt(n);
  if (rest < 0n) throw new RangeError(`cannot hash the negative number ${rest}; request ids cover natural numbers only`);
  const bytes: number[] = [];
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest !== 0n) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0n);
  return Uint8Array.from(bytes);
}
