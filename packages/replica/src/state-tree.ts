import { Principal } from '@icp-sdk/core/principal';
import { hex } from '@icws/protocol';
import { encodeCbor } from './cbor';
import type { CallOutcome } from './canister/outcome';
import { CertifiedMap, empty, encodeUleb128, fork, labeled, leaf, pruned, reconstruct, type HashTree } from '@icws/backend-cdk';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const LABEL = {
  canister: utf8('canister'),
  certifiedData: utf8('certified_data'),
  requestStatus: utf8('request_status'),
  subnet: utf8('subnet'),
  time: utf8('time'),
  canisterRanges: utf8('canister_ranges'),
  node: utf8('node'),
  publicKey: utf8('public_key'),
  reply: utf8('reply'),
  status: utf8('status'),
  errorCode: utf8('error_code'),
  rejectCode: utf8('reject_code'),
  rejectMessage: utf8('reject_message'),
};
const STATUS = { replied: utf8('replied'), rejected: utf8('rejected') };

interface StatusRecord {
  readonly sender: Principal;
  readonly expiryNs: bigint;
}

/** The parts of the state a read_state request asks for. */
export interface StateSelection {
  readonly canisters: readonly Principal[];
  readonly requestIds: readonly Uint8Array[];
  readonly subnet: boolean;
}

/**
 * The replicated state the replica certifies, laid out as on the IC:
 * `canister/<id>/certified_data`, `request_status/<request id>/…`, `subnet/<id>/…` and `time`.
 * Each part caches its hash, so a round's root hash costs O(changes · log n).
 */
export class ReplicaStateTree {
  readonly subnetId: Principal;
  readonly #canisters = new CertifiedMap();
  readonly #requestStatus = new CertifiedMap();
  readonly #statusRecords = new Map<string, StatusRecord>();
  #expiryQueue: Array<{ key: string; id: Uint8Array; expiryNs: bigint }> = [];
  #expiryHead = 0;
  #subnet: HashTree = empty();
  #subnetHash: Uint8Array = reconstruct(empty());
  #timeNs = 0n;

  constructor(
    private readonly rootKeyDer: Uint8Array,
    private readonly node: { readonly nodeId: Principal; readonly publicKeyDer: Uint8Array },
  ) {
    // Without a delegation, agents take the subnet id to be the root key's self-authenticating id.
    this.subnetId = Principal.selfAuthenticating(rootKeyDer);
    this.#rebuildSubnet();
  }

  get timeNs(): bigint {
    return this.#timeNs;
  }

  setTime(timeNs: bigint): void {
    this.#timeNs = timeNs;
  }

  /** Adds a canister or updates its certified data. */
  setCanister(id: Principal, certifiedData: Uint8Array): void {
    const isNew = !this.#canisters.has(id.toUint8Array());
    this.#canisters.set(id.toUint8Array(), labeled(LABEL.certifiedData, leaf(certifiedData)));
    if (isNew) this.#rebuildSubnet();
  }

  hasCanister(id: Principal): boolean {
    return this.#canisters.has(id.toUint8Array());
  }

  /** Records the outcome of a call; kept until the request's ingress expiry has passed. */
  recordStatus(requestId: Uint8Array, sender: Principal, expiryNs: bigint, outcome: CallOutcome): void {
    const key = hex(requestId);
    this.#requestStatus.set(requestId, statusTree(outcome));
    this.#statusRecords.set(key, { sender, expiryNs });
    this.#expiryQueue.push({ key, id: requestId, expiryNs });
  }

  /** @returns who sent a request whose status is recorded, or undefined. */
  statusSender(requestId: Uint8Array): Principal | undefined {
    return this.#statusRecords.get(hex(requestId))?.sender;
  }

  /**
   * Forgets statuses whose ingress expiry is before `nowNs`: those requests can no longer be
   * resubmitted, so nothing needs their status to refuse a replay. Expiries arrive nearly in order;
   * a later one queued before an earlier one only delays the earlier one's pruning.
   */
  pruneExpired(nowNs: bigint): void {
    const queue = this.#expiryQueue;
    while (this.#expiryHead < queue.length && queue[this.#expiryHead].expiryNs < nowNs) {
      const { key, id } = queue[this.#expiryHead++];
      this.#statusRecords.delete(key);
      this.#requestStatus.delete(id);
    }
    if (this.#expiryHead > 1024 && this.#expiryHead * 2 > queue.length) {
      this.#expiryQueue = queue.slice(this.#expiryHead);
      this.#expiryHead = 0;
    }
  }

  get pendingStatuses(): number {
    return this.#statusRecords.size;
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
      ? this.#requestStatus.witnessKeys(selection.requestIds)
      : pruned(this.#requestStatus.rootHash());
    const subnet = selection?.subnet ? this.#subnet : pruned(this.#subnetHash);
    return fork(
      fork(labeled(LABEL.canister, canisters), labeled(LABEL.requestStatus, statuses)),
      fork(labeled(LABEL.subnet, subnet), labeled(LABEL.time, leaf(encodeUleb128(this.#timeNs)))),
    );
  }

  #rebuildSubnet(): void {
    const ranges = [...this.#canisters.entries()].map(([id]) => [id, id]);
    const nodes = labeled(this.node.nodeId.toUint8Array(), labeled(LABEL.publicKey, leaf(this.node.publicKeyDer)));
    const subnetEntry = fork(
      fork(labeled(LABEL.canisterRanges, leaf(encodeCbor(ranges))), labeled(LABEL.node, nodes)),
      labeled(LABEL.publicKey, leaf(this.rootKeyDer)),
    );
    this.#subnet = labeled(this.subnetId.toUint8Array(), subnetEntry);
    this.#subnetHash = reconstruct(this.#subnet);
  }
}

function statusTree(outcome: CallOutcome): HashTree {
  if (outcome.status === 'replied') {
    return fork(labeled(LABEL.reply, leaf(outcome.reply)), labeled(LABEL.status, leaf(STATUS.replied)));
  }
  return fork(
    fork(labeled(LABEL.errorCode, leaf(utf8(outcome.errorCode))), labeled(LABEL.rejectCode, leaf(encodeUleb128(outcome.rejectCode)))),
    fork(labeled(LABEL.rejectMessage, leaf(utf8(outcome.rejectMessage))), labeled(LABEL.status, leaf(STATUS.rejected))),
  );
}
