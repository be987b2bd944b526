import { randomBytes } from 'node:crypto';
import { bls12_381 } from '@noble/curves/bls12-381';
import { InlineCertificateSigner, WorkerCertificateSigner } from './bls-signer';

describe('WorkerCertificateSigner', () => {
  const secretKey = bls12_381.utils.randomSecretKey();
  const publicKey = bls12_381.getPublicKeyForShortSignatures(secretKey);
  let signer: WorkerCertificateSigner;

  beforeAll(() => {
    signer = new WorkerCertificateSigner(secretKey);
  });
  afterAll(() => signer.close());

  describe('#sign', () => {
    it('makes the same short signatures as the reference signer, for messages of every length', async () => {
      expect(await signer.backend()).toBe('mcl');
      const reference = new InlineCertificateSigner(secretKey);
      for (const length of [0, 1, 32, 45, 77, 200, 1000]) {
        const message = new Uint8Array(randomBytes(length));
        const signature = await signer.sign(message);
        expect(Buffer.from(signature).toString('hex')).toBe(Buffer.from(await reference.sign(message)).toString('hex'));
        expect(bls12_381.verifyShortSignature(signature, message, publicKey)).toBe(true);
      }
    });

    it('answers concurrent requests each with the signature of its own message', async () => {
      const messages = Array.from({ length: 20 }, (_, i) => Uint8Array.of(i, 1, 2, 3));
      const signatures = await Promise.all(messages.map((message) => signer.sign(message)));
      signatures.forEach((signature, i) => expect(bls12_381.verifyShortSignature(signature, messages[i], publicKey)).toBe(true));
      expect(bls12_381.verifyShortSignature(signatures[0], messages[1], publicKey)).toBe(false);
    });
  });

  describe('#close', () => {
    it('rejects what is still pending', async () => {
      const own = new WorkerCertificateSigner(secretKey);
      const pending = own.sign(Uint8Array.of(1));
      await own.close();
      await expect(pending).rejects.toThrow(/exited/);
    });
  });
});
