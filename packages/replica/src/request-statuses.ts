import { Principal } from '@icp-sdk/core/principal';
import {
  avlRootHash,
  bytesToLatin1 as latin1,
  encodeUleb128,
  fork,
  labeled,
  latin1ToBytes as bytes,
  leaf,
  rebalanceAvl,
  reconstruct,
  removeAvlMin,
  witnessAvlKeys,
  type HashedNode,
  type HashTree,
  type NodeValues,
} from '@icws/backend-cdk';
import type { CallOutcome } from './canister/outcome';
import { STATE_LABEL as LABEL } from './state-labels';

/** Where a request whose status is kept stands: `done` once its reply or reject was dropped. */
export type RequestStatusKind = 'replied' | 'rejected' | 'done';

/** Options of {@link RequestStatuses}. */
export interface RequestStatusesOptions {
  /**
   * Bytes of replies and reject messages kept. Past it, the oldest statuses turn `done`: their
   * reply is dropped, their record stays until their ingress expiry, as the IC does when its
   * ingress history is full. @default DEFAULT_MAX_REPLY_BYTES
   */
  readonly maxReplyBytes?: number;
}

/** Bytes of replies and reject messages kept by default: 64 MiB. */
export const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const STATUS_TEXT = { replied: utf8('replied'), rejected: utf8('rejected'), done: utf8('done') };

interface Reject {
  readonly code: number;
  readonly message: string;
  readonly errorCode: string;
}

/**
 * One request's status: a node of the AVL tree the statuses are certified by. Byte strings (the
 * request id, the sender, the reply, the hashes) are kept as latin1 strings, one char per byte:
 * a small typed array costs about 240 bytes of heap, a 32-char string about 48.
 */
class StatusNode implements HashedNode<StatusNode> {
  left: StatusNode | null = null;
  right: StatusNode | null = null;
  height = 1;
  /** Null when stale: a change below invalidates the nodes on its path. */
  subtreeHash: string | null = null;
  /** The hash of `fork(left, labeled…)` (or of the labeled node alone), fresh with `subtreeHash`. */
  headHash: string | null = null;
  labeledHash: string;
  removed = false;

  constructor(
    readonly key: string,
    readonly sender: string,
    readonly expiryNs: bigint,
    public status: RequestStatusKind,
    public reply: string | undefined,
    public reject: Reject | undefined,
  ) {
    this.labeledHash = labeledHashOf(this);
  }

  invalidate(): void {
    this.subtreeHash = null;
    this.headHash = null;
  }

  /** Bytes of reply or reject message this status holds. */
  get payloadBytes(): number {
    return (this.reply?.length ?? 0) + (this.reject?.message.length ?? 0);
  }
}

/**
 * The request statuses of the state tree, `request_status/<request id>/…`, and the only record the
 * replica keeps of a call once executed: its sender, ingress expiry and outcome, as the IC keeps
 * them. Rendered as a hash tree it is exactly what a `CertifiedMap` of the same entries renders
 * (a balanced tree of forks over `labeled(request id, status tree)` in id order), so its root hash
 * is kept current in O(log n) per change.
 *
 * Statuses leave in the order they came: a queue by arrival is pruned from its head once their
 * ingress expiry has passed, so pruning costs O(expired). Replies and reject messages are bounded
 * in bytes: past the bound the oldest turn `done`.
 */
export class RequestStatuses {
  #root: StatusNode | null = null;
  #size = 0;
  #payloadBytes = 0;
  readonly #maxReplyBytes: number;
  /** Nodes by arrival; `#head` is the first not pruned, `#doneHead` the first not yet considered for `done`. */
  #queue: StatusNode[] = [];
  #head = 0;
  #doneHead = 0;

  constructor(options: RequestStatusesOptions = {}) {
    const max = options.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`maxReplyBytes must be an integer >= 0, got ${max}`);
    this.#maxReplyBytes = max;
  }

  /** Statuses kept. */
  get size(): number {
    return this.#size;
  }

  /** Bytes of replies and reject messages kept. */
  get replyBytes(): number {
    return this.#payloadBytes;
  }

  /** Records the outcome of a call, replacing an earlier status of the same request. */
  record(requestId: Uint8Array, sender: Principal, expiryNs: bigint, outcome: CallOutcome): void {
    const node = outcome.status === 'replied'
      ? new StatusNode(latin1(requestId), latin1(sender.toUint8Array()), expiryNs, 'replied', latin1(outcome.reply), undefined)
      : new StatusNode(latin1(requestId), latin1(sender.toUint8Array()), expiryNs, 'rejected', undefined, {
        code: outcome.rejectCode,
        message: outcome.rejectMessage,
        errorCode: outcome.errorCode,
      });
    this.#root = this.#insert(this.#root, node);
    this.#payloadBytes += node.payloadBytes;
    this.#queue.push(node);
    this.#forgetPayloadsOverBound();
  }

  /** @returns whether a status of `requestId` is kept. */
  has(requestId: Uint8Array): boolean {
    return this.#find(latin1(requestId)) !== undefined;
  }

  /** @returns who sent `requestId`, when its status is kept. */
  senderOf(requestId: Uint8Array): Principal | undefined {
    const node = this.#find(latin1(requestId));
    return node === undefined ? undefined : Principal.fromUint8Array(bytes(node.sender));
  }

  /** @returns the status of `requestId`, when kept. */
  statusOf(requestId: Uint8Array): RequestStatusKind | undefined {
    return this.#find(latin1(requestId))?.status;
  }

  /**
   * Forgets the statuses whose ingress expiry is before `nowNs`: those requests can no longer be
   * submitted again, so nothing needs their status to refuse a replay. Expiries arrive nearly in
   * order; a later one queued before an earlier one only delays the earlier one's pruning.
   */
  pruneExpired(nowNs: bigint): void {
    const queue = this.#queue;
    while (this.#head < queue.length && queue[this.#head].expiryNs < nowNs) {
      const node = queue[this.#head++];
      if (node.removed) continue;
      this.#root = this.#remove(this.#root!, node.key);
      this.#payloadBytes -= node.payloadBytes;
    }
    if (this.#doneHead < this.#head) this.#doneHead = this.#head;
    if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#doneHead -= this.#head;
      this.#head = 0;
    }
  }

  /** @returns the root hash of the statuses' hash tree. */
  rootHash(): Uint8Array {
    return avlRootHash(this.#root);
  }

  /** @returns the hash tree proving each of `requestIds`' status, or its absence; the rest pruned. */
  witness(requestIds: readonly Uint8Array[]): HashTree {
    return witnessAvlKeys(this.#root, requestIds, STATUS_VALUES);
  }

  /** Turns the oldest replied or rejected statuses `done` while the payloads pass the bound. */
  #forgetPayloadsOverBound(): void {
    while (this.#payloadBytes > this.#maxReplyBytes && this.#doneHead < this.#queue.length) {
      const node = this.#queue[this.#doneHead++];
      if (node.removed || node.status === 'done') continue;
      this.#payloadBytes -= node.payloadBytes;
      node.status = 'done';
      node.reply = undefined;
      node.reject = undefined;
      node.labeledHash = labeledHashOf(node);
      this.#invalidatePath(node.key);
    }
  }

  #find(key: string): StatusNode | undefined {
    let node = this.#root;
    while (node !== null) {
      if (key === node.key) return node;
      node = key < node.key ? node.left : node.right;
    }
    return undefined;
  }

  #invalidatePath(key: string): void {
    for (let node = this.#root; node !== null; node = key < node.key ? node.left : node.right) {
      node.invalidate();
      if (node.key === key) return;
    }
  }

  #insert(node: StatusNode | null, added: StatusNode): StatusNode {
    if (node === null) {
      this.#size++;
      return added;
    }
    node.invalidate();
    if (added.key === node.key) {
      // The replaced status leaves the tree; its queue entry is skipped when reached.
      node.removed = true;
      this.#payloadBytes -= node.payloadBytes;
      added.left = node.left;
      added.right = node.right;
      added.height = node.height;
      return added;
    }
    if (added.key < node.key) node.left = this.#insert(node.left, added);
    else node.right = this.#insert(node.right, added);
    return rebalanceAvl(node);
  }

  /** Removes `key`, which must be present. */
  #remove(node: StatusNode, key: string): StatusNode | null {
    if (key === node.key) {
      node.removed = true;
      this.#size--;
      if (node.left === null) return node.right;
      if (node.right === null) return node.left;
      let successor = node.right;
      while (successor.left !== null) successor = successor.left;
      successor.right = removeAvlMin(node.right);
      successor.left = node.left;
      successor.invalidate();
      return rebalanceAvl(successor);
    }
    if (key < node.key) node.left = this.#remove(node.left!, key);
    else node.right = this.#remove(node.right!, key);
    node.invalidate();
    return rebalanceAvl(node);
  }
}

/** @returns the status of `node` as a hash tree, as agents read it under `request_status/<id>`. */
function statusTree(node: StatusNode): HashTree {
  if (node.status === 'replied') {
    return fork(labeled(LABEL.reply, leaf(bytes(node.reply!))), labeled(LABEL.status, leaf(STATUS_TEXT.replied)));
  }
  if (node.status === 'rejected') {
    const reject = node.reject!;
    return fork(
      fork(labeled(LABEL.errorCode, leaf(utf8(reject.errorCode))), labeled(LABEL.rejectCode, leaf(encodeUleb128(reject.code)))),
      fork(labeled(LABEL.rejectMessage, leaf(utf8(reject.message))), labeled(LABEL.status, leaf(STATUS_TEXT.rejected))),
    );
  }
  return labeled(LABEL.status, leaf(STATUS_TEXT.done));
}

/** A status node's value in witnesses: its status tree. */
const STATUS_VALUES: NodeValues<StatusNode> = {
  tree: statusTree,
  hash: (node) => reconstruct(statusTree(node)),
};

function labeledHashOf(node: StatusNode): string {
  return latin1(reconstruct(labeled(bytes(node.key), statusTree(node))));
}
