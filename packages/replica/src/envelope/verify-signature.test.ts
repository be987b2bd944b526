import { generateKeyPairSync, sign } from 'node:crypto';
import { DER_COSE_OID, type SignIdentity, wrapDER } from '@icp-sdk/core/agent';
import { ECDSAKeyIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { InThreadSignatureVerifier } from './signature-verifier';
import { verifySignature } from './verify-signature';

const message = new TextEncoder().encode('\x0Aic-request and then a request id');

describe.each([
  ['Ed25519', async (): Promise<SignIdentity> => Ed25519KeyIdentity.generate()],
  ['ECDSA secp256k1', async (): Promise<SignIdentity> => Secp256k1KeyIdentity.generate()],
  ['ECDSA P-256', async (): Promise<SignIdentity> => ECDSAKeyIdentity.generate()],
])('verifySignature with an %s identity', (_name, makeIdentity) => {
  let identity: SignIdentity;
  let der: Uint8Array;
  let signature: Uint8Array;
  beforeAll(async () => {
    identity = await makeIdentity();
    der = identity.getPublicKey().toDer();
    signature = await identity.sign(message);
  });

  test('accepts its signature', () => {
    expect(verifySignature(der, message, signature)).toBe(true);
  });

  test('accepts it again from the key cache', () => {
    expect(verifySignature(Uint8Array.from(der), message, signature)).toBe(true);
  });

  test('rejects it over another message', () => {
    expect(verifySignature(der, new TextEncoder().encode('another message'), signature)).toBe(false);
  });

  test('rejects a signature with one bit flipped', () => {
    const flipped = Uint8Array.from(signature);
    flipped[10] ^= 1;
    expect(verifySignature(der, message, flipped)).toBe(false);
  });

  test('rejects a signature by another key of the same type', async () => {
    const other = await makeIdentity();
    expect(verifySignature(der, message, await other.sign(message))).toBe(false);
  });

  test('rejects signatures that are not 64 bytes', () => {
    expect(verifySignature(der, message, signature.subarray(0, 63))).toBe(false);
    expect(verifySignature(der, message, new Uint8Array(0))).toBe(false);
  });
});

describe('verifySignature', () => {
  test('accepts ECDSA P-256 signatures made by OpenSSL in IEEE P1363 form', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const signature = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(verifySignature(publicKey.export({ format: 'der', type: 'spki' }), message, signature)).toBe(true);
  });

  test('refuses an unsupported key type by name', () => {
    const webAuthnKey = wrapDER(new Uint8Array(77), DER_COSE_OID);
    expect(() => verifySignature(webAuthnKey, message, new Uint8Array(64))).toThrow(
      expect.objectContaining({ code: 'ICWS_ERR_UNSUPPORTED_KEY', message: expect.stringContaining('WebAuthn') }),
    );
  });

  test('refuses an ECDSA key whose point is not on the curve', () => {
    const der = Uint8Array.from((generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' })));
    der.fill(0, der.length - 64);
    expect(() => verifySignature(der, message, new Uint8Array(64))).toThrow(expect.objectContaining({ code: 'ICWS_ERR_BAD_PUBLIC_KEY' }));
  });
});

describe('InThreadSignatureVerifier', () => {
  test('returns one verdict per item, in order', async () => {
    const a = Ed25519KeyIdentity.generate();
    const b = Secp256k1KeyIdentity.generate();
    const items = [
      { publicKeyDer: a.getPublicKey().toDer(), message, signature: await a.sign(message) },
      { publicKeyDer: b.getPublicKey().toDer(), message, signature: await a.sign(message) },
      { publicKeyDer: b.getPublicKey().toDer(), message, signature: await b.sign(message) },
    ];
    await expect(new InThreadSignatureVerifier().verify(items)).resolves.toEqual([true, false, true]);
  });
});
