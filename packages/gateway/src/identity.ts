import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignIdentity, type Signature } from '@icp-sdk/core/agent';
import { Ed25519PublicKey } from '@icp-sdk/core/identity';
import { GatewayError } from './errors';

const KEY_FILE = 'key_pair';

/**
 * The gateway's Ed25519 identity, signing with node:crypto: the gateway signs every poll and every
 * `ws_close`, and a native signature costs a tenth of the pure-JavaScript one.
 */
export class GatewayIdentity extends SignIdentity {
  readonly #privateKey: KeyObject;
  readonly #publicKey: Ed25519PublicKey;

  /** @param privateKey - an Ed25519 private key */
  constructor(privateKey: KeyObject) {
    super();
    this.#privateKey = privateKey;
    const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    this.#publicKey = Ed25519PublicKey.fromDer(new Uint8Array(spki));
  }

  getPublicKey(): Ed25519PublicKey {
    return this.#publicKey;
  }

  async sign(blob: Uint8Array): Promise<Signature> {
    return new Uint8Array(sign(null, blob, this.#privateKey)) as Signature;
  }
}

/**
 * Loads the gateway's Ed25519 key pair from `<dataDir>/key_pair` (PKCS#8 DER, as the upstream
 * gateway keeps it), creating it on first start, so the gateway keeps one principal across restarts.
 * @throws GatewayError `ICWS_ERR_KEY_PAIR` when the file holds something else
 */
export async function loadOrCreateGatewayIdentity(dataDir: string): Promise<GatewayIdentity> {
  const path = join(dataDir, KEY_FILE);
  let der: Buffer;
  try {
    der = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    der = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' });
    await mkdir(dataDir, { recursive: true });
    await writeFile(path, der, { mode: 0o600 });
  }
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    key = undefined;
  }
  if (key?.asymmetricKeyType !== 'ed25519') {
    throw new GatewayError('ICWS_ERR_KEY_PAIR', `${path} is not an Ed25519 PKCS#8 key; delete it to let the gateway create a new one`);
  }
  return new GatewayIdentity(key);
}
