/**
 * Leaf lookups in certificate trees, and the outcome of a relayed call read from a v3 call
 * response whose bytes sit inside a larger buffer, as they do when node:http delivers them.
 */
import { Cbor } from '@icp-sdk/core/agent';
import { CanisterWsOpenResultIdl, encodeCandid, type HashTreeNode } from '@icws/protocol';
import { lookupLeaf } from './hash-tree';
import { readCallResponse } from './ic-client';

const utf8 = (text: string) => new TextEncoder().encode(text);
const leaf = (value: Uint8Array | string): HashTreeNode => [3, typeof value === 'string' ? utf8(value) : value];
const labeled = (label: Uint8Array | string, node: HashTreeNode): HashTreeNode => [2, typeof label === 'string' ? utf8(label) : label, node];
const fork = (left: HashTreeNode, right: HashTreeNode): HashTreeNode => [1, left, right];

const REQUEST_ID = Uint8Array.from({ length: 32 }, (_, i) => i);

/** A request_status subtree for `REQUEST_ID`, with a pruned sibling on the way. */
function statusTree(entries: Record<string, Uint8Array | string>): HashTreeNode {
  const leaves = Object.entries(entries).map(([label, value]) => labeled(label, leaf(value)));
  const inner = leaves.reduce((left, right) => fork(left, right));
  return fork([4, new Uint8Array(32)], labeled('request_status', labeled(REQUEST_ID, inner)));
}

/** @returns `bytes` copied into the middle of a larger buffer, as a view at a non-zero offset. */
function inLargerBuffer(bytes: Uint8Array): Buffer {
  const backing = Buffer.alloc(bytes.length + 4096, 0xee);
  backing.set(bytes, 1000);
  return backing.subarray(1000, 1000 + bytes.length);
}

/** @returns a v3 call response body whose certificate has `tree`, inside a larger buffer. */
function callResponse(tree: HashTreeNode): Buffer {
  const certificate = Cbor.encode({ tree, signature: new Uint8Array(48) });
  return inLargerBuffer(new Uint8Array(Cbor.encode({ status: 'replied', certificate: new Uint8Array(certificate) })));
}

describe('lookupLeaf', () => {
  it('finds a leaf through forks and labels, as a copy of its bytes', () => {
    const tree = Cbor.decode(inLargerBuffer(new Uint8Array(Cbor.encode(statusTree({ reply: 'DIDL', status: 'replied' })))));
    const found = lookupLeaf(tree, ['request_status', REQUEST_ID, 'status']);
    expect(found).toEqual({ status: 'found', value: utf8('replied') });
    if (found.status === 'found') expect(found.value.byteOffset).toBe(0);
  });

  it('tells absent, unknown (pruned) and non-leaf paths apart', () => {
    const tree = statusTree({ status: 'replied' });
    expect(lookupLeaf(tree, ['request_status', REQUEST_ID, 'reply'])).toEqual({ status: 'absent' });
    expect(lookupLeaf(tree, ['time'])).toEqual({ status: 'unknown' });
    expect(lookupLeaf(tree, ['request_status'])).toEqual({ status: 'error' });
    expect(lookupLeaf('not a tree', ['time'])).toEqual({ status: 'error' });
  });
});

describe('readCallResponse', () => {
  it("reads the canister's Err answer to ws_open from a body inside a larger buffer", () => {
    const reply = encodeCandid([CanisterWsOpenResultIdl], [{ Err: 'Anonymous principal is not allowed' }]);
    const outcome = readCallResponse(callResponse(statusTree({ reply, status: 'replied' })), REQUEST_ID);
    expect(outcome).toEqual({ status: 'replied', reply });
  });

  it('reads a reject message', () => {
    const outcome = readCallResponse(callResponse(statusTree({ reject_code: Uint8Array.of(4), reject_message: 'no such method', status: 'rejected' })), REQUEST_ID);
    expect(outcome).toEqual({ status: 'rejected', message: 'no such method' });
  });

  it('reports a call whose status is not certified yet as accepted', () => {
    expect(readCallResponse(callResponse(statusTree({ status: 'processing' })), REQUEST_ID)).toEqual({ status: 'accepted' });
  });
});
