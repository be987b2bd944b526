import { Principal } from '@icp-sdk/core/principal';
import { encodeCanisterRanges, type CanisterRange } from './canister-ranges';
import type { CallOutcome } from './canister/outcome';
import { RequestStatuses, type RequestStatusesOptions } from './request-statuses';
import { STATE_LABEL as LABEL } from './state-labels';
import { CertifiedMap, empty, encodeUleb128, fork, labeled, leaf, pruned, reconstruct, type HashTree } from '@icws/backend-cdk';


/** The parts of the state a read_state request asks for. */
export interface StateSelection {
  readonly canisters: readonly Principal[];
  readonly requestIds: readonly Uint8Array[];
  readonly subnet: boolean;
  /** Whether to reveal `/canister_ranges/<subnet id>/…` (the newer layout of the ranges). */
  readonly canisterRanges?: boolean;
}

/** The subnet whose state this is: its id, public key and node. */
export interface SubnetIdentity {
  readonly subnetId: Principal;
  /** DER of the BLS key that signs this subnet's certificates. */
  readonly publicKeyDer: Uint8Array;
  readonly node: { readonly nodeId: Principal; readonly publicKeyDer: Uint8Array };
}

/**
 * The replicated state the replica certifies, laid out as on the IC:
 * `canister/<id>/certified_data`, `canister_ranges/<subnet id>/<first id>`,
 * `request_status/<request id>/…`, `subnet/<subnet id>/{canister_ranges, node/<node id>/public_key,
 * public_key}` and `time`.
 * Each part caches its hash, so a round's root hash costs O(changes · log n).
 */
export class ReplicaStateTree {
  readonly subnetId: Principal;
  readonly #canisters = new CertifiedMap();
  readonly #requestStatus: RequestStatuses;
  #subnet: HashTree = empty();
  #subnetHash: Uint8Array = reconstruct(empty());
  #ranges: HashTree = empty();
  #rangesHash: Uint8Array = reconstruct(empty());
  #timeNs = 0n;

  constructor(private readonly subnet: SubnetIdentity, ranges: readonly CanisterRange[], statuses: RequestStatusesOptions = {}) {
    this.subnetId = subnet.subnetId;
    this.#requestStatus = new RequestStatuses(statuses);
    this.setCanisterRanges(ranges);
  }

  /** Sets the subnet's canister ranges, which the tree holds in both layouts agents read. */
  setCanisterRanges(ranges: readonly CanisterRange[]): void {
    const encoded = encodeCanisterRanges(ranges);
    const id = this.subnetId.toUint8Array();
    const { node } = this.subnet;
    const nodes = labeled(node.nodeId.toUint8Array(), labeled(LABEL.publicKey, leaf(node.publicKeyDer)));
    const subnetEntry = fork(
      fork(labeled(LABEL.canisterRanges, leaf(encoded)), labeled(LABEL.node, nodes)),
      labeled(LABEL.publicKey, leaf(this.subnet.publicKeyDer)),
    );
    this.#subnet = labeled(id, subnetEntry);
    this.#subnetHash = reconstruct(this.#subnet);
    this.#ranges = labeled(id, labeled(ranges[0]![0].toUint8Array(), leaf(encoded)));
    this.#rangesHash = reconstruct(this.#ranges);
  }

  get timeNs(): bigint {
    return this.#timeNs;
  }

  setTime(timeNs: bigint): void {
    this.#timeNs = timeNs;
  }

  /** Adds a canister or updates its certified data. */
  setCanister(id: Principal, certifiedData: Uint8Array): void {
    this.#canisters.set(id.toUint8Array(), labeled(LABEL.certifiedData, leaf(certifiedData)));
  }

  hasCanister(id: Principal): boolean {
    return this.#canisters.has(id.toUint8Array());
  }

  /** Records the outcome of a call; kept until the request's ingress expiry has passed. */
  recordStatus(requestId: Uint8Array, sender: Principal, expiryNs: bigint, outcome: CallOutcome): void {
    this.#requestStatus.record(requestId, sender, expiryNs, outcome);
  }

  /** @returns whether the status of a request is kept. */
  hasStatus(requestId: Uint8Array): boolean {
    return this.#requestStatus.has(requestId);
  }

  /** @returns who sent a request whose status is recorded, or undefined. */
  statusSender(requestId: Uint8Array): Principal | undefined {
    return this.#requestStatus.senderOf(requestId);
  }

  /** Forgets the statuses whose ingress expiry is before `nowNs` (see {@link RequestStatuses.pruneExpired}). */
  pruneExpired(nowNs: bigint): void {
    this.#requestStatus.pruneExpired(nowNs);
  }

  /** Request statuses kept. */
  get pendingStatuses(): number {
    return this.#requestStatus.size;
  }

  /** Bytes of replies and reject messages kept in request statuses. */
  get statusReplyBytes(): number {
    return this.#requestStatus.replyBytes;
  }

  rootHash(): Uint8Array {
    return reconstruct(this.#render(undefined));
  }

  /** @returns the state tree with everything outside `selection` (and `time`) pruned. */
  witness(selection: StateSelection): HashTree {
    return this.#render(selection);
  }

  #render(selection: StateSelection | undefined): HashTree {
    const canisters = selection === undefined
      ? pruned(this.#canisters.rootHash())
      : selection.canisters.length > 0
        ? this.#canisters.witnessKeys(selection.canisters.map((c) => c.toUint8Array()))
        : pruned(this.#canisters.rootHash());
    const statuses = selection !== undefined && selection.requestIds.length > 0
      ? this.#requestStatus.witness(selection.requestIds)
      : pruned(this.#requestStatus.rootHash());
    const subnet = selection?.subnet ? this.#subnet : pruned(this.#subnetHash);
    const ranges = selection?.canisterRanges ? this.#ranges : pruned(this.#rangesHash);
    return fork(
      fork(labeled(LABEL.canister, canisters), labeled(LABEL.canisterRanges, ranges)),
      fork(labeled(LABEL.requestStatus, statuses), fork(labeled(LABEL.subnet, subnet), labeled(LABEL.time, leaf(encodeUleb128(this.#timeNs))))),
    );
  }
}
