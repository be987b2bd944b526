/**
 * Byte strings kept as latin1 text, one character a byte, for structures that hold many of them
 * (labels and hashes of certification trees): on Node a 32-byte Uint8Array costs about 230 bytes of
 * memory, its 32-character string about 48. Latin1 strings compare like their bytes.
 * @internal
 */
import * as crypto from 'node:crypto';
import { reconstruct, type HashTree } from './hash-tree';

/** @returns `bytes` as latin1 text. */
export function latin1(bytes: Uint8Array): string {
  // One call makes a flat string; appending char by char makes a chain that every comparison and
  // hash of the key then has to flatten.
  if (bytes.length <= 64) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** @returns the bytes of latin1 `text`, in a plain Uint8Array of their own. */
export function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  if (text.length <= 64) {
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  } else {
    out.set(Buffer.from(text, 'latin1'));
  }
  return out;
}

function separator(name: string): string {
  return String.fromCharCode(name.length) + name;
}

const FORK = separator('ic-hashtree-fork');
const LABELED = separator('ic-hashtree-labeled');
const LEAF = separator('ic-hashtree-leaf');
/** Reused hash input: most inputs are short. */
let input = Buffer.alloc(1024);

// 'binary' is node's name for latin1 among the digest encodings.
const digest: (data: Uint8Array) => string =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'binary') : (data) => crypto.createHash('sha256').update(data).digest('binary');

function hashOfTexts(a: string, b: string, c = ''): string {
  const length = a.length + b.length + c.length;
  if (length > input.length) input = Buffer.alloc(Math.max(length, input.length * 2));
  let at = input.write(a, 0, 'latin1');
  at += input.write(b, at, 'latin1');
  if (c.length > 0) at += input.write(c, at, 'latin1');
  return digest(input.subarray(0, length));
}

/** @returns the hash of `fork(left, right)` from the hashes of its children. */
export function forkHashText(left: string, right: string): string {
  return hashOfTexts(FORK, left, right);
}

/** @returns the hash of `labeled(label, subtree)` from the subtree's hash. */
export function labeledHashText(label: string, subtreeHash: string): string {
  return hashOfTexts(LABELED, label, subtreeHash);
}

/** @returns the hash of `leaf(value)`. */
export function leafHashText(value: string): string {
  return hashOfTexts(LEAF, value);
}

/** @returns the root hash of `tree` as latin1 text. */
export function treeHashText(tree: HashTree): string {
  return latin1(reconstruct(tree));
}
