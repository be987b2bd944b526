import { lookup_path, lookupResultToBuffer, LookupPathStatus, reconstruct as agentReconstruct } from '@icp-sdk/core/agent';
import { empty, fork, labeled, leaf, pruned, reconstruct, type HashTree } from './hash-tree';

const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The example tree of the IC interface spec, section "Certification". */
const specExample = fork(
  fork(
    labeled('a', fork(fork(labeled('x', leaf(utf8('hello'))), empty()), labeled('y', leaf(utf8('world'))))),
    labeled('b', leaf(utf8('good'))),
  ),
  fork(labeled('c', empty()), labeled('d', leaf(utf8('morning')))),
);

function randomTree(random: () => number, depth: number): HashTree {
  const choice = depth === 0 ? Math.floor(random() * 3) : Math.floor(random() * 5);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  switch (choice) {
    case 0: return empty();
    case 1: return leaf(bytes(Math.floor(random() * 40)));
    case 2: return pruned(bytes(32));
    case 3: return fork(randomTree(random, depth - 1), randomTree(random, depth - 1));
    default: return labeled(bytes(1 + Math.floor(random() * 8)), randomTree(random, depth - 1));
  }
}

function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('hash tree nodes', () => {
  it('use the agent array encoding', () => {
    const value = utf8('v');
    const hash = new Uint8Array(32).fill(7);
    expect(empty()).toEqual([0]);
    expect(fork(empty(), leaf(value))).toEqual([1, [0], [3, value]]);
    expect(labeled(utf8('k'), leaf(value))).toEqual([2, utf8('k'), [3, value]]);
    expect(pruned(hash)).toEqual([4, hash]);
  });

  it('take string labels as UTF-8', () => {
    expect(labeled('zoë', empty())).toEqual([2, utf8('zoë'), [0]]);
  });

  it('refuse a pruned hash that is not 32 bytes', () => {
    expect(() => pruned(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('reconstruct', () => {
  it('gives the root hash of the spec example', () => {
    expect(hex(reconstruct(specExample))).toBe('eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0');
  });

  it('agrees with the agent on every kind of node', async () => {
    const trees: HashTree[] = [
      empty(),
      leaf(new Uint8Array()),
      leaf(utf8('hello')),
      labeled('time', leaf(Uint8Array.of(0x80, 0x01))),
      pruned(new Uint8Array(32).fill(1)),
      fork(pruned(new Uint8Array(32)), labeled('x', empty())),
      specExample,
    ];
    for (const tree of trees) expect(reconstruct(tree)).toEqual(await agentReconstruct(tree));
  });

  it('agrees with the agent on random trees', async () => {
    const random = seeded(42);
    for (let i = 0; i < 200; i++) {
      const tree = randomTree(random, 6);
      expect(hex(reconstruct(tree))).toBe(hex(await agentReconstruct(tree)));
    }
  });

  it('returns a pruned node\'s hash as is', () => {
    const hash = new Uint8Array(32).fill(9);
    expect(reconstruct(pruned(hash))).toEqual(hash);
  });

  it('rejects what is not a hash tree', () => {
    expect(() => reconstruct([9] as unknown as HashTree)).toThrow(TypeError);
  });
});

describe('agent lookups in our trees', () => {
  it('find values along labeled paths', () => {
    expect(lookupResultToBuffer(lookup_path(['a', 'x'], specExample))).toEqual(utf8('hello'));
    expect(lookupResultToBuffer(lookup_path([utf8('b')], specExample))).toEqual(utf8('good'));
    expect(lookupResultToBuffer(lookup_path([utf8('d')], specExample))).toEqual(utf8('morning'));
  });

  it('stop at an Empty inside a fork, which is why CertifiedMap never emits one there', () => {
    expect(lookup_path(['a', 'y'], specExample).status).toBe(LookupPathStatus.Absent);
    const withoutEmpty = fork(labeled('x', leaf(utf8('hello'))), labeled('y', leaf(utf8('world'))));
    expect(lookupResultToBuffer(lookup_path(['y'], withoutEmpty))).toEqual(utf8('world'));
  });

  it('see absent labels as Absent and pruned ones as Unknown', () => {
    expect(lookup_path(['c'], specExample).status).toBe(LookupPathStatus.Absent);
    expect(lookup_path(['bb'], specExample).status).toBe(LookupPathStatus.Absent);
    const partial = fork(pruned(reconstruct(fork(labeled('a', empty()), labeled('b', empty())))), labeled('d', leaf(utf8('1'))));
    expect(lookup_path(['b'], partial).status).toBe(LookupPathStatus.Unknown);
    expect(lookup_path(['e'], partial).status).toBe(LookupPathStatus.Absent);
  });
});
