import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { generateRandomIdentity, RandomEd25519Identity } from './identity';

const message = new TextEncoder().encode('sign me');
const rawKey = (der: Uint8Array) => der.subarray(der.length - 32);

describe('generateRandomIdentity', () => {
  it('makes an Ed25519 identity whose signatures verify, signing natively where WebCrypto has Ed25519', async () => {
    const identity = generateRandomIdentity() as RandomEd25519Identity;
    const der = identity.getPublicKey().toDer();
    expect(der).toHaveLength(44);
    const signature = await identity.sign(message);
    expect(Ed25519KeyIdentity.verify(signature, message, rawKey(der))).toBe(true);
    expect(await identity.backend()).toBe('native'); // Node >= 20
  });

  it('makes a new key each time', () => {
    expect(generateRandomIdentity().getPrincipal().toText()).not.toBe(generateRandomIdentity().getPrincipal().toText());
  });

  it('signs in JavaScript where WebCrypto lacks Ed25519, with the same key', async () => {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const reference = Ed25519KeyIdentity.generate(new Uint8Array(seed));
    const noEd25519 = { importKey: () => Promise.reject(new DOMException('Unrecognized name', 'NotSupportedError')) } as unknown as SubtleCrypto;
    const identity = new RandomEd25519Identity(seed, noEd25519);
    expect(await identity.backend()).toBe('js');
    expect(identity.getPrincipal().toText()).toBe(reference.getPrincipal().toText());
    expect(await identity.sign(message)).toEqual(await reference.sign(message));
  });

  it('wipes the raw key once it is imported', async () => {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const identity = new RandomEd25519Identity(seed, crypto.subtle);
    await identity.backend();
    expect(seed.every((b) => b === 0)).toBe(true);
  });
});
