import type { HashTree } from './hash-tree';
import { forkHashText } from './latin1';

/**
 * A node of the AVL tree behind CertifiedMap. Besides the entry it caches the hashes a witness
 * needs, so pruning a subtree never rehashes it. A node subtree renders as
 * `fork(fork(left, labeled(key, value)), right)` with absent children elided; `headHash` is the hash
 * of the inner `fork(left, labeled…)` (or of the labeled node alone when there is no left child).
 * Null hashes mean "stale": every change invalidates the nodes on its path, and the hashes are
 * recomputed lazily, so a batch of writes shares the rehashing of common ancestors.
 *
 * The key and the hashes are latin1 text (see `latin1.ts`), and so is the value when it is a small
 * leaf (its bytes): a map of a hundred thousand entries holds that many of each.
 */
export class AvlNode implements HashedNode<AvlNode> {
  left: AvlNode | null = null;
  right: AvlNode | null = null;
  height = 1;
  headHash: string | null = null;
  subtreeHash: string | null = null;

  constructor(
    readonly key: string,
    /** The value's tree, or the bytes of a leaf value as latin1 text. */
    public value: HashTree | string,
    public labeledHash: string,
    /** The version of the map that made this node; see `CertifiedMap.snapshot`. */
    public epoch = 0,
  ) {}

  invalidate(): void {
    this.headHash = null;
    this.subtreeHash = null;
  }

  /** @returns a copy of this node, children and cached hashes shared, made by version `epoch`. */
  copy(epoch: number): AvlNode {
    const copy = new AvlNode(this.key, this.value, this.labeledHash, epoch);
    copy.left = this.left;
    copy.right = this.right;
    copy.height = this.height;
    copy.headHash = this.headHash;
    copy.subtreeHash = this.subtreeHash;
    return copy;
  }
}

/**
 * Gives a node that may be changed in place: the node itself, or a copy where the node is shared
 * with a frozen version of the tree (path copying). Balancing calls it on every node it changes
 * besides the one it is given, which the caller has made its own.
 */
export type OwnNode<N> = (node: N) => N;

function inPlace<N>(node: N): N {
  return node;
}

/**
 * What AVL balancing needs of a node: its children, its height, and a way to mark the hashes it
 * caches stale when its subtree changes shape. {@link AvlNode} is one; a host keeping other values
 * in a tree of the same shape (the replica's request statuses) brings its own.
 */
export interface BalancedNode<N extends BalancedNode<N>> {
  left: N | null;
  right: N | null;
  height: number;
  invalidate(): void;
}

/**
 * A {@link BalancedNode} of a tree rendered as {@link AvlNode} describes: a latin1 key, the hash of
 * its `labeled(key, value)` node, and the hashes of its head and subtree, null when stale.
 */
export interface HashedNode<N extends HashedNode<N>> extends BalancedNode<N> {
  readonly key: string;
  readonly labeledHash: string;
  headHash: string | null;
  subtreeHash: string | null;
}

export function heightOf(node: { readonly height: number } | null): number {
  return node === null ? 0 : node.height;
}

/** @returns the subtree hash of `node`, recomputing only stale nodes. A clean node has clean descendants. */
export function refreshHash<N extends HashedNode<N>>(node: N): string {
  if (node.subtreeHash !== null) return node.subtreeHash;
  const head = node.left === null ? node.labeledHash : forkHashText(refreshHash(node.left), node.labeledHash);
  node.headHash = head;
  node.subtreeHash = node.right === null ? head : forkHashText(head, refreshHash(node.right));
  return node.subtreeHash;
}

function updateHeight<N extends BalancedNode<N>>(node: N): void {
  node.height = 1 + Math.max(heightOf(node.left), heightOf(node.right));
}

function rotateRight<N extends BalancedNode<N>>(node: N, own: OwnNode<N>): N {
  const pivot = own(node.left!);
  node.left = pivot.right;
  pivot.right = node;
  updateHeight(node);
  updateHeight(pivot);
  node.invalidate();
  pivot.invalidate();
  return pivot;
}

function rotateLeft<N extends BalancedNode<N>>(node: N, own: OwnNode<N>): N {
  const pivot = own(node.right!);
  node.right = pivot.left;
  pivot.left = node;
  updateHeight(node);
  updateHeight(pivot);
  node.invalidate();
  pivot.invalidate();
  return pivot;
}

/**
 * Restores the AVL invariant at `node`, whose children are balanced and differ in height by at most 2.
 * @param own - makes the other nodes it changes changeable (see {@link OwnNode}); `node` must be already
 */
export function rebalance<N extends BalancedNode<N>>(node: N, own: OwnNode<N> = inPlace): N {
  updateHeight(node);
  const balance = heightOf(node.left) - heightOf(node.right);
  if (balance > 1) {
    const left = node.left!;
    if (heightOf(left.left) < heightOf(left.right)) node.left = rotateLeft(own(left), own);
    return rotateRight(node, own);
  }
  if (balance < -1) {
    const right = node.right!;
    if (heightOf(right.right) < heightOf(right.left)) node.right = rotateRight(own(right), own);
    return rotateLeft(node, own);
  }
  return node;
}

/**
 * Detaches the leftmost node of `node`'s subtree. @returns the remaining subtree.
 * @param own - as for {@link rebalance}; applied to every node it changes, `node` included
 */
export function removeMin<N extends BalancedNode<N>>(node: N, own: OwnNode<N> = inPlace): N | null {
  if (node.left === null) return node.right;
  const owned = own(node);
  owned.left = removeMin(owned.left!, own);
  owned.invalidate();
  return rebalance(owned, own);
}
