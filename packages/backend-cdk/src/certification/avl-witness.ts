import { refreshHash, type HashedNode } from './avl-node';
import { empty, fork, labeled, pruned, reconstruct, type HashTree } from './hash-tree';
import { bytesOf, latin1 } from './latin1';

/** How a tree's nodes show their values in a witness. */
export interface NodeValues<N> {
  /** @returns the value of `node` as a hash tree. */
  tree(node: N): HashTree;
  /** @returns the hash of that tree. */
  hash(node: N): Uint8Array;
}

/** A node a witness shows: `full` with its value tree, otherwise only its label (value pruned). */
export interface Reveal<N> {
  readonly node: N;
  full: boolean;
}

/** @returns the root hash of the tree at `root`, recomputing only stale nodes. */
export function rootHashOf<N extends HashedNode<N>>(root: N | null): Uint8Array {
  return root === null ? reconstruct(empty()) : bytesOf(refreshHash(root));
}

/** @returns the witness proving each of `keys` present with its value, or absent; the rest pruned. O(m·log n). */
export function witnessKeysOf<N extends HashedNode<N>>(root: N | null, keys: Iterable<Uint8Array>, values: NodeValues<N>): HashTree {
  if (root === null) return empty();
  const reveals: Reveal<N>[] = [];
  for (const key of keys) collectKey(root, latin1(key), reveals);
  return renderWitness(root, mergeReveals(reveals), values);
}

/** Latin1 strings compare char by char, which is byte order. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Adds what proves `key`: its node, or the nearest keys below and above it. */
function collectKey<N extends HashedNode<N>>(root: N, key: string, into: Reveal<N>[]): void {
  let below: N | null = null;
  let above: N | null = null;
  for (let node: N | null = root; node !== null; ) {
    const order = compareText(key, node.key);
    if (order === 0) {
      into.push({ node, full: true });
      return;
    }
    if (order < 0) {
      above = node;
      node = node.left;
    } else {
      below = node;
      node = node.right;
    }
  }
  if (below !== null) into.push({ node: below, full: false });
  if (above !== null) into.push({ node: above, full: false });
}

/** Sorts reveals by key and merges duplicates, a full reveal winning over a label-only one. */
function mergeReveals<N extends HashedNode<N>>(reveals: Reveal<N>[]): Reveal<N>[] {
  reveals.sort((a, b) => compareText(a.node.key, b.node.key));
  const merged: Reveal<N>[] = [];
  for (const reveal of reveals) {
    const previous = merged.at(-1);
    if (previous?.node === reveal.node) previous.full ||= reveal.full;
    else merged.push(reveal);
  }
  return merged;
}

/** Renders `root` with `reveals` (sorted by key, distinct) shown and every other subtree pruned. */
export function renderWitness<N extends HashedNode<N>>(root: N, reveals: readonly Reveal<N>[], values: NodeValues<N>): HashTree {
  refreshHash(root);
  return renderPart(root, reveals, 0, reveals.length, values);
}

/** `reveals[from, to)` are exactly the reveals inside `node`'s subtree, whose hashes are fresh. */
function renderPart<N extends HashedNode<N>>(node: N, reveals: readonly Reveal<N>[], from: number, to: number, values: NodeValues<N>): HashTree {
  if (from === to) return pruned(bytesOf(node.subtreeHash!));
  const split = lowerBound(reveals, from, to, node.key);
  const hit = split < to && reveals[split].node === node ? reveals[split] : undefined;
  const self = hit === undefined
    ? pruned(bytesOf(node.labeledHash))
    : labeled(bytesOf(node.key), hit.full ? values.tree(node) : pruned(values.hash(node)));
  let head: HashTree;
  if (node.left === null) head = self;
  else if (split === from && hit === undefined) head = pruned(bytesOf(node.headHash!));
  else head = fork(renderPart(node.left, reveals, from, split, values), self);
  if (node.right === null) return head;
  return fork(head, renderPart(node.right, reveals, hit === undefined ? split : split + 1, to, values));
}

function lowerBound<N extends HashedNode<N>>(reveals: readonly Reveal<N>[], from: number, to: number, key: string): number {
  while (from < to) {
    const mid = (from + to) >>> 1;
    if (reveals[mid].node.key < key) from = mid + 1;
    else to = mid;
  }
  return from;
}
