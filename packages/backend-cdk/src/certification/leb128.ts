/**
 * Unsigned LEB128, the encoding of numbers in certified state (`time`, `reject_code`).
 * Numbers below 2^31 take a bitwise fast path; larger values go through bigint.
 */
export function encodeUleb128(value: bigint | number): Uint8Array {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`encodeUleb128: expected a non-negative safe integer, got ${value}`);
    }
    if (value < 0x8000_0000) return encodeSmall(value);
    return encodeBig(BigInt(value));
  }
  if (value < 0n) throw new RangeError(`encodeUleb128: expected a non-negative integer, got ${value}`);
  return encodeBig(value);
}

function encodeSmall(value: number): Uint8Array {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  out.push(value);
  return Uint8Array.from(out);
}

function encodeBig(value: bigint): Uint8Array {
  const out: number[] = [];
  while (value >= 0x80n) {
    out.push(Number(value & 0x7fn) | 0x80);
    value >>= 7n;
  }
  out.push(Number(value));
  return Uint8Array.from(out);
}
