/**
 * Principals seen again and again (a client on every message, a gateway on every poll, a canister
 * on every request) kept in one object each, with their text form computed once: `toText()`
 * computes a CRC32 and base32 on every call, and decoding makes a new object per message.
 */
import { Principal } from '@icp-sdk/core/principal';
import { MAX_PRINCIPAL_BYTES } from './envelope-limits';

/** Principals remembered by {@link principalFromBytes}: more than the clients of a busy canister. */
export const PRINCIPAL_CACHE_CAPACITY = 16_384;

const texts = new WeakMap<object, string>();
/** By the bytes as latin1 text (one character a byte), in the order they were last used. */
const byBytes = new Map<string, Principal>();

/**
 * @returns `principal.toText()`, remembered for the object (held weakly), so asking again for the
 * same object costs a map lookup.
 */
export function principalText(principal: Principal): string {
  let text = texts.get(principal);
  if (text === undefined) {
    text = principal.toText();
    texts.set(principal, text);
  }
  return text;
}

/**
 * @returns a principal of `bytes` (copied, so a view into a larger buffer does not keep it alive):
 * the same object as the last time these bytes were asked for while they are among the
 * {@link PRINCIPAL_CACHE_CAPACITY} most recent (longer byte strings than a principal's 29 are
 * not remembered). Treat it as immutable.
 */
export function principalFromBytes(bytes: Uint8Array): Principal {
  if (bytes.length > MAX_PRINCIPAL_BYTES) return Principal.fromUint8Array(bytes.slice());
  const key = latin1(bytes);
  const cached = byBytes.get(key);
  if (cached !== undefined) {
    byBytes.delete(key);
    byBytes.set(key, cached);
    return cached;
  }
  const principal = Principal.fromUint8Array(bytes.slice());
  if (byBytes.size >= PRINCIPAL_CACHE_CAPACITY) byBytes.delete(byBytes.keys().next().value!);
  byBytes.set(key, principal);
  return principal;
}

/** A principal has at most 29 bytes: building the key char by char beats a decoder. */
function latin1(bytes: Uint8Array): string {
  let key = '';
  for (let i = 0; i < bytes.length; i++) key += String.fromCharCode(bytes[i]);
  return key;
}
