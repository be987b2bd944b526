import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { GatewayError } from './errors';

const KEY_FILE = 'key_pair';

/**
 * Loads the gateway's Ed25519 key pair from `<dataDir>/key_pair` (PKCS#8 DER, as the upstream
 * gateway keeps it), creating it on first start, so the gateway keeps one principal across restarts.
 */
export async function loadOrCreateGatewayIdentity(dataDir: string): Promise<Ed25519KeyIdentity> {
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
  let seed: string | undefined;
  try {
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    if (key.asymmetricKeyType === 'ed25519') seed = key.export({ format: 'jwk' }).d;
  } catch {
    seed = undefined;
  }
  if (seed === undefined) {
    throw new GatewayError('config', 'ICWS_ERR_KEY_PAIR', `${path} is not an Ed25519 PKCS#8 key; delete it to let the gateway create a new one`);
  }
  return Ed25519KeyIdentity.fromSecretKey(Buffer.from(seed, 'base64url'));
}
