import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bls12_381 } from '@noble/curves/bls12-381';
import { ReplicaError } from './errors';

/** DER prefix of a BLS12-381 min-sig public key (G2, 96 bytes), as the IC serves its root key. */
export const BLS_DER_PREFIX = Buffer.from(
  '308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100',
  'hex',
);

/** The root key's file in the state directory. */
export const ROOT_KEY_FILE = 'root-key.secret';

/** A BLS12-381 key pair of the IC's "min-sig" scheme: signatures on G1 (48 bytes), public key on G2. */
export interface BlsKeyPair {
  readonly secretKey: Uint8Array;
  /** Compressed G2 point, 96 bytes. */
  readonly publicKey: Uint8Array;
  /** DER form, as certificates and `/api/v2/status` carry it. */
  readonly der: Uint8Array;
}

/** The replica's root key: the NNS key `/api/v2/status` serves as `root_key`. */
export type RootKey = BlsKeyPair;

/** @returns the key pair for a 32-byte BLS secret key. */
export function rootKeyFromSecret(secretKey: Uint8Array): BlsKeyPair {
  const publicKey = bls12_381.getPublicKeyForShortSignatures(secretKey);
  return { secretKey, publicKey, der: Buffer.concat([BLS_DER_PREFIX, publicKey]) };
}

/** @returns a fresh random key pair. */
export function generateRootKey(): BlsKeyPair {
  return rootKeyFromSecret(bls12_381.utils.randomSecretKey());
}

/** @returns the 48-byte BLS short signature of `message`, made on the calling thread. */
export function signWithBlsKey(key: BlsKeyPair, message: Uint8Array): Uint8Array {
  return bls12_381.signShortSignature(message, key.secretKey);
}

/**
 * Loads the root key kept in `stateDir`, creating and saving one on first start, so that clients
 * that fetched the root key once keep trusting this replica across restarts.
 * @throws ReplicaError `ICWS_ERR_ROOT_KEY` when the stored key is unreadable
 */
export function loadOrCreateRootKey(stateDir: string): Promise<RootKey> {
  return loadOrCreateBlsKey(stateDir, ROOT_KEY_FILE, 'root key');
}

/**
 * Loads the BLS key kept in `stateDir/fileName` (hex secret), creating and saving one on first start.
 * @param role - what the key is, for the error message
 * @throws ReplicaError `ICWS_ERR_ROOT_KEY` when the stored key is unreadable
 */
export async function loadOrCreateBlsKey(stateDir: string, fileName: string, role: string): Promise<BlsKeyPair> {
  const path = join(stateDir, fileName);
  let hex: string | undefined;
  try {
    hex = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (hex === undefined) {
    const key = generateRootKey();
    await mkdir(stateDir, { recursive: true });
    await writeFile(path, Buffer.from(key.secretKey).toString('hex') + '\n', { mode: 0o600 });
    return key;
  }
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new ReplicaError(
      'ICWS_ERR_ROOT_KEY',
      `${path} does not hold a 32-byte hex BLS secret key; delete it to let the replica create a new ${role}`,
    );
  }
  return rootKeyFromSecret(Buffer.from(hex, 'hex'));
}
