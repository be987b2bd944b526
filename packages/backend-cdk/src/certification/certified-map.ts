import { AvlNode, heightOf, rebalance, refreshHash, removeMin } from './avl-node';
import { equalBytes } from '@icws/protocol';
import { compareBytes } from './bytes';
import { empty, fork, labeled, labeledHash, pruned, reconstruct, type HashTree } from './hash-tree';

export type CertifiedEntry = [key: Uint8Array, value: HashTree];

/** A node a witness shows: `full` with its value tree, otherwise only its label (value pruned). */
interface Reveal {
  readonly node: AvlNode;
  full: boolean;
}

/**
 * A map from byte-string labels to hash trees whose root hash is kept current in O(log n) per
 * change, and which can prove presence or absence of keys and ranges with small witnesses.
 * Rendered as a hash tree it is a balanced binary tree of forks over `labeled(key, value)` nodes in
 * key order (see AvlNode), so agents look keys up in it with `lookup_path`.
 *
 * {@link snapshot} freezes the map as it is, in O(1): later changes copy the nodes they touch
 * (path copying) instead of changing them in place, so the snapshot keeps proving the keys and
 * root hash it had while the map moves on.
 *
 * Values are hashed when set: do not mutate a value tree (or a key) after handing it over.
 * Witnesses share byte arrays with the map, so copy before altering one.
 */
export class CertifiedMap {
  #root: AvlNode | null = null;
  #size = 0;
  /** Bumped on every insertion or removal, so iterators notice structural changes. */
  #version = 0;
  /** Nodes made since the last snapshot carry this epoch and may change in place; older ones are shared. */
  #epoch = 0;
  readonly #own = (node: AvlNode): AvlNode => (node.epoch === this.#epoch ? node : node.copy(this.#epoch));

  get size(): number {
    return this.#size;
  }

  /** Height of the underlying AVL tree (at most ~1.44·log2(n+2)); for diagnostics. */
  get height(): number {
    return heightOf(this.#root);
  }

  get(key: Uint8Array): HashTree | undefined {
    return this.#find(key)?.value;
  }

  has(key: Uint8Array): boolean {
    return this.#find(key) !== undefined;
  }

  set(key: Uint8Array, value: HashTree): this {
    const valueHash = reconstruct(value);
    this.#root = this.#insert(this.#root, key, value, valueHash, labeledHash(key, valueHash));
    return this;
  }

  delete(key: Uint8Array): boolean {
    if (this.#find(key) === undefined) return false;
    this.#root = this.#remove(this.#root!, key);
    this.#size--;
    this.#version++;
    return true;
  }

  clear(): void {
    this.#root = null;
    this.#size = 0;
    this.#version++;
  }

  first(): CertifiedEntry | undefined {
    let node = this.#root;
    while (node?.left) node = node.left;
    return node ? [node.key, node.value] : undefined;
  }

  last(): CertifiedEntry | undefined {
    let node = this.#root;
    while (node?.right) node = node.right;
    return node ? [node.key, node.value] : undefined;
  }

  [Symbol.iterator](): Generator<CertifiedEntry, void, undefined> {
    return this.entriesFrom();
  }

  entries(): Generator<CertifiedEntry, void, undefined> {
    return this.entriesFrom();
  }

  /**
   * Entries with key ≥ `low` (all entries without it), in key order, produced lazily: taking the
   * first k costs O(log n + k). Throws if the map gains or loses keys during iteration.
   */
  *entriesFrom(low?: Uint8Array): Generator<CertifiedEntry, void, undefined> {
    const version = this.#version;
    const stack: AvlNode[] = [];
    for (let node = this.#root; node !== null; ) {
      if (low === undefined || compareBytes(node.key, low) >= 0) {
        stack.push(node);
        node = node.left;
      } else {
        node = node.right;
      }
    }
    while (stack.length > 0) {
      const node = stack.pop()!;
      yield [node.key, node.value];
      if (this.#version !== version) throw new Error('CertifiedMap: keys added or removed during iteration');
      for (let next = node.right; next !== null; next = next.left) stack.push(next);
    }
  }

  rootHash(): Uint8Array {
    return rootHashOf(this.#root);
  }

  /**
   * @returns the map as it is now, frozen: its root hash and range witnesses stay those of now
   *   whatever the map does afterwards. O(1); the map's next changes copy O(log n) nodes each.
   */
  snapshot(): CertifiedMapSnapshot {
    this.#epoch++;
    return new CertifiedMapSnapshot(this.#root);
  }

  /** The whole map as a hash tree; its size is O(n), so meant for small maps. */
  tree(): HashTree {
    return this.#root === null ? empty() : renderFull(this.#root);
  }

  /** Proves `key`'s value, or that the key is absent (by revealing the keys either side of it). */
  witness(key: Uint8Array): HashTree {
    return this.witnessKeys([key]);
  }

  /** One witness for several keys, each proven present with its value or absent. O(m·log n). */
  witnessKeys(keys: Iterable<Uint8Array>): HashTree {
    const root = this.#root;
    if (root === null) return empty();
    const reveals: Reveal[] = [];
    for (const key of keys) collectKey(root, key, reveals);
    return renderWitness(root, mergeReveals(reveals));
  }

  /**
   * Proves exactly which keys lie in [lo, hi] and their values. Where an end of the range is not a
   * key, the neighbouring key outside is revealed (label only) to prove nothing lies in between.
   * Everything else is pruned using cached hashes: O(log n + k) nodes for k keys in the range.
   */
  witnessRange(lo: Uint8Array, hi: Uint8Array): HashTree {
    return witnessRangeOf(this.#root, lo, hi);
  }

  #find(key: Uint8Array): AvlNode | undefined {
    let node = this.#root;
    while (node !== null) {
      const order = compareBytes(key, node.key);
      if (order === 0) return node;
      node = order < 0 ? node.left : node.right;
    }
    return undefined;
  }

  #insert(node: AvlNode | null, key: Uint8Array, value: HashTree, valueHash: Uint8Array, labelHash: Uint8Array): AvlNode {
    if (node === null) {
      this.#size++;
      this.#version++;
      return new AvlNode(new Uint8Array(key), value, valueHash, labelHash, this.#epoch);
    }
    node = this.#own(node);
    node.invalidate();
    const order = compareBytes(key, node.key);
    if (order === 0) {
      node.value = value;
      node.valueHash = valueHash;
      node.labeledHash = labelHash;
      return node;
    }
    if (order < 0) node.left = this.#insert(node.left, key, value, valueHash, labelHash);
    else node.right = this.#insert(node.right, key, value, valueHash, labelHash);
    return rebalance(node, this.#own);
  }

  /** Removes `key`, which must be present. */
  #remove(node: AvlNode, key: Uint8Array): AvlNode | null {
    const order = compareBytes(key, node.key);
    if (order === 0) {
      if (node.left === null) return node.right;
      if (node.right === null) return node.left;
      let successor = node.right;
      while (successor.left !== null) successor = successor.left;
      const rest = removeMin(node.right, this.#own);
      const moved = this.#own(successor);
      moved.right = rest;
      moved.left = node.left;
      moved.invalidate();
      return rebalance(moved, this.#own);
    }
    const owned = this.#own(node);
    if (order < 0) owned.left = this.#remove(owned.left!, key);
    else owned.right = this.#remove(owned.right!, key);
    owned.invalidate();
    return rebalance(owned, this.#own);
  }
}

/**
 * The witness of {@link CertifiedMap.witnessRange} for the tree at `root`.
 * @throws RangeError when `lo` is greater than `hi`
 */
function witnessRangeOf(root: AvlNode | null, lo: Uint8Array, hi: Uint8Array): HashTree {
  if (compareBytes(lo, hi) > 0) throw new RangeError('CertifiedMap.witnessRange: lo is greater than hi');
  if (root === null) return empty();
  const reveals: Reveal[] = [];
  const stack: AvlNode[] = [];
  let below: AvlNode | null = null;
  for (let node: AvlNode | null = root; node !== null; ) {
    if (compareBytes(node.key, lo) >= 0) {
      stack.push(node);
      node = node.left;
    } else {
      below = node;
      node = node.right;
    }
  }
  const firstInRange = stack.at(-1);
  if (below !== null && (firstInRange === undefined || !equalBytes(firstInRange.key, lo))) {
    reveals.push({ node: below, full: false });
  }
  let lastInRange: AvlNode | null = null;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (compareBytes(node.key, hi) > 0) {
      if (lastInRange === null || !equalBytes(lastInRange.key, hi)) reveals.push({ node, full: false });
      break;
    }
    reveals.push({ node, full: true });
    lastInRange = node;
    for (let next = node.right; next !== null; next = next.left) stack.push(next);
  }
  return renderWitness(root, reveals);
}

/** @returns the root hash of the tree at `root`, recomputing only stale nodes. */
function rootHashOf(root: AvlNode | null): Uint8Array {
  return root === null ? reconstruct(empty()) : refreshHash(root).slice();
}

/** Adds what proves `key`: its node, or the nearest keys below and above it. */
function collectKey(root: AvlNode, key: Uint8Array, into: Reveal[]): void {
  let below: AvlNode | null = null;
  let above: AvlNode | null = null;
  for (let node: AvlNode | null = root; node !== null; ) {
    const order = compareBytes(key, node.key);
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
function mergeReveals(reveals: Reveal[]): Reveal[] {
  reveals.sort((a, b) => compareBytes(a.node.key, b.node.key));
  const merged: Reveal[] = [];
  for (const reveal of reveals) {
    const previous = merged.at(-1);
    if (previous?.node === reveal.node) previous.full ||= reveal.full;
    else merged.push(reveal);
  }
  return merged;
}

/** Renders `root` with `reveals` (sorted, distinct) shown and every other subtree pruned. */
function renderWitness(root: AvlNode, reveals: readonly Reveal[]): HashTree {
  refreshHash(root);
  return renderPart(root, reveals, 0, reveals.length);
}

/** `reveals[from, to)` are exactly the reveals inside `node`'s subtree, whose hashes are fresh. */
function renderPart(node: AvlNode, reveals: readonly Reveal[], from: number, to: number): HashTree {
  if (from === to) return pruned(node.subtreeHash!);
  const split = lowerBound(reveals, from, to, node.key);
  const hit = split < to && reveals[split].node === node ? reveals[split] : undefined;
  const self = hit === undefined
    ? pruned(node.labeledHash)
    : labeled(node.key, hit.full ? node.value : pruned(node.valueHash));
  let head: HashTree;
  if (node.left === null) head = self;
  else if (split === from && hit === undefined) head = pruned(node.headHash!);
  else head = fork(renderPart(node.left, reveals, from, split), self);
  if (node.right === null) return head;
  return fork(head, renderPart(node.right, reveals, hit === undefined ? split : split + 1, to));
}

function lowerBound(reveals: readonly Reveal[], from: number, to: number, key: Uint8Array): number {
  while (from < to) {
    const mid = (from + to) >>> 1;
    if (compareBytes(reveals[mid].node.key, key) < 0) from = mid + 1;
    else to = mid;
  }
  return from;
}

function renderFull(node: AvlNode): HashTree {
  const self = labeled(node.key, node.value);
  const head = node.left === null ? self : fork(renderFull(node.left), self);
  return node.right === null ? head : fork(head, renderFull(node.right));
}

/** A {@link CertifiedMap} frozen by {@link CertifiedMap.snapshot}: what it proved then, it proves still. */
export class CertifiedMapSnapshot {
  readonly #root: AvlNode | null;

  /** @internal */
  constructor(root: AvlNode | null) {
    this.#root = root;
  }

  /** @returns the root hash the map had when frozen. */
  rootHash(): Uint8Array {
    return rootHashOf(this.#root);
  }

  /** @returns {@link CertifiedMap.witnessRange} of the map as it was when frozen. */
  witnessRange(lo: Uint8Array, hi: Uint8Array): HashTree {
    return witnessRangeOf(this.#root, lo, hi);
  }
}
