import type {
  EmptyHashTree,
  ForkHashTree,
  HashTree as AgentHashTree,
  LabeledHashTree,
  LeafHashTree,
  NodeHash,
  NodeLabel,
  NodeValue,
  PrunedHashTree,
} from '@icp-sdk/core/agent';
import { sha256 } from './sha256';

/**
 * A hash tree as in the IC interface spec ("Certification"), in the agent's own array encoding,
 * so trees built here pass straight to `lookup_path`, `reconstruct` and CBOR encoders:
 * `[0]` Empty, `[1, left, right]` Fork, `[2, label, subtree]` Labeled, `[3, value]` Leaf, `[4, hash]` Pruned.
 * Builders keep references to the byte arrays they are given: treat them as immutable afterwards.
 */
export type HashTree = AgentHashTree;
export type { EmptyHashTree, ForkHashTree, LabeledHashTree, LeafHashTree, PrunedHashTree };

const utf8 = new TextEncoder();

export function empty(): EmptyHashTree {
  return [0];
}

export function fork(left: HashTree, right: HashTree): ForkHashTree {
  return [1, left, right];
}

/** Strings are taken as UTF-8, as for the IC's path labels. */
export function labeled(label: Uint8Array | string, subtree: HashTree): LabeledHashTree {
  const bytes = typeof label === 'string' ? utf8.encode(label) : label;
  return [2, bytes as NodeLabel, subtree];
}

export function leaf(value: Uint8Array): LeafHashTree {
  return [3, value as NodeValue];
}

export function pruned(hash: Uint8Array): PrunedHashTree {
  if (hash.length !== 32) throw new RangeError(`pruned: expected a 32-byte hash, got ${hash.length} bytes`);
  return [4, hash as NodeHash];
}

function domainSeparator(name: string): Uint8Array {
  const text = utf8.encode(name);
  const out = new Uint8Array(1 + text.length);
  out[0] = text.length;
  out.set(text, 1);
  return out;
}

const EMPTY_SEP = domainSeparator('ic-hashtree-empty');
const FORK_SEP = domainSeparator('ic-hashtree-fork');
const LABELED_SEP = domainSeparator('ic-hashtree-labeled');
const LEAF_SEP = domainSeparator('ic-hashtree-leaf');

/** Reused input buffer: allocating one per hash (off-heap above 64 bytes) cost as much as hashing. */
const scratch = new Uint8Array(1024);

function hashSeparated(sep: Uint8Array, a: Uint8Array, b?: Uint8Array): Uint8Array {
  const length = sep.length + a.length + (b?.length ?? 0);
  const buf = length <= scratch.length ? scratch : new Uint8Array(length);
  buf.set(sep);
  buf.set(a, sep.length);
  if (b) buf.set(b, sep.length + a.length);
  return sha256(buf.subarray(0, length));
}

const EMPTY_HASH = sha256(EMPTY_SEP);

/** Forks of two 32-byte hashes are most of the hashing, so their input keeps its separator in place. */
const forkInput = new Uint8Array(FORK_SEP.length + 64);
forkInput.set(FORK_SEP);

export function forkHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== 32 || right.length !== 32) return hashSeparated(FORK_SEP, left, right);
  forkInput.set(left, FORK_SEP.length);
  forkInput.set(right, FORK_SEP.length + 32);
  return sha256(forkInput);
}

export function labeledHash(label: Uint8Array, subtreeHash: Uint8Array): Uint8Array {
  return hashSeparated(LABELED_SEP, label, subtreeHash);
}

export function leafHash(value: Uint8Array): Uint8Array {
  return hashSeparated(LEAF_SEP, value);
}

/** @returns the root hash of `tree`, the value a certificate signs (spec: `reconstruct`). */
export function reconstruct(tree: HashTree): Uint8Array {
  switch (tree[0]) {
    case 0:
      return EMPTY_HASH.slice();
    case 1:
      return forkHash(reconstruct(tree[1]), reconstruct(tree[2]));
    case 2:
      return labeledHash(tree[1], reconstruct(tree[2]));
    case 3:
      return leafHash(tree[1]);
    case 4:
      return tree[1];
    default:
      throw new TypeError(`reconstruct: not a hash tree node: ${describe(tree)}`);
  }
}

function describe(node: unknown): string {
  return Array.isArray(node) ? `[${String(node[0])}, …]` : typeof node;
}
