import type { Principal } from '@icp-sdk/core/principal';
import { cborHeadSize, encodeUleb128, hashTreeCborSize, MAJOR_BYTES, MAJOR_MAP, MAJOR_TEXT, SELF_DESCRIBE_TAG, writeCborHead, writeHashTreeCbor } from '@icws/protocol';
import { fork, labeled, leaf, type HashTree } from '../certification/hash-tree';

/** BLS12-381 min-sig signatures are 48 bytes; the fake's are zeros, which verify against no key. */
const UNSIGNED = new Uint8Array(48);
const utf8 = new TextEncoder();

/**
 * @returns the state tree a replica certifies for one canister: `canister/<id>/certified_data`
 *   and `time` (LEB128 nanoseconds), labels in order.
 */
export function certifiedStateTree(canisterId: Principal, certifiedData: Uint8Array, timeNs: bigint): HashTree {
  return fork(
    labeled('canister', labeled(canisterId.toUint8Array(), labeled('certified_data', leaf(certifiedData)))),
    labeled('time', leaf(encodeUleb128(timeNs))),
  );
}

/**
 * @returns the CBOR of an unsigned certificate `{ tree, signature }` over {@link certifiedStateTree}:
 *   shaped like a replica's, so code that reads `certified_data` out of it works, but its
 *   signature is 48 zero bytes that no root key verifies.
 */
export function fakeCertificate(canisterId: Principal, certifiedData: Uint8Array, timeNs: bigint): Uint8Array {
  const tree = certifiedStateTree(canisterId, certifiedData, timeNs);
  const [treeLabel, signatureLabel] = [utf8.encode('tree'), utf8.encode('signature')];
  const size =
    SELF_DESCRIBE_TAG.length +
    cborHeadSize(2) +
    cborHeadSize(treeLabel.length) + treeLabel.length + hashTreeCborSize(tree) +
    cborHeadSize(signatureLabel.length) + signatureLabel.length + cborHeadSize(UNSIGNED.length) + UNSIGNED.length;
  const out = new Uint8Array(size);
  out.set(SELF_DESCRIBE_TAG);
  let at = writeCborHead(MAJOR_MAP, 2, out, SELF_DESCRIBE_TAG.length);
  at = writeBytesItem(MAJOR_TEXT, treeLabel, out, at);
  at = writeHashTreeCbor(tree, out, at);
  at = writeBytesItem(MAJOR_TEXT, signatureLabel, out, at);
  writeBytesItem(MAJOR_BYTES, UNSIGNED, out, at);
  return out;
}

function writeBytesItem(major: number, bytes: Uint8Array, out: Uint8Array, at: number): number {
  const next = writeCborHead(major, bytes.length, out, at);
  out.set(bytes, next);
  return next + bytes.length;
}
