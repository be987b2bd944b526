import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { DER_COSE_OID, wrapDER } from '@icp-sdk/core/agent';
import { ECDSAKeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { CryptoWorkerPool } from './crypto-worker-pool';
import type { SignatureItem } from './envelope/signature-verifier';
import { verifySignature } from './envelope/verify-signature';

const message = new TextEncoder().encode('\x0Aic-request and then a request id');

function ed25519Item(text = 'a request'): SignatureItem {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const bytes = new TextEncoder().encode(text);
  return { publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }), message: bytes, signature: sign(null, bytes, privateKey) };
}

function flipped(item: SignatureItem): SignatureItem {
  const signature = Uint8Array.from(item.signature);
  signature[7] ^= 1;
  return { ...item, signature };
}

describe('CryptoWorkerPool', () => {
  let pool: CryptoWorkerPool;
  afterEach(() => pool?.close());

  describe('#verify', () => {
    it('gives the verdicts of verifySignature for Ed25519, ECDSA P-256 and secp256k1 keys, in order', async () => {
      pool = new CryptoWorkerPool({ size: 2 });
      const p256 = await ECDSAKeyIdentity.generate();
      const k256 = Secp256k1KeyIdentity.generate();
      const good = [
        ed25519Item(),
        { publicKeyDer: p256.getPublicKey().toDer(), message, signature: new Uint8Array(await p256.sign(message)) },
        { publicKeyDer: k256.getPublicKey().toDer(), message, signature: new Uint8Array(await k256.sign(message)) },
      ];
      const items = [...good, ...good.map(flipped), { ...good[0], signature: good[0].signature.subarray(1) }];
      const expected = items.map((item) => verifySignature(item.publicKeyDer, item.message, item.signature));
      expect(expected).toEqual([true, true, true, false, false, false, false]);
      await expect(pool.verify(items)).resolves.toEqual(expected);
    });

    it('sends the signatures asked for in one tick as one batch per worker', async () => {
      pool = new CryptoWorkerPool({ size: 2, inThreadMaxBatch: 0 });
      const items = Array.from({ length: 10 }, (_, i) => ed25519Item(`request ${i}`));
      const verdicts = await Promise.all(items.map((item) => pool.verify([item])));
      expect(verdicts).toEqual(items.map(() => [true]));
      expect(pool.stats).toEqual({ batches: 2, operations: 10, inThread: 0 });
    });

    it('checks a tick of one or two signatures on the calling thread by default, while no worker is busy', async () => {
      pool = new CryptoWorkerPool({ size: 1 });
      await expect(pool.verify([ed25519Item(), ed25519Item()])).resolves.toEqual([true, true]);
      await expect(pool.verify([flipped(ed25519Item())])).resolves.toEqual([false]);
      expect(pool.stats).toEqual({ batches: 0, operations: 0, inThread: 3 });
      await expect(pool.verify([ed25519Item(), ed25519Item(), ed25519Item()])).resolves.toEqual([true, true, true]);
      expect(pool.stats).toEqual({ batches: 1, operations: 3, inThread: 3 });
    });

    it('checks a tiny batch on the calling thread when asked to and no worker is busy', async () => {
      pool = new CryptoWorkerPool({ size: 1, inThreadMaxBatch: 2 });
      await expect(pool.verify([ed25519Item()])).resolves.toEqual([true]);
      expect(pool.stats).toEqual({ batches: 0, operations: 0, inThread: 1 });
    });

    it('refuses an unsupported key type on the calling thread, by name', async () => {
      pool = new CryptoWorkerPool({ size: 1 });
      const webAuthn = { publicKeyDer: wrapDER(new Uint8Array(77), DER_COSE_OID), message, signature: new Uint8Array(64) };
      await expect(pool.verify([ed25519Item(), webAuthn])).rejects.toMatchObject({ code: 'ICWS_ERR_UNSUPPORTED_KEY', message: expect.stringContaining('WebAuthn') });
      expect(pool.stats.batches).toBe(0);
    });

    it('refuses a key that does not parse with the error verifySignature gives', async () => {
      pool = new CryptoWorkerPool({ size: 1 });
      const der = Uint8Array.from(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' }));
      der.fill(0, der.length - 64);
      const item = { publicKeyDer: der, message, signature: new Uint8Array(64) };
      let inThread: unknown;
      try {
        verifySignature(item.publicKeyDer, item.message, item.signature);
      } catch (err) {
        inThread = err;
      }
      await expect(pool.verify([item])).rejects.toMatchObject({ code: 'ICWS_ERR_BAD_PUBLIC_KEY', status: 400, message: (inThread as Error).message });
    });

    it('answers an empty list at once', async () => {
      pool = new CryptoWorkerPool({ size: 1 });
      await expect(pool.verify([])).resolves.toEqual([]);
    });
  });

  describe('#sign', () => {
    it('signs with the Ed25519 key it was given', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      pool = new CryptoWorkerPool({ size: 1, signingKeyPkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }) });
      const signatures = await Promise.all([pool.sign(message), pool.sign(Uint8Array.of(1, 2, 3))]);
      expect(verify(null, message, publicKey, signatures[0])).toBe(true);
      expect(verify(null, Uint8Array.of(1, 2, 3), publicKey, signatures[1])).toBe(true);
      expect(signatures[0]).toEqual(new Uint8Array(sign(null, message, privateKey)));
    });

    it('signs on the calling thread: no worker round trip for a query reply', async () => {
      const { privateKey } = generateKeyPairSync('ed25519');
      pool = new CryptoWorkerPool({ size: 1, signingKeyPkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }) });
      await pool.sign(message);
      expect(pool.stats.batches).toBe(0);
    });

    it('refuses to sign without a key', async () => {
      pool = new CryptoWorkerPool({ size: 1 });
      await expect(pool.sign(message)).rejects.toThrow('no signing key');
    });
  });

  describe('#close', () => {
    it('rejects what is still waiting and anything asked afterwards', async () => {
      pool = new CryptoWorkerPool({ size: 1 });
      const waiting = expect(pool.verify([ed25519Item()])).rejects.toThrow('closed');
      await pool.close();
      await waiting;
      await expect(pool.verify([ed25519Item()])).rejects.toThrow('closed');
    });
  });

  it('has at least one worker', () => {
    pool = new CryptoWorkerPool({ size: 0 });
    expect(pool.size).toBe(1);
  });
});
