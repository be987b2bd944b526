import { AvlNode, heightOf, rebalance, removeMin } from './avl-node';
import { compareText, renderWitness, rootHashOf, witnessKeysOf, type NodeValues, type Reveal } from './avl-witness';
import { empty, fork, labeled, leaf, type HashTree } from './hash-tree';
import { bytesOf, labeledHashText, latin1, leafHashText, treeHashText } from './latin1';

export type CertifiedEntry = [key: Uint8Array, value: HashTree];

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
 * Values are hashed when set: do not mutate a value tree after handing it over. Keys, hashes and
 * leaf values of up to {@link SMALL_LEAF_BYTES} bytes are kept as latin1 text (a string costs a
 * fifth of a small Uint8Array on Node), and returned as new byte arrays.
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
    const node = this.#find(latin1(key));
    return node === undefined ? undefined : valueOf(node);
  }

  has(key: Uint8Array): boolean {
    return this.#find(latin1(key)) !== undefined;
  }

  set(key: Uint8Array, value: HashTree): this {
    const keyText = latin1(key);
    const stored = value[0] === 3 && value[1].length <= SMALL_LEAF_BYTES ? latin1(value[1]) : value;
    const valueHash = typeof stored === 'string' ? leafHashText(stored) : treeHashText(value);
    this.#root = this.#insert(this.#root, keyText, stored, labeledHashText(keyText, valueHash));
    return this;
  }

  delete(key: Uint8Array): boolean {
    const keyText = latin1(key);
    if (this.#find(keyText) === undefined) return false;
    this.#root = this.#remove(this.#root!, keyText);
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
    return node ? entryOf(node) : undefined;
  }

  last(): CertifiedEntry | undefined {
    let node = this.#root;
    while (node?.right) node = node.right;
    return node ? entryOf(node) : undefined;
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
    const lowText = low === undefined ? undefined : latin1(low);
    for (let node = this.#root; node !== null; ) {
      if (lowText === undefined || node.key >= lowText) {
        stack.push(node);
        node = node.left;
      } else {
        node = node.right;
      }
    }
    while (stack.length > 0) {
      const node = stack.pop()!;
      yield entryOf(node);
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
    return witnessKeysOf(this.#root, keys, VALUES);
  }

  /**
   * Proves exactly which keys lie in [lo, hi] and their values. Where an end of the range is not a
   * key, the neighbouring key outside is revealed (label only) to prove nothing lies in between.
   * Everything else is pruned using cached hashes: O(log n + k) nodes for k keys in the range.
   */
  witnessRange(lo: Uint8Array, hi: Uint8Array): HashTree {
    return witnessRangeOf(this.#root, lo, hi);
  }

  #find(key: string): AvlNode | undefined {
    let node = this.#root;
    while (node !== null) {
      if (key === node.key) return node;
      node = key < node.key ? node.left : node.right;
    }
    return undefined;
  }

  #insert(node: AvlNode | null, key: string, value: HashTree | string, labelHash: string): AvlNode {
    if (node === null) {
      this.#size++;
      this.#version++;
      return new AvlNode(key, value, labelHash, this.#epoch);
    }
    node = this.#own(node);
    node.invalidate();
    if (key === node.key) {
      node.value = value;
      node.labeledHash = labelHash;
      return node;
    }
    if (key < node.key) node.left = this.#insert(node.left, key, value, labelHash);
    else node.right = this.#insert(node.right, key, value, labelHash);
    return rebalance(node, this.#own);
  }

  /** Removes `key`, which must be present. */
  #remove(node: AvlNode, key: string): AvlNode | null {
    const order = compareText(key, node.key);
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
function witnessRangeOf(root: AvlNode | null, loBytes: Uint8Array, hiBytes: Uint8Array): HashTree {
  const lo = latin1(loBytes);
  const hi = latin1(hiBytes);
  if (lo > hi) throw new RangeError('CertifiedMap.witnessRange: lo is greater than hi');
  if (root === null) return empty();
  const reveals: Reveal<AvlNode>[] = [];
  const stack: AvlNode[] = [];
  let below: AvlNode | null = null;
  for (let node: AvlNode | null = root; node !== null; ) {
    if (node.key >= lo) {
      stack.push(node);
      node = node.left;
    } else {
      below = node;
      node = node.right;
    }
  }
  const firstInRange = stack.at(-1);
  if (below !== null && (firstInRange === undefined || firstInRange.key !== lo)) {
    reveals.push({ node: below, full: false });
  }
  let lastInRange: AvlNode | null = null;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.key > hi) {
      if (lastInRange === null || lastInRange.key !== hi) reveals.push({ node, full: false });
      break;
    }
    reveals.push({ node, full: true });
    lastInRange = node;
    for (let next = node.right; next !== null; next = next.left) stack.push(next);
  }
  return renderWitness(root, reveals, VALUES);
}

/** Leaf values up to this size are kept as latin1 text: hashes, the certified data of canisters. */
const SMALL_LEAF_BYTES = 64;

/** @returns the value of `node` as a hash tree. */
function valueOf(node: AvlNode): HashTree {
  return typeof node.value === 'string' ? leaf(bytesOf(node.value)) : node.value;
}

/** The values of a map's nodes in its witnesses. */
const VALUES: NodeValues<AvlNode> = {
  tree: valueOf,
  hash: (node) => bytesOf(typeof node.value === 'string' ? leafHashText(node.value) : treeHashText(node.value)),
};

function entryOf(node: AvlNode): CertifiedEntry {
  return [bytesOf(node.key), valueOf(node)];
}

function renderFull(node: AvlNode): HashTree {
  const self = labeled(bytesOf(node.key), valueOf(node));
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
