import { bytesOf, latin1 } from './latin1';

describe('latin1 byte strings', () => {
  it('keep every byte value, in short keys and long values alike', () => {
    for (const length of [0, 1, 32, 64, 65, 256]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 151 + 255) & 0xff);
      const text = latin1(bytes);
      expect(text.length).toBe(length);
      expect(bytesOf(text)).toEqual(bytes);
    }
  });

  it('read the view a subarray gives, not its whole buffer', () => {
    const whole = Uint8Array.from({ length: 48 }, (_, i) => i);
    expect(bytesOf(latin1(whole.subarray(8, 40)))).toEqual(whole.slice(8, 40));
  });

  it('compare as their bytes do', () => {
    const low = Uint8Array.of(0x7f, 0xff);
    const high = Uint8Array.of(0x80, 0x00);
    expect(latin1(low) < latin1(high)).toBe(true);
  });
});
