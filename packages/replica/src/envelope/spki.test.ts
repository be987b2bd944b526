import { generateKeyPairSync } from 'node:crypto';
import { BLS12_381_G2_OID, DER_COSE_OID, wrapDER } from '@icp-sdk/core/agent';
import { ECDSAKeyIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { EnvelopeError } from './envelope-error';
import { keyTypeOf } from './spki';

/** DER SubjectPublicKeyInfo of a canister signature key: the COSE OID's sibling 1.3.6.1.4.1.56387.1.2. */
function canisterSignatureKey(): Uint8Array {
  const oid = Uint8Array.from(DER_COSE_OID);
  oid[oid.length - 1] = 0x02;
  return wrapDER(new Uint8Array(40).fill(1), oid);
}

function nodeKey(type: 'rsa' | 'ed448' | 'ec', curve?: string): Uint8Array {
  const options = type === 'rsa' ? { modulusLength: 1024 } : type === 'ec' ? { namedCurve: curve! } : {};
  const { publicKey } = generateKeyPairSync(type as 'ec', options as { namedCurve: string });
  return publicKey.export({ format: 'der', type: 'spki' });
}

function refusal(der: Uint8Array, field?: string): EnvelopeError {
  try {
    keyTypeOf(der, field);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeError);
    return err as EnvelopeError;
  }
  throw new Error('expected the key to be refused');
}

describe('keyTypeOf recognises the keys @dfinity/identity produces', () => {
  test('Ed25519KeyIdentity', () => {
    expect(keyTypeOf(Ed25519KeyIdentity.generate().getPublicKey().toDer())).toBe('ed25519');
  });

  test('Secp256k1KeyIdentity', () => {
    expect(keyTypeOf(Secp256k1KeyIdentity.generate().getPublicKey().toDer())).toBe('ecdsa-secp256k1');
  });

  test('ECDSAKeyIdentity (P-256 from WebCrypto)', async () => {
    expect(keyTypeOf((await ECDSAKeyIdentity.generate()).getPublicKey().toDer())).toBe('ecdsa-p256');
  });

  test('and the same key types exported by OpenSSL', () => {
    expect(keyTypeOf(nodeKey('ec', 'prime256v1'))).toBe('ecdsa-p256');
    expect(keyTypeOf(nodeKey('ec', 'secp256k1'))).toBe('ecdsa-secp256k1');
  });
});

describe('keyTypeOf refuses, naming the key type', () => {
  test.each([
    ['canister signatures', canisterSignatureKey, 'canister signature'],
    ['WebAuthn keys', () => wrapDER(new Uint8Array(77).fill(2), DER_COSE_OID), 'WebAuthn (DER-wrapped COSE)'],
    ['BLS keys', () => wrapDER(new Uint8Array(96).fill(3), BLS12_381_G2_OID), 'BLS12-381'],
    ['RSA keys', () => nodeKey('rsa'), 'RSA'],
    ['Ed448 keys', () => nodeKey('ed448'), 'Ed448'],
    ['ECDSA on P-384', () => nodeKey('ec', 'secp384r1'), 'ECDSA on curve P-384'],
  ])('%s as unsupported', (_what, makeKey, name) => {
    const err = refusal(makeKey(), 'sender_pubkey');
    expect(err).toMatchObject({ code: 'ICWS_ERR_UNSUPPORTED_KEY', status: 400, kind: 'input' });
    expect(err.message).toContain(`sender_pubkey has key type ${name}`);
    expect(err.message).toContain('does not support');
  });

  test('an unknown algorithm by its OID', () => {
    const der = wrapDER(new Uint8Array(8), Uint8Array.of(0x30, 0x04, 0x06, 0x02, 0x2a, 0x03));
    expect(refusal(der).message).toContain('algorithm OID 1.2.3');
  });
});

describe('keyTypeOf refuses malformed keys', () => {
  test.each([
    ['bytes that are not DER', Uint8Array.of(1, 2, 3)],
    ['an empty key', new Uint8Array(0)],
    ['DER with trailing bytes', Uint8Array.from([...Ed25519KeyIdentity.generate().getPublicKey().toDer(), 0])],
    ['a truncated key', Ed25519KeyIdentity.generate().getPublicKey().toDer().subarray(0, 40)],
  ])('%s', (_what, der) => {
    const err = refusal(der, 'sender_delegation[0].delegation.pubkey');
    expect(err).toMatchObject({ code: 'ICWS_ERR_BAD_PUBLIC_KEY', status: 400 });
    expect(err.message).toContain('sender_delegation[0].delegation.pubkey is not a DER-encoded SubjectPublicKeyInfo');
  });

  test('an Ed25519 key of the wrong length', () => {
    const der = wrapDER(new Uint8Array(31), Uint8Array.of(0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70));
    expect(refusal(der).message).toContain('Ed25519 key of 31 bytes');
  });

  test('an ECDSA key that is not a curve point encoding', () => {
    const der = Uint8Array.from(nodeKey('ec', 'prime256v1'));
    der[der.length - 65] = 0x05;
    expect(refusal(der).message).toContain('not a valid elliptic curve point');
  });
});
