/**
 * A poll's witness cut down for each message it delivers. The canister proves a whole batch with
 * one tree, which the protocol sends along with every message of the batch: a tree of k keys
 * costs every one of the k messages O(k) bytes to carry and check. Pruning every branch off the
 * path to a message's own key (each pruned branch replaced by its hash, so the root hash, which
 * the certificate covers, stays the same) leaves O(log n) of it. Small trees are sent as they come:
 * clients that share a process check one tree once for all its messages.
 */
import { Cbor } from '@icp-sdk/core/agent';
import { CERTIFICATION_LABEL, encodeHashTreeCbor, equalBytes, type HashTreeNode } from '@icws/protocol';
import { sha256 } from './native-hash';

/** Trees up to this size go to every message as they are. */
export const PRUNE_ABOVE_BYTES = 8 * 1024;

const utf8 = new TextEncoder();
const WEBSOCKET = utf8.encode(CERTIFICATION_LABEL);
const EMPTY_SEP = domainSeparator('ic-hashtree-empty');
const FORK_SEP = domainSeparator('ic-hashtree-fork');
const LABELED_SEP = domainSeparator('ic-hashtree-labeled');
const LEAF_SEP = domainSeparator('ic-hashtree-leaf');

/** The per-message witnesses of one batch. */
export class BatchWitness {
  readonly #tree: HashTreeNode;
  readonly #hashes = new Map<HashTreeNode, Uint8Array>();

  private constructor(tree: HashTreeNode) {
    this.#tree = tree;
  }

  /**
   * @returns the witnesses of a batch whose tree is `treeBytes`, or `undefined` when the tree is
   *   small enough to send as it is, or does not decode as a hash tree (it is then sent as it is,
   *   and the client judges it)
   */
  static of(treeBytes: Uint8Array): BatchWitness | undefined {
    if (treeBytes.length <= PRUNE_ABOVE_BYTES) return undefined;
    let tree: unknown;
    try {
      tree = Cbor.decode(treeBytes);
    } catch {
      return undefined;
    }
    return isNode(tree) ? new BatchWitness(tree) : undefined;
  }

  /**
   * @returns the CBOR of the tree with everything off the path to `websocket/<key>` pruned, or
   *   `undefined` when the key is not in the tree (the whole tree goes then)
   */
  forKey(key: string): Uint8Array | undefined {
    const websocket = this.#path(this.#tree, WEBSOCKET, (subtree) => this.#path(subtree, utf8.encode(key), (leaf) => leaf));
    return websocket === undefined ? undefined : encodeHashTreeCbor(websocket);
  }

  /**
   * @returns `node` with the labeled node of `label` kept (its subtree replaced by `inner` of it)
   *   and every fork branch that does not lead to it pruned; `undefined` when it is not found
   */
  #path(node: HashTreeNode, label: Uint8Array, inner: (subtree: HashTreeNode) => HashTreeNode | undefined): HashTreeNode | undefined {
    switch (node[0]) {
      case 1: {
        const left = this.#path(node[1], label, inner);
        if (left !== undefined) return [1, left, [4, this.#hash(node[2])]];
        const right = this.#path(node[2], label, inner);
        return right === undefined ? undefined : [1, [4, this.#hash(node[1])], right];
      }
      case 2: {
        if (!equalBytes(node[1], label)) return undefined;
        const subtree = inner(node[2]);
        return subtree === undefined ? undefined : [2, node[1], subtree];
      }
      default:
        return undefined;
    }
  }

  /** @returns the root hash of `node` (the spec's `reconstruct`), remembered per node of the batch. */
  #hash(node: HashTreeNode): Uint8Array {
    let hash = this.#hashes.get(node);
    if (hash !== undefined) return hash;
    switch (node[0]) {
      case 0:
        hash = sha256(EMPTY_SEP);
        break;
      case 1:
        hash = sha256(separated(FORK_SEP, this.#hash(node[1]), this.#hash(node[2])));
        break;
      case 2:
        hash = sha256(separated(LABELED_SEP, node[1], this.#hash(node[2])));
        break;
      case 3:
        hash = sha256(separated(LEAF_SEP, node[1]));
        break;
      default:
        hash = node[1];
    }
    this.#hashes.set(node, hash);
    return hash;
  }
}

function isNode(value: unknown): value is HashTreeNode {
  if (!Array.isArray(value)) return false;
  switch (value[0]) {
    case 0:
      return value.length === 1;
    case 1:
      return value.length === 3 && isNode(value[1]) && isNode(value[2]);
    case 2:
      return value.length === 3 && value[1] instanceof Uint8Array && isNode(value[2]);
    case 3:
      return value.length === 2 && value[1] instanceof Uint8Array;
    case 4:
      return value.length === 2 && value[1] instanceof Uint8Array && value[1].length === 32;
    default:
      return false;
  }
}

/** @returns the spec's domain separator of `name`: its length in one byte, then its bytes. */
function domainSeparator(name: string): Uint8Array {
  const bytes = utf8.encode(name);
  return Uint8Array.of(bytes.length, ...bytes);
}

/** @returns `sep` followed by `parts`, what a hash tree node's hash is taken of. */
function separated(sep: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(sep.length + parts.reduce((n, part) => n + part.length, 0));
  out.set(sep);
  let at = sep.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
