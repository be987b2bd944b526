import { equalBytes, hex } from './bytes';

describe('equalBytes', () => {
  it('is true for the same bytes in different buffers', () => {
    expect(equalBytes(Uint8Array.of(1, 2, 3), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it('is false when a byte or the length differs', () => {
    expect(equalBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBe(false);
  });

  it('compares views by their own bytes, not by their buffers', () => {
    const buffer = Uint8Array.of(9, 1, 2, 9);
    expect(equalBytes(buffer.subarray(1, 3), Uint8Array.of(1, 2))).toBe(true);
  });
});

describe('hex', () => {
  it('writes two lowercase digits a byte, as Buffer does', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(hex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
  });

  it('writes only the bytes of a view', () => {
    expect(hex(Uint8Array.of(0xff, 0x0a, 0xbc).subarray(1))).toBe('0abc');
    expect(hex(new Uint8Array(0))).toBe('');
  });
});
