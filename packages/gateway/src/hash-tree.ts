/**
 * Reads leaves of an IC hash tree (the `tree` of a certificate, as CBOR decodes it). The agent's
 * own lookup slices leaf values by their offset in the decoded buffer, which is wrong for values
 * that are views into a larger buffer (a Node `Buffer` from the pool, or a CBOR body); this one
 * returns each value as its own copy.
 */
import { equalBytes, type HashTreeNode } from '@icws/protocol';

/** What a lookup found: a leaf's value, or why there is none. */
export type LeafLookup =
  | { readonly status: 'found'; readonly value: Uint8Array }
  /** The path is provably not in the tree. */
  | { readonly status: 'absent' }
  /** A pruned branch hides whether the path is there. */
  | { readonly status: 'unknown' }
  /** The path ends at a subtree rather than a leaf, or the tree is malformed. */
  | { readonly status: 'error' };

const encoder = new TextEncoder();

/**
 * @param path - labels from the root; strings are UTF-8 encoded
 * @returns the leaf at `path`, with a copy of its value
 */
export function lookupLeaf(tree: unknown, path: ReadonlyArray<string | Uint8Array>): LeafLookup {
  let node = tree as HashTreeNode;
  for (const segment of path) {
    const label = typeof segment === 'string' ? encoder.encode(segment) : segment;
    const found = findLabel(node, label);
    if (found === 'absent' || found === 'unknown' || found === 'error') return { status: found };
    node = found;
  }
  if (!Array.isArray(node)) return { status: 'error' };
  if (node[0] === 3 && node[1] instanceof Uint8Array) return { status: 'found', value: Uint8Array.from(node[1]) };
  if (node[0] === 0) return { status: 'absent' };
  if (node[0] === 4) return { status: 'unknown' };
  return { status: 'error' };
}

/** @returns the subtree under `label` among the labeled nodes reachable through forks. */
function findLabel(node: HashTreeNode, label: Uint8Array): HashTreeNode | 'absent' | 'unknown' | 'error' {
  if (!Array.isArray(node)) return 'error';
  switch (node[0]) {
    case 0:
      return 'absent';
    case 4:
      return 'unknown';
    case 2:
      return node[1] instanceof Uint8Array && equalBytes(node[1], label) ? node[2] : 'absent';
    case 1: {
      const left = findLabel(node[1], label);
      if (left !== 'absent') return left === 'unknown' ? orUnknown(findLabel(node[2], label)) : left;
      return findLabel(node[2], label);
    }
    default:
      return 'error';
  }
}

/** A label hidden on one side of a fork may still be found on the other. */
function orUnknown(other: HashTreeNode | 'absent' | 'unknown' | 'error'): HashTreeNode | 'unknown' | 'error' {
  return other === 'absent' ? 'unknown' : other;
}
