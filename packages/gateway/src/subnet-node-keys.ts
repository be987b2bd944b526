import {
  AgentError,
  CanisterStatus,
  Cbor,
  Certificate,
  CertificateNotAuthorizedErrorCode,
  check_canister_ranges,
  lookup_path,
  LookupPathStatus,
  type HashTree,
} from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { GatewayError } from './errors';
import { decodeUleb128 } from '@icws/protocol';

/** A certificate of the subnet state older than this is not believed (the agent's default). */
export const MAX_NODE_KEYS_CERTIFICATE_AGE_MS = 5 * 60_000;

/** The nodes of a canister's subnet, as a certificate the root key vouches for names them. */
export interface SubnetNodeKeys {
  readonly subnetId: string;
  /** DER Ed25519 public keys by node id (text). */
  readonly nodeKeys: ReadonlyMap<string, Uint8Array>;
  /**
   * @returns whether the certificate's verified canister ranges of the subnet (its delegation's,
   *   or its own tree's when it has no delegation) hold `canisterId`, so that these keys sign for
   *   it too; false when the ranges are not in the certificate
   */
  covers(canisterId: Principal): boolean;
}

/** Options of {@link nodeKeysFromCertificate}. */
export interface NodeKeysCertificateOptions {
  /** DER root key. */
  readonly rootKey: Uint8Array;
  readonly canisterId: Principal;
  /** Current time, ms since the epoch. */
  readonly nowMs: number;
}

/**
 * Reads the node keys of `canisterId`'s subnet from the certificate of a `read_state` of `subnet`:
 * the certificate must verify against the root key, and when it carries a delegation (mainnet, or
 * the embedded replica in its default mode), the delegation must cover the canister, so that no
 * subnet can name the nodes that sign for another subnet's canister.
 * @throws GatewayError `ICWS_ERR_NODE_KEYS` naming what does not hold
 */
export async function nodeKeysFromCertificate(bytes: Uint8Array, options: NodeKeysCertificateOptions): Promise<SubnetNodeKeys> {
  const { canisterId, rootKey } = options;
  // A copy at offset 0: the agent's lookups misread values of buffers that start at an offset.
  const certificate = new Uint8Array(bytes);
  let verified: Certificate;
  try {
    verified = await Certificate.create({ certificate, rootKey, principal: { canisterId }, disableTimeVerification: true });
  } catch (cause) {
    if (cause instanceof AgentError && cause.hasCode(CertificateNotAuthorizedErrorCode)) {
      const { subnetId } = cause.cause.code as CertificateNotAuthorizedErrorCode;
      throw refusal(canisterId, `the certificate's delegation from subnet ${subnetId.toText()} does not cover canister ${canisterId.toText()}`, cause);
    }
    throw refusal(canisterId, `the certificate does not verify against the root key: ${(cause as Error).message}`, cause);
  }
  const time = lookup_path(['time'], verified.cert.tree);
  if (time.status !== LookupPathStatus.Found || !(time.value instanceof Uint8Array)) throw refusal(canisterId, 'the certificate holds no time');
  const ageMs = options.nowMs - Number(decodeUleb128(time.value) / 1_000_000n);
  if (Math.abs(ageMs) > MAX_NODE_KEYS_CERTIFICATE_AGE_MS) {
    throw refusal(canisterId, `the certificate was signed ${Math.round(ageMs / 1000)} s ${ageMs > 0 ? 'ago' : 'ahead'}, more than the ${MAX_NODE_KEYS_CERTIFICATE_AGE_MS / 60_000} minutes allowed`);
  }
  try {
    // Checks the canister ranges of the subnet state too, and reads `subnet/<id>/node/*/public_key`.
    const { subnetId, nodeKeys } = CanisterStatus.fetchNodeKeys(certificate, canisterId, rootKey);
    if (nodeKeys.size === 0) throw new Error('no node keys');
    return { subnetId, nodeKeys, covers: rangesCheck(verified, subnetId) };
  } catch (cause) {
    throw refusal(canisterId, `the subnet state names no node keys for the canister: ${(cause as Error).message}`, cause);
  }
}

/**
 * @returns a check of a canister id against the subnet's ranges in the verified certificate: in
 *   the delegation's certificate (which the root key signed) when there is one, else in its own tree
 */
function rangesCheck(verified: Certificate, subnetId: string): (canisterId: Principal) => boolean {
  const delegation = verified.cert.delegation;
  const tree = delegation === undefined ? verified.cert.tree : Cbor.decode<{ tree: HashTree }>(new Uint8Array(delegation.certificate)).tree;
  const subnet = Principal.fromText(subnetId);
  return (canisterId) => {
    try {
      return check_canister_ranges({ canisterId, subnetId: subnet, tree });
    } catch {
      return false;
    }
  };
}

function refusal(canisterId: Principal, why: string, cause?: unknown): GatewayError {
  return new GatewayError('ICWS_ERR_NODE_KEYS', `the node keys of canister ${canisterId.toText()}'s subnet are not trusted: ${why}`, { cause });
}
