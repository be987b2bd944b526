import { Cbor, reconstruct as agentReconstruct, type HashTree as AgentHashTree } from '@icp-sdk/core/agent';
import { Decoder } from 'cbor-x';
import { hex } from './bytes';
import { encodeHashTreeCbor, type HashTreeNode } from './hash-tree-cbor';

const utf8 = (s: string) => new TextEncoder().encode(s);
const empty = (): HashTreeNode => [0];
const fork = (left: HashTreeNode, right: HashTreeNode): HashTreeNode => [1, left, right];
const labeled = (label: string | Uint8Array, subtree: HashTreeNode): HashTreeNode => [2, typeof label === 'string' ? utf8(label) : label, subtree];
const leaf = (value: Uint8Array): HashTreeNode => [3, value];
const pruned = (hash: Uint8Array): HashTreeNode => [4, hash];

describe('encodeHashTreeCbor', () => {
  it('writes tag 55799 and the agent array form with byte strings', () => {
    const tree = fork(labeled('a', leaf(utf8('hi'))), empty());
    // d9d9f7 tag · 83 01 [fork] · 83 02 41 61 [labeled "a"] · 82 03 42 6869 [leaf "hi"] · 81 00 [empty]
    expect(hex(encodeHashTreeCbor(tree))).toBe('d9d9f7' + '8301' + '8302' + '4161' + '8203' + '426869' + '8100');
  });

  it.each([
    [0, '40'],
    [23, '57'],
    [24, '5818'],
    [255, '58ff'],
    [256, '590100'],
    [65_535, '59ffff'],
    [65_536, '5a00010000'],
  ])('writes a %i-byte string with the shortest length header', (length, header) => {
    const encoded = encodeHashTreeCbor(leaf(new Uint8Array(length).fill(1)));
    expect(hex(encoded.subarray(5, 5 + header.length / 2))).toBe(header);
    expect(encoded.length).toBe(5 + header.length / 2 + length);
  });

  it('round-trips through the agent CBOR decoder to a tree with the same root hash', async () => {
    const tree = fork(
      labeled('websocket', fork(labeled('k_01', leaf(new Uint8Array(32).fill(9))), pruned(new Uint8Array(32).fill(3)))),
      labeled(new Uint8Array(300).fill(0x61), leaf(new Uint8Array(70_000).fill(2))),
    );
    const decoded = Cbor.decode<AgentHashTree>(encodeHashTreeCbor(tree));
    expect(hex(await agentReconstruct(decoded))).toBe(hex(await agentReconstruct(tree as AgentHashTree)));
  });

  it('equals what a general CBOR decoder reads back as the same arrays', () => {
    const tree = fork(labeled('x', pruned(new Uint8Array(32).fill(4))), leaf(utf8('v')));
    const decoded = new Decoder({ mapsAsObjects: true }).decode(encodeHashTreeCbor(tree)) as unknown[];
    expect(JSON.stringify(decoded, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v) : v))).toBe(
      JSON.stringify([1, [2, hex(utf8('x')), [4, '04'.repeat(32)]], [3, hex(utf8('v'))]]),
    );
  });

  it('refuses something that is not a hash tree', () => {
    expect(() => encodeHashTreeCbor([7] as unknown as HashTreeNode)).toThrow('not a hash tree node: [7, …]');
  });
});
