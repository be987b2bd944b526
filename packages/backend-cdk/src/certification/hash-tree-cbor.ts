import type { HashTree } from './hash-tree';

/** CBOR tag 55799 ("self-describe"), as it prefixes an encoded item. */
const SELF_DESCRIBE = [0xd9, 0xd9, 0xf7] as const;

/**
 * @returns the CBOR of `tree` in the form the IC and `@dfinity/agent` use for hash trees (and the
 *   upstream IC WebSocket CDK for the `tree` of `ws_get_messages`): tag 55799, then nested arrays
 *   `[0]`, `[1, left, right]`, `[2, label, subtree]`, `[3, value]`, `[4, hash]` whose first element is
 *   a small unsigned integer and whose byte fields are CBOR byte strings.
 *
 * Written by hand in two passes (size, then bytes) into one buffer: witnesses are encoded on every
 * poll, and a general-purpose encoder spends most of its time on type dispatch here.
 * @throws TypeError when `tree` is not a hash tree
 */
export function encodeHashTreeCbor(tree: HashTree): Uint8Array {
  const out = new Uint8Array(SELF_DESCRIBE.length + encodedSize(tree));
  out.set(SELF_DESCRIBE);
  const end = write(tree, out, SELF_DESCRIBE.length);
  if (end !== out.length) throw new Error(`encodeHashTreeCbor: wrote ${end} bytes, expected ${out.length}`);
  return out;
}

function encodedSize(tree: HashTree): number {
  switch (tree[0]) {
    case 0:
      return 2;
    case 1:
      return 2 + encodedSize(tree[1]) + encodedSize(tree[2]);
    case 2:
      return 2 + bytesSize(tree[1]) + encodedSize(tree[2]);
    case 3:
    case 4:
      return 2 + bytesSize(tree[1]);
    default:
      throw new TypeError(`encodeHashTreeCbor: not a hash tree node: ${describe(tree)}`);
  }
}

function bytesSize(bytes: Uint8Array): number {
  return headerSize(bytes.length) + bytes.length;
}

function headerSize(length: number): number {
  if (length < 24) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  return 5;
}

/** Writes `tree` at `at` and @returns the offset after it. */
function write(tree: HashTree, out: Uint8Array, at: number): number {
  switch (tree[0]) {
    case 0:
      out[at] = 0x81;
      out[at + 1] = 0;
      return at + 2;
    case 1:
      out[at] = 0x83;
      out[at + 1] = 1;
      return write(tree[2], out, write(tree[1], out, at + 2));
    case 2:
      out[at] = 0x83;
      out[at + 1] = 2;
      return write(tree[2], out, writeBytes(tree[1], out, at + 2));
    case 3:
    case 4:
      out[at] = 0x82;
      out[at + 1] = tree[0];
      return writeBytes(tree[1], out, at + 2);
    default:
      throw new TypeError(`encodeHashTreeCbor: not a hash tree node: ${describe(tree)}`);
  }
}

/** Writes a CBOR byte string (major type 2). */
function writeBytes(bytes: Uint8Array, out: Uint8Array, at: number): number {
  const n = bytes.length;
  if (n < 24) {
    out[at++] = 0x40 | n;
  } else if (n < 0x100) {
    out[at++] = 0x58;
    out[at++] = n;
  } else if (n < 0x10000) {
    out[at++] = 0x59;
    out[at++] = n >>> 8;
    out[at++] = n & 0xff;
  } else {
    out[at++] = 0x5a;
    out[at++] = n >>> 24;
    out[at++] = (n >>> 16) & 0xff;
    out[at++] = (n >>> 8) & 0xff;
    out[at++] = n & 0xff;
  }
  out.set(bytes, at);
  return at + n;
}

function describe(node: unknown): string {
  return Array.isArray(node) ? `[${String(node[0])}, …]` : typeof node;
}
