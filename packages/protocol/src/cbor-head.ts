/**
 * The pieces of CBOR (RFC 8949) that every encoder of the wire shares: the self-describe tag and
 * the head of a data item, for the hand-written encoders of hash trees, certificates and replica
 * responses as much as for the generic encoder of frames and envelopes.
 */

/**
 * CBOR tag 55799 ("self-describe") as it prefixes an encoded item, `d9 d9 f7`: the IC puts it in
 * front of its CBOR, agents in front of their envelopes. Do not write into it.
 */
export const SELF_DESCRIBE_TAG: Uint8Array = Uint8Array.of(0xd9, 0xd9, 0xf7);

/** Major types of the items written by hand. */
export const MAJOR_UNSIGNED = 0;
export const MAJOR_BYTES = 2;
export const MAJOR_TEXT = 3;
export const MAJOR_ARRAY = 4;
export const MAJOR_MAP = 5;

/** @returns the size of the shortest head of an item whose argument (length or value) is `argument` (< 2^32). */
export function cborHeadSize(argument: number): number {
  if (argument < 24) return 1;
  if (argument < 0x100) return 2;
  if (argument < 0x10000) return 3;
  return 5;
}

/** Writes the shortest head of an item of `major` type with `argument` (< 2^32) at `at`. @returns the offset after it. */
export function writeCborHead(major: number, argument: number, out: Uint8Array, at: number): number {
  const type = major << 5;
  if (argument < 24) {
    out[at] = type | argument;
    return at + 1;
  }
  if (argument < 0x100) {
    out[at] = type | 24;
    out[at + 1] = argument;
    return at + 2;
  }
  if (argument < 0x10000) {
    out[at] = type | 25;
    out[at + 1] = argument >>> 8;
    out[at + 2] = argument & 0xff;
    return at + 3;
  }
  out[at] = type | 26;
  out[at + 1] = argument >>> 24;
  out[at + 2] = (argument >>> 16) & 0xff;
  out[at + 3] = (argument >>> 8) & 0xff;
  out[at + 4] = argument & 0xff;
  return at + 5;
}

/** @returns the shortest head of an item of `major` type with `argument` (< 2^32), on its own. */
export function cborHead(major: number, argument: number): Uint8Array {
  const out = new Uint8Array(cborHeadSize(argument));
  writeCborHead(major, argument, out, 0);
  return out;
}
