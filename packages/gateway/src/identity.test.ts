import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Principal } from '@icp-sdk/core/principal';
import { GatewayError } from './errors';
import { loadOrCreateGatewayIdentity } from './identity';

describe('loadOrCreateGatewayIdentity', () => {
  it('creates a key pair on first start and keeps the same principal after', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'icws-gw-id-'));
    const first = await loadOrCreateGatewayIdentity(dir);
    const again = await loadOrCreateGatewayIdentity(dir);
    expect(again.getPrincipal().toText()).toBe(first.getPrincipal().toText());
    expect(first.getPrincipal().toText()).toBe(Principal.selfAuthenticating(first.getPublicKey().toDer()).toText());
  });

  it('loads an Ed25519 PKCS#8 key made elsewhere and signs with it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'icws-gw-id-'));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await writeFile(join(dir, 'key_pair'), privateKey.export({ type: 'pkcs8', format: 'der' }));
    const identity = await loadOrCreateGatewayIdentity(dir);
    expect(Buffer.from(identity.getPublicKey().toDer())).toEqual(publicKey.export({ type: 'spki', format: 'der' }));
    const message = new TextEncoder().encode('\x0Aic-request and a request id');
    const signature = await identity.sign(message);
    expect(verify(null, message, publicKey, signature)).toBe(true);
    expect(verify(null, Uint8Array.of(1), publicKey, signature)).toBe(false);
  });

  it('refuses a key file that is not an Ed25519 PKCS#8 key, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'icws-gw-id-'));
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    await writeFile(join(dir, 'key_pair'), p256);
    const refusal = loadOrCreateGatewayIdentity(dir);
    await expect(refusal).rejects.toBeInstanceOf(GatewayError);
    await expect(refusal).rejects.toThrow(`${join(dir, 'key_pair')} is not an Ed25519 PKCS#8 key`);
    await writeFile(join(dir, 'key_pair'), 'garbage');
    await expect(loadOrCreateGatewayIdentity(dir)).rejects.toMatchObject({ code: 'ICWS_ERR_KEY_PAIR' });
    expect((await readFile(join(dir, 'key_pair'), 'utf8'))).toBe('garbage');
  });
});
