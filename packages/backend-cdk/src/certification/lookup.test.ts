import { lookup_path, LookupPathStatus } from '@icp-sdk/core/agent';
import { empty, fork, labeled, leaf, pruned } from './hash-tree';
import { lookupPath } from './lookup';

const utf8 = (s: string) => new TextEncoder().encode(s);
const hash = (fill: number) => new Uint8Array(32).fill(fill);

/** The example tree of the IC interface spec, section "Certification". */
const specExample = fork(
  fork(
    labeled('a', fork(fork(labeled('x', leaf(utf8('hello'))), empty()), labeled('y', leaf(utf8('world'))))),
    labeled('b', leaf(utf8('good'))),
  ),
  fork(labeled('c', empty()), labeled('d', leaf(utf8('morning')))),
);

describe('lookupPath', () => {
  it('finds leaves along labeled paths, looking through Empty inside forks', () => {
    expect(lookupPath(['a', 'x'], specExample)).toEqual({ status: 'Found', value: utf8('hello') });
    expect(lookupPath(['a', 'y'], specExample)).toEqual({ status: 'Found', value: utf8('world') });
    expect(lookupPath([utf8('d')], specExample)).toEqual({ status: 'Found', value: utf8('morning') });
  });

  it('proves absence before, between and after revealed labels, and under Empty', () => {
    for (const path of [['0'], ['bb'], ['e'], ['c'], ['a', 'z']]) {
      expect(lookupPath(path, specExample)).toEqual({ status: 'Absent' });
    }
  });

  it('cannot tell when a pruned node lies where the label would be', () => {
    const partial = fork(fork(labeled('a', empty()), pruned(hash(1))), labeled('d', leaf(utf8('1'))));
    expect(lookupPath(['b'], partial)).toEqual({ status: 'Unknown' });
    expect(lookupPath(['0'], partial)).toEqual({ status: 'Absent' });
    expect(lookupPath(['e'], partial)).toEqual({ status: 'Absent' });
    expect(lookupPath(['e'], fork(labeled('d', empty()), pruned(hash(2))))).toEqual({ status: 'Unknown' });
    expect(lookupPath([], pruned(hash(3)))).toEqual({ status: 'Unknown' });
  });

  it('orders labels lexicographically, a prefix first', () => {
    const tree = fork(labeled(Uint8Array.of(1), leaf(utf8('short'))), labeled(Uint8Array.of(1, 0), leaf(utf8('long'))));
    expect(lookupPath([Uint8Array.of(1, 0)], tree)).toEqual({ status: 'Found', value: utf8('long') });
    expect(lookupPath([Uint8Array.of(0, 9)], tree)).toEqual({ status: 'Absent' });
    expect(lookupPath([Uint8Array.of(1, 0, 0)], tree)).toEqual({ status: 'Absent' });
  });

  it('treats a leaf as proving that no longer path exists', () => {
    expect(lookupPath(['d', 'more'], specExample)).toEqual({ status: 'Absent' });
  });

  it('reports an error when the path ends at a subtree', () => {
    expect(lookupPath(['a'], specExample)).toEqual({ status: 'Error' });
  });
});

describe('lookup_path of the agent (@icp-sdk/core 6.1, as @dfinity/agent 3.4.3), for comparison', () => {
  it('compares labels bytewise, so it reads some valid absence proofs as Unknown', () => {
    const proof = fork(fork(pruned(hash(1)), labeled(Uint8Array.of(0x00, 0xfe), pruned(hash(2)))),
      fork(labeled(Uint8Array.of(0x01, 0x00), pruned(hash(3))), pruned(hash(4))));
    expect(lookupPath([Uint8Array.of(0x00, 0xff)], proof)).toEqual({ status: 'Absent' });
    expect(lookup_path([Uint8Array.of(0x00, 0xff)], proof).status).toBe(LookupPathStatus.Unknown);
  });

  it('misses a label that follows its own prefix', () => {
    const tree = fork(labeled(Uint8Array.of(1), leaf(utf8('short'))), labeled(Uint8Array.of(1, 0), leaf(utf8('long'))));
    expect(lookup_path([Uint8Array.of(1, 0)], tree).status).toBe(LookupPathStatus.Absent);
  });
});
