import type { Principal } from '@icp-sdk/core/principal';
import { encodeUleb128, fork, labeled, leaf, reconstruct, type HashTree } from '@icws/backend-cdk';
import { IC_STATE_ROOT_DOMAIN_SEPARATOR, withDomainSeparator } from '@icws/protocol';
import { encodeCanisterRanges, type CanisterRange } from './canister-ranges';
import { encodeCertificate, encodeDelegation } from './response-cbor';
import { signWithBlsKey, type BlsKeyPair } from './root-key';
import { STATE_LABEL as LABEL } from './state-labels';

/**
 * Agents accept a delegation up to 30 days old; the replica signs a new one well before, on the
 * first certificate it hands out a day after the last.
 */
export const DELEGATION_REFRESH_NS = 24n * 3600n * 1_000_000_000n;


/** What a delegation vouches for: the subnet, its public key and its canister ranges. */
export interface DelegatedSubnet {
  readonly subnetId: Principal;
  /** DER of the subnet's BLS public key. */
  readonly publicKeyDer: Uint8Array;
  readonly ranges: readonly CanisterRange[];
}

/**
 * The root key's certificate for the application subnet, as the NNS issues one on mainnet: its
 * tree holds `/subnet/<subnet id>/public_key`, the canister ranges in both layouts agents read
 * (`/subnet/<subnet id>/canister_ranges`, older, and `/canister_ranges/<subnet id>/<first id>`,
 * newer, one shard) and `time`. Every certificate the subnet key signs carries it.
 */
export class SubnetDelegation {
  #encoded!: Uint8Array;
  #certificate!: Uint8Array;
  #signedAtNs = 0n;

  constructor(
    private readonly rootKey: BlsKeyPair,
    private subnet: DelegatedSubnet,
    nowNs: bigint,
  ) {
    this.#sign(nowNs);
  }

  /** The CBOR of the `delegation` map `{subnet_id, certificate}`, as certificates embed it. */
  get encoded(): Uint8Array {
    return this.#encoded;
  }

  /** The inner certificate (CBOR, self-described), signed by the root key. */
  get certificate(): Uint8Array {
    return this.#certificate;
  }

  /** Signs a new delegation for `ranges` (after a canister was installed outside the old ones). */
  setRanges(ranges: readonly CanisterRange[], nowNs: bigint): void {
    this.subnet = { ...this.subnet, ranges };
    this.#sign(nowNs);
  }

  /** Signs a new delegation when this one is older than {@link DELEGATION_REFRESH_NS}. */
  refresh(nowNs: bigint): void {
    if (nowNs - this.#signedAtNs >= DELEGATION_REFRESH_NS) this.#sign(nowNs);
  }

  #sign(nowNs: bigint): void {
    const tree = delegationTree(this.subnet, nowNs);
    const signature = signWithBlsKey(this.rootKey, withDomainSeparator(IC_STATE_ROOT_DOMAIN_SEPARATOR, reconstruct(tree)));
    this.#certificate = encodeCertificate(tree, signature);
    this.#encoded = encodeDelegation(this.subnet.subnetId.toUint8Array(), this.#certificate);
    this.#signedAtNs = nowNs;
  }
}

/** @returns the tree of a delegation certificate for `subnet` at `timeNs`. */
export function delegationTree(subnet: DelegatedSubnet, timeNs: bigint): HashTree {
  const id = subnet.subnetId.toUint8Array();
  const ranges = encodeCanisterRanges(subnet.ranges);
  const shard = labeled(subnet.ranges[0]![0].toUint8Array(), leaf(ranges));
  const subnetEntry = fork(labeled(LABEL.canisterRanges, leaf(ranges)), labeled(LABEL.publicKey, leaf(subnet.publicKeyDer)));
  return fork(
    fork(labeled(LABEL.canisterRanges, labeled(id, shard)), labeled(LABEL.subnet, labeled(id, subnetEntry))),
    labeled(LABEL.time, leaf(encodeUleb128(timeNs))),
  );
}
