import { Principal } from '@icp-sdk/core/principal';
import { NodeKey } from './node-key';
import { generateRootKey, loadOrCreateBlsKey, loadOrCreateRootKey, type BlsKeyPair, type RootKey } from './root-key';

/** The subnet key's file in the state directory. */
export const SUBNET_KEY_FILE = 'subnet-key.secret';

/**
 * How the replica's certificates are signed: `delegated` as on mainnet (the subnet key signs, and
 * every certificate carries the root key's delegation to the subnet), or `flat` as a local IC SDK
 * replica (the root key signs directly; the subnet id is the root key's self-authenticating id).
 */
export type CertificateMode = 'delegated' | 'flat';

/** The keys of the replica: the NNS root key, the application subnet's key and its node's key. */
export interface SubnetKeys {
  readonly mode: CertificateMode;
  /** The root key `/api/v2/status` serves. */
  readonly rootKey: RootKey;
  /** The key that signs the subnet's certificates: its own BLS key, or the root key in flat mode. */
  readonly subnetKey: BlsKeyPair;
  /**
   * The subnet id: the self-authenticating principal of the subnet key's DER (as mainnet derives
   * subnet ids from a subnet's first public key), so it stays the same across restarts of one
   * state directory.
   */
  readonly subnetId: Principal;
  readonly nodeKey: NodeKey;
}

/**
 * Loads the keys kept in `stateDir` (creating those missing), or makes fresh ones in memory.
 * @throws ReplicaError `ICWS_ERR_ROOT_KEY` when a stored BLS key is unreadable
 */
export async function loadSubnetKeys(mode: CertificateMode, stateDir: string | undefined): Promise<SubnetKeys> {
  const [rootKey, nodeKey, ownKey] = stateDir === undefined
    ? [generateRootKey(), NodeKey.generate(), mode === 'delegated' ? generateRootKey() : undefined]
    : await Promise.all([
        loadOrCreateRootKey(stateDir),
        NodeKey.loadOrCreate(stateDir),
        mode === 'delegated' ? loadOrCreateBlsKey(stateDir, SUBNET_KEY_FILE, 'subnet key') : undefined,
      ]);
  const subnetKey = ownKey ?? rootKey;
  return { mode, rootKey, subnetKey, subnetId: Principal.selfAuthenticating(subnetKey.der), nodeKey };
}
