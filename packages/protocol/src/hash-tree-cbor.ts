/**
 * The CBOR of an IC hash tree (the interface specification's "Certification"), as the IC and the
 * agents encode it and as `ws_get_messages` carries its `tree`: tag 55799, then nested arrays
 * `[0]`, `[1, left, right]`, `[2, label, subtree]`, `[3, value]`, `[4, hash]` whose first element
 * is a small unsigned integer and whose byte fields are CBOR byte strings.
 */
import { cborHeadSize, MAJOR_BYTES, SELF_DESCRIBE_TAG, writeCborHead } from './cbor-head';

/**
 * A hash tree node: empty, fork, labeled, leaf or pruned (a 32-byte hash). The agent's `HashTree`
 * is one too.
 */
export type HashTreeNode =
  | readonly [0]
  | readonly [1, HashTreeNode, HashTreeNode]
  | readonly [2, Uint8Array, HashTreeNode]
  | readonly [3, Uint8Array]
  | readonly [4, Uint8Array];

/**
 * @returns the CBOR of `tree`, with the self-describe tag.
 *
 * Written by hand in two passes (size, then bytes) into one buffer: witnesses are encoded on every
 * poll, and a general-purpose encoder spends most of its time on type dispatch here.
 * @throws TypeError when `tree` is not a hash tree
 */
export function encodeHashTreeCbor(tree: HashTreeNode): Uint8Array {
  const out = new Uint8Array(SELF_DESCRIBE_TAG.length + hashTreeCborSize(tree));
  out.set(SELF_DESCRIBE_TAG);
  writeHashTreeCbor(tree, out, SELF_DESCRIBE_TAG.length);
  return out;
}

/** @returns the size of the CBOR of `tree` without the tag, for encoders that embed it. */
export function hashTreeCborSize(tree: HashTreeNode): number {
  switch (tree[0]) {
    case 0:
      return 2;
    case 1:
      return 2 + hashTreeCborSize(tree[1]) + hashTreeCborSize(tree[2]);
    case 2:
      return 2 + bytesSize(tree[1]) + hashTreeCborSize(tree[2]);
    case 3:
    case 4:
      return 2 + bytesSize(tree[1]);
    default:
      throw new TypeError(`encodeHashTreeCbor: not a hash tree node: ${describe(tree)}`);
  }
}

/**
 * Writes the CBOR of `tree` (without the tag) at `at`, into room sized by {@link hashTreeCborSize}.
 * @returns the offset after it
 */
export function writeHashTreeCbor(tree: HashTreeNode, out: Uint8Array, at: number): number {
  switch (tree[0]) {
    case 0:
      out[at] = 0x81;
      out[at + 1] = 0;
      return at + 2;
    case 1:
      out[at] = 0x83;
      out[at + 1] = 1;
      return writeHashTreeCbor(tree[2], out, writeHashTreeCbor(tree[1], out, at + 2));
    case 2:
      out[at] = 0x83;
      out[at + 1] = 2;
      return writeHashTreeCbor(tree[2], out, writeBytes(tree[1], out, at + 2));
    case 3:
    case 4:
      out[at] = 0x82;
      out[at + 1] = tree[0];
      return writeBytes(tree[1], out, at + 2);
    default:
      throw new TypeError(`encodeHashTreeCbor: not a hash tree node: ${describe(tree)}`);
  }
}

function bytesSize(bytes: Uint8Array): number {
  return cborHeadSize(bytes.length) + bytes.length;
}

/** Writes a CBOR byte string. */
function writeBytes(bytes: Uint8Array, out: Uint8Array, at: number): number {
  const start = writeCborHead(MAJOR_BYTES, bytes.length, out, at);
  out.set(bytes, start);
  return start + bytes.length;
}

function describe(node: unknown): string {
  return Array.isArray(node) ? `[${String(node[0])}, …]` : typeof node;
}
