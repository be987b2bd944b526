import { generateKeyPairSync, sign } from 'node:crypto';
import { CachingSignatureVerifier } from './caching-verifier';
import { InThreadSignatureVerifier, type SignatureItem, type SignatureVerifier } from './signature-verifier';

const encoder = new TextEncoder();

function ed25519Item(text: string): SignatureItem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const message = encoder.encode(text);
  return { publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }), message, signature: sign(null, message, privateKey) };
}

/** Records every batch that reaches the real verifier. */
function counted(): { verifier: SignatureVerifier; batches: number[] } {
  const inner = new InThreadSignatureVerifier();
  const batches: number[] = [];
  return {
    batches,
    verifier: {
      verify(items) {
        batches.push(items.length);
        return inner.verify(items);
      },
    },
  };
}

describe('CachingSignatureVerifier', () => {
  describe('#verify', () => {
    it('checks a signature once and answers from the cache when it comes again', async () => {
      const { verifier, batches } = counted();
      const caching = new CachingSignatureVerifier(verifier);
      const item = ed25519Item('request');
      await expect(caching.verify([item])).resolves.toEqual([true]);
      await expect(caching.verify([{ ...item, signature: Uint8Array.from(item.signature) }])).resolves.toEqual([true]);
      expect(batches).toEqual([1]);
    });

    it('passes only the unknown items on, keeping the order of verdicts', async () => {
      const { verifier, batches } = counted();
      const caching = new CachingSignatureVerifier(verifier);
      const [a, b, c] = ['a', 'b', 'c'].map(ed25519Item);
      await caching.verify([b]);
      const forged = { ...c, signature: b.signature };
      await expect(caching.verify([a, b, forged, c])).resolves.toEqual([true, true, false, true]);
      expect(batches).toEqual([1, 3]);
    });

    it('does not let a cached success pass a different signature, message or key', async () => {
      const caching = new CachingSignatureVerifier(new InThreadSignatureVerifier());
      const item = ed25519Item('pay 10 to alice');
      const other = ed25519Item('pay 10 to alice');
      await expect(caching.verify([item])).resolves.toEqual([true]);

      const flipped = Uint8Array.from(item.signature);
      flipped[0] ^= 1;
      await expect(caching.verify([{ ...item, signature: flipped }])).resolves.toEqual([false]);
      await expect(caching.verify([{ ...item, message: encoder.encode('pay 99 to alice') }])).resolves.toEqual([false]);
      await expect(caching.verify([{ ...item, publicKeyDer: other.publicKeyDer }])).resolves.toEqual([false]);
      // Moving bytes between the message and the signature does not make the same cache entry.
      const shifted = { ...item, message: Uint8Array.of(...item.message, item.signature[0]), signature: item.signature.subarray(1) };
      await expect(caching.verify([shifted])).resolves.toEqual([false]);
      await expect(caching.verify([item])).resolves.toEqual([true]);
    });

    it('does not remember failures', async () => {
      const { verifier, batches } = counted();
      const caching = new CachingSignatureVerifier(verifier);
      const item = ed25519Item('request');
      const forged = { ...item, message: encoder.encode('another request') };
      await caching.verify([forged]);
      await caching.verify([forged]);
      expect(batches).toEqual([1, 1]);
      expect(caching.size).toBe(0);
    });

    it('keeps at most its capacity of signatures', async () => {
      const { verifier, batches } = counted();
      const caching = new CachingSignatureVerifier(verifier, 2);
      const [a, b, c] = ['a', 'b', 'c'].map(ed25519Item);
      await caching.verify([a, b, c]);
      expect(caching.size).toBe(2);
      await caching.verify([a]); // evicted as the least recently used
      expect(batches).toEqual([3, 1]);
    });

    it('lets errors of the inner verifier through and caches nothing from that batch', async () => {
      const caching = new CachingSignatureVerifier({ verify: () => Promise.reject(new Error('bad key')) });
      await expect(caching.verify([ed25519Item('x')])).rejects.toThrow('bad key');
      expect(caching.size).toBe(0);
    });
  });

  describe('#close', () => {
    it('closes the inner verifier', async () => {
      const close = jest.fn(async () => undefined);
      await new CachingSignatureVerifier({ verify: async () => [], close }).close();
      expect(close).toHaveBeenCalledTimes(1);
    });
  });
});
