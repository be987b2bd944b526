import { sha256 as nobleSha256 } from '@noble/hashes/sha2';
import { sha256 } from './sha256';

describe('sha256', () => {
  it('matches @noble/hashes for short and long inputs', () => {
    for (const length of [0, 1, 32, 55, 56, 64, 100, 1000]) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      expect(sha256(data)).toEqual(nobleSha256(data));
    }
  });

  it('returns a plain 32-byte Uint8Array, not a Buffer', () => {
    const digest = sha256(new Uint8Array(3));
    expect(digest.constructor).toBe(Uint8Array);
    expect(digest.length).toBe(32);
  });
});
