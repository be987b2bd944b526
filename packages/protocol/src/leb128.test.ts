import { lebEncode } from '@icp-sdk/core/candid';
import { decodeUleb128, encodeUleb128 } from './leb128';

describe('encodeUleb128', () => {
  it('encodes the spec examples', () => {
    expect(encodeUleb128(0)).toEqual(Uint8Array.of(0));
    expect(encodeUleb128(127)).toEqual(Uint8Array.of(0x7f));
    expect(encodeUleb128(128)).toEqual(Uint8Array.of(0x80, 0x01));
    expect(encodeUleb128(624485)).toEqual(Uint8Array.of(0xe5, 0x8e, 0x26));
  });

  it('agrees with candid\'s lebEncode on numbers and bigints', () => {
    const values: Array<number | bigint> = [
      0, 1, 127, 128, 255, 256, 16383, 16384, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 2 ** 32, Number.MAX_SAFE_INTEGER,
      0n, 300n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, 1_700_000_000_123_456_789n, 2n ** 200n + 12345n,
    ];
    for (let i = 0; i < 200; i++) values.push(Math.floor(Math.random() * 2 ** (1 + (i % 53))));
    for (const value of values) expect([value, encodeUleb128(value)]).toEqual([value, lebEncode(value)]);
  });

  it('gives numbers and equal bigints the same bytes', () => {
    expect(encodeUleb128(2 ** 40 + 5)).toEqual(encodeUleb128(2n ** 40n + 5n));
  });

  it('rejects negative, fractional and unsafe numbers', () => {
    expect(() => encodeUleb128(-1)).toThrow(RangeError);
    expect(() => encodeUleb128(-1n)).toThrow(RangeError);
    expect(() => encodeUleb128(1.5)).toThrow(RangeError);
    expect(() => encodeUleb128(Number.NaN)).toThrow(RangeError);
    expect(() => encodeUleb128(2 ** 53)).toThrow(RangeError);
  });
});

describe('decodeUleb128', () => {
  it.each([0n, 1n, 127n, 128n, 624485n, 2n ** 31n, 1_796_171_449_507_000_001n, 2n ** 64n - 1n])('reads back %s', (value) => {
    expect(decodeUleb128(encodeUleb128(value))).toBe(value);
  });

  it('refuses bytes that end inside a number', () => {
    expect(() => decodeUleb128(Uint8Array.of(0x80, 0x80))).toThrow(RangeError);
  });
});
