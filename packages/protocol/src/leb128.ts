/**
 * Unsigned LEB128, the encoding of numbers in certified state (`time`, `reject_code`) and of natural
 * numbers in request ids. Numbers below 2^31 take a bitwise fast path; larger values go through
 * bigint.
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

/**
 * @returns the number in unsigned LEB128 `bytes` (e.g. a certificate's `time` in nanoseconds)
 * @throws RangeError when the bytes end before the number does
 */
export function decodeUleb128(bytes: Uint8Array): bigint {
  let value = 0n;
  let shift = 0n;
  for (const byte of bytes) {
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return value;
    shift += 7n;
  }
  throw new RangeError(`decodeUleb128: ${bytes.length} bytes end inside a number`);
}
