import { compareBytes } from './bytes';
import type { HashTree } from './hash-tree';

export type PathLookup =
  | { readonly status: 'Found'; readonly value: Uint8Array }
  | { readonly status: 'Absent' }
  | { readonly status: 'Unknown' }
  | { readonly status: 'Error' };

type LabelLookup = { readonly status: 'Found'; readonly subtree: HashTree } | { readonly status: 'Absent' | 'Unknown' };

const ABSENT = { status: 'Absent' } as const;
const UNKNOWN = { status: 'Unknown' } as const;
const ERROR = { status: 'Error' } as const;
const utf8 = new TextEncoder();

/**
 * `lookup_path` exactly as the IC interface spec defines it, with lexicographic label order.
 * It exists because @dfinity/agent 3.4.3's lookup compares labels bytewise rather than
 * lexicographically and stops at an Empty inside a fork, so it reads some valid absence proofs
 * as Unknown; use this one to check what a witness actually proves.
 */
export function lookupPath(path: ReadonlyArray<Uint8Array | string>, tree: HashTree): PathLookup {
  let subtree = tree;
  for (const segment of path) {
    const label = typeof segment === 'string' ? utf8.encode(segment) : segment;
    const found = findLabel(label, flattenForks(subtree));
    if (found.status !== 'Found') return found.status === 'Absent' ? ABSENT : UNKNOWN;
    subtree = found.subtree;
  }
  switch (subtree[0]) {
    case 0:
      return ABSENT;
    case 3:
      return { status: 'Found', value: subtree[1] };
    case 4:
      return UNKNOWN;
    default:
      return ERROR;
  }
}

function flattenForks(tree: HashTree): HashTree[] {
  const out: HashTree[] = [];
  const stack: HashTree[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node[0] === 1) stack.push(node[2], node[1]);
    else if (node[0] !== 0) out.push(node);
  }
  return out;
}

/** A label is proven absent only between two revealed labels (or a revealed label and an end) with nothing pruned in between. */
function findLabel(label: Uint8Array, nodes: readonly HashTree[]): LabelLookup {
  if (nodes.length === 1 && nodes[0][0] === 3) return ABSENT;
  let previousIsSmallerLabel = true;
  for (const node of nodes) {
    if (node[0] === 2) {
      const order = compareBytes(node[1], label);
      if (order === 0) return { status: 'Found', subtree: node[2] };
      if (order > 0) return previousIsSmallerLabel ? ABSENT : UNKNOWN;
      previousIsSmallerLabel = true;
    } else {
      previousIsSmallerLabel = false;
    }
  }
  return previousIsSmallerLabel ? ABSENT : UNKNOWN;
}
