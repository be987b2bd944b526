import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Principal } from '@icp-sdk/core/principal';
import { ReplicaError } from './errors';

const NODE_KEY_FILE = 'node-key.pem';

/**
 * The Ed25519 key of the replica's single node. It signs query replies; its public key is
 * certified at `subnet/<subnet id>/node/<node id>/public_key`, where agents look it up.
 */
export class NodeKey {
  /** DER (SPKI) public key, 44 bytes. */
  readonly publicKeyDer: Uint8Array;
  /** The node id: the self-authenticating principal of the public key. */
  readonly nodeId: Principal;

  private constructor(private readonly privateKey: KeyObject) {
    this.publicKeyDer = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    this.nodeId = Principal.selfAuthenticating(this.publicKeyDer);
  }

  /** @returns a fresh node key kept only in memory. */
  static generate(): NodeKey {
    return new NodeKey(generateKeyPairSync('ed25519').privateKey);
  }

  /**
   * Loads the node key kept in `stateDir`, creating it on first start.
   * @throws ReplicaError `ICWS_ERR_ROOT_KEY` when the file does not hold an Ed25519 private key
   */
  static async loadOrCreate(stateDir: string): Promise<NodeKey> {
    const path = join(stateDir, NODE_KEY_FILE);
    let pem: string | undefined;
    try {
      pem = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (pem !== undefined) {
      try {
        const key = createPrivateKey(pem);
        if (key.asymmetricKeyType === 'ed25519') return new NodeKey(key);
      } catch {
        // Reported below, with the fix.
      }
      throw new ReplicaError('ICWS_ERR_ROOT_KEY', `${path} does not hold an Ed25519 private key (PEM); delete it to let the replica create a new node key`);
    }
    const key = NodeKey.generate();
    await mkdir(stateDir, { recursive: true });
    await writeFile(path, key.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    return key;
  }

  /**
   * @returns the private key as PKCS#8 DER, for the worker threads that sign query replies
   * @internal
   */
  pkcs8(): Uint8Array {
    return this.privateKey.export({ type: 'pkcs8', format: 'der' });
  }

  /** @returns the 64-byte Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array {
    return sign(null, message, this.privateKey);
  }
}
