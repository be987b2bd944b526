import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bls12_381 } from '@noble/curves/bls12-381';
import { ReplicaError } from './errors';

/** DER prefix of a BLS12-381 min-sig public key (G2, 96 bytes), as the IC serves its root key. */
const BLS_DER_PREFIX = Buffer.from(
  '308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100',
  'hex',
);

const SECRET_KEY_FILE = 'root-key.secret';

/** The replica's BLS12-381 root key pair: signatures on G1 (48 bytes), public key on G2. */
export interface RootKey {
  readonly secretKey: Uint8Array;
  /** Compressed G2 point, 96 bytes. */
  readonly publicKey: Uint8Array;
  /** DER form served as `root_key` in `/api/v2/status`. */
  readonly der: Uint8Array;
}

/** @returns the root key pair for a 32-byte BLS secret key. */
export function rootKeyFromSecret(secretKey: Uint8Array): RootKey {
  const publicKey = bls12_381.getPublicKeyForShortSignatures(secretKey);
  return { secretKey, publicKey, der: Buffer.concat([BLS_DER_PREFIX, publicKey]) };
}

/** @returns a fresh random root key pair. */
export function generateRootKey(): RootKey {
  return rootKeyFromSecret(bls12_381.utils.randomSecretKey());
}

/**
 * Loads the root key kept in `stateDir`, creating and saving one on first start, so that clients
 * that fetched the root key once keep trusting this replica across restarts.
 * @throws ReplicaError `ICWS_ERR_ROOT_KEY` when the stored key is unreadable
 */
export async function loadOrCreateRootKey(stateDir: string): Promise<RootKey> {
  const path = join(stateDir, SECRET_KEY_FILE);
  let hex: string | undefined;
  try {
    hex = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (hex === undefined) {
    const key = rootKeyFromSecret(bls12_381.utils.randomSecretKey());
    await mkdir(stateDir, { recursive: true });
    await writeFile(path, Buffer.from(key.secretKey).toString('hex') + '\n', { mode: 0o600 });
    return key;
  }
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new ReplicaError(
      'ICWS_ERR_ROOT_KEY',
      `${path} does not hold a 32-byte hex BLS secret key; delete it to let the replica create a new root key`,
    );
  }
  return rootKeyFromSecret(Buffer.from(hex, 'hex'));
}
