/**
 * Byte helpers every package needs and the platform lacks a one-liner for: equality and hex text.
 * Written without `Buffer`, so they run in browsers too.
 */

const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** @returns whether `a` and `b` hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  // From the end: certificates and CBOR bodies of one sender share their heads and differ last
  // (signature, nonce), so unequal ones are told apart sooner.
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/** @returns `bytes` as lowercase hexadecimal text, two digits a byte. */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_DIGITS[bytes[i]];
  return out;
}
