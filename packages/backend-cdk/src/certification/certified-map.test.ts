import { lookup_path, lookupResultToBuffer, LookupPathStatus, reconstruct as agentReconstruct } from '@icp-sdk/core/agent';
import { CertifiedMap } from './certified-map';
import { empty, labeled, leaf, reconstruct, type HashTree } from './hash-tree';
import { lookupPath } from './lookup';

const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const key = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const value = (n: number) => leaf(utf8(`value ${n}`));
/** What the witness proves about `k`, by the spec's lookup. */
const statusOf = (tree: HashTree, k: Uint8Array) => lookupPath([k], tree).status;
/** What a client on @dfinity/agent reads from the witness. */
const agentLookup = (tree: HashTree, k: Uint8Array) => lookup_path([k], tree);

function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mapOf(numbers: Iterable<number>): CertifiedMap {
  const map = new CertifiedMap();
  for (const n of numbers) map.set(key(n), value(n));
  return map;
}

function range(from: number, to: number, step = 1): number[] {
  const out: number[] = [];
  for (let n = from; n <= to; n += step) out.push(n);
  return out;
}

function countNodes(tree: HashTree): { labeled: number; pruned: number; all: number } {
  const counts = { labeled: 0, pruned: 0, all: 0 };
  const stack: HashTree[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop()!;
    counts.all++;
    if (node[0] === 1) stack.push(node[1], node[2]);
    else if (node[0] === 2) {
      counts.labeled++;
      stack.push(node[2]);
    } else if (node[0] === 4) counts.pruned++;
  }
  return counts;
}

/** Keys the agent can prove present in `tree`, in order. */
function revealedKeys(tree: HashTree): string[] {
  const found: string[] = [];
  const walk = (node: HashTree): void => {
    if (node[0] === 1) {
      walk(node[1]);
      walk(node[2]);
    } else if (node[0] === 2 && node[2][0] === 3) found.push(hex(node[1]));
  };
  walk(tree);
  return found;
}

const maxAvlHeight = (n: number) => Math.floor(1.4405 * Math.log2(n + 2) - 0.3277);

describe('CertifiedMap as a map', () => {
  it('starts empty, with the hash of an empty tree', () => {
    const map = new CertifiedMap();
    expect(map.size).toBe(0);
    expect(map.rootHash()).toEqual(reconstruct(empty()));
    expect(map.tree()).toEqual(empty());
    expect(map.first()).toBeUndefined();
    expect(map.get(key(1))).toBeUndefined();
  });

  it('sets, overwrites, gets and deletes values', () => {
    const map = new CertifiedMap();
    map.set(key(1), value(1)).set(key(2), value(2));
    map.set(key(1), value(10));
    expect(map.size).toBe(2);
    expect(map.get(key(1))).toEqual(value(10));
    expect(map.has(key(2))).toBe(true);
    expect(map.delete(key(2))).toBe(true);
    expect(map.delete(key(2))).toBe(false);
    expect(map.has(key(2))).toBe(false);
    expect(map.size).toBe(1);
  });

  it('keeps its own copy of each key', () => {
    const map = new CertifiedMap();
    const k = key(5);
    map.set(k, value(5));
    k[3] = 6;
    expect(map.has(key(5))).toBe(true);
    expect(map.has(key(6))).toBe(false);
  });

  it('hashes like the tree it renders, whatever the insertion order', () => {
    const ascending = mapOf(range(0, 99));
    const shuffled = mapOf(range(0, 99).sort(() => Math.random() - 0.5));
    expect(ascending.rootHash()).toEqual(reconstruct(ascending.tree()));
    expect(shuffled.rootHash()).toEqual(reconstruct(shuffled.tree()));
  });

  it('changes its hash when a value changes and restores it when the value does', () => {
    const map = mapOf(range(0, 20));
    const before = map.rootHash();
    map.set(key(7), value(700));
    expect(map.rootHash()).not.toEqual(before);
    map.set(key(7), value(7));
    expect(map.rootHash()).toEqual(before);
  });

  it('accepts any hash tree as a value, reachable by longer paths', () => {
    const map = new CertifiedMap();
    map.set(utf8('canister-a'), labeled('certified_data', leaf(utf8('data'))));
    const found = lookup_path([utf8('canister-a'), 'certified_data'], map.witness(utf8('canister-a')));
    expect(lookupResultToBuffer(found)).toEqual(utf8('data'));
  });
});

describe('CertifiedMap iteration', () => {
  const keys = [Uint8Array.of(2), Uint8Array.of(), Uint8Array.of(1, 0), Uint8Array.of(1), Uint8Array.of(0, 255)];
  const map = new CertifiedMap();
  for (const k of keys) map.set(k, leaf(k));

  it('yields entries in lexicographic byte order, shorter prefixes first', () => {
    expect([...map.entries()].map(([k]) => hex(k))).toEqual(['', '00ff', '01', '0100', '02']);
    expect([...map].map(([, v]) => v)).toEqual([...map.entries()].map(([k]) => leaf(k)));
  });

  it('starts from a lower bound, included if present', () => {
    expect([...map.entriesFrom(Uint8Array.of(1))].map(([k]) => hex(k))).toEqual(['01', '0100', '02']);
    expect([...map.entriesFrom(Uint8Array.of(1, 0, 0))].map(([k]) => hex(k))).toEqual(['02']);
    expect([...map.entriesFrom(Uint8Array.of(3))]).toEqual([]);
  });

  it('is lazy', () => {
    const big = mapOf(range(0, 9999));
    const iterator = big.entriesFrom(key(5000));
    expect(iterator.next().value?.[0]).toEqual(key(5000));
    expect(iterator.next().value?.[0]).toEqual(key(5001));
  });

  it('knows its first and last entries', () => {
    expect(map.first()?.[0]).toEqual(Uint8Array.of());
    expect(map.last()?.[0]).toEqual(Uint8Array.of(2));
  });

  it('refuses to continue after keys were added or removed', () => {
    const local = mapOf([1, 2, 3]);
    const iterator = local.entries();
    iterator.next();
    local.set(key(1), value(100));
    expect(iterator.next().value?.[0]).toEqual(key(2));
    local.delete(key(3));
    expect(() => iterator.next()).toThrow(/during iteration/);
  });
});

describe('CertifiedMap witnesses', () => {
  const evens = () => mapOf(range(2, 2000, 2));

  it('prove a present key with its value', async () => {
    const map = evens();
    const witness = map.witness(key(500));
    expect(reconstruct(witness)).toEqual(map.rootHash());
    expect(await agentReconstruct(witness)).toEqual(map.rootHash());
    expect(lookupResultToBuffer(agentLookup(witness, key(500)))).toEqual(utf8('value 500'));
    expect(statusOf(witness, key(1000))).toBe('Unknown');
  });

  it('prove an absent key absent, below, between and above the keys', () => {
    const map = evens();
    for (const n of [0, 1, 501, 1999, 2001, 0xffff_ffff]) {
      const witness = map.witness(key(n));
      expect(reconstruct(witness)).toEqual(map.rootHash());
      expect(statusOf(witness, key(n))).toBe('Absent');
      // These neighbours compare the same bytewise and lexicographically, so the agent agrees (see lookup.test.ts).
      expect(agentLookup(witness, key(n)).status).toBe(LookupPathStatus.Absent);
    }
  });

  it('prove absence in an empty map', () => {
    const witness = new CertifiedMap().witness(key(1));
    expect(witness).toEqual(empty());
    expect(statusOf(witness, key(1))).toBe('Absent');
    expect(agentLookup(witness, key(1)).status).toBe(LookupPathStatus.Absent);
  });

  it('prove several keys at once, present or absent', () => {
    const map = evens();
    const asked = [10, 11, 1, 4000, 10, 1500];
    const witness = map.witnessKeys(asked.map(key));
    expect(reconstruct(witness)).toEqual(map.rootHash());
    expect(lookupResultToBuffer(agentLookup(witness, key(10)))).toEqual(utf8('value 10'));
    expect(lookupResultToBuffer(agentLookup(witness, key(1500)))).toEqual(utf8('value 1500'));
    for (const n of [11, 1, 4000]) expect(statusOf(witness, key(n))).toBe('Absent');
    expect(statusOf(witness, key(700))).toBe('Unknown');
    expect(revealedKeys(witness)).toEqual([10, 1500].map((n) => hex(key(n))));
  });

  it('prune everything when no key is asked for', () => {
    const map = evens();
    expect(map.witnessKeys([])).toEqual([4, map.rootHash()]);
  });

  it('prove exactly which keys lie in a range whose ends are keys', () => {
    const map = evens();
    const witness = map.witnessRange(key(100), key(200));
    expect(reconstruct(witness)).toEqual(map.rootHash());
    expect(revealedKeys(witness)).toEqual(range(100, 200, 2).map((n) => hex(key(n))));
    for (const n of range(101, 199, 2)) expect(statusOf(witness, key(n))).toBe('Absent');
    for (const n of [50, 99, 201, 300]) expect(statusOf(witness, key(n))).toBe('Unknown');
  });

  it('prove a range whose ends are not keys, revealing only the labels just outside', () => {
    const map = evens();
    const witness = map.witnessRange(key(101), key(199));
    expect(reconstruct(witness)).toEqual(map.rootHash());
    expect(revealedKeys(witness)).toEqual(range(102, 198, 2).map((n) => hex(key(n))));
    for (const n of [101, 199]) expect(statusOf(witness, key(n))).toBe('Absent');
    expect(statusOf(witness, key(100))).toBe('Unknown');
    expect(statusOf(witness, key(200))).toBe('Unknown');
  });

  it('prove a range empty, inside, below or above the keys', () => {
    const map = evens();
    for (const [lo, hi] of [[501, 501], [0, 1], [2001, 5000]]) {
      const witness = map.witnessRange(key(lo), key(hi));
      expect(reconstruct(witness)).toEqual(map.rootHash());
      expect(revealedKeys(witness)).toEqual([]);
      expect(statusOf(witness, key(lo))).toBe('Absent');
      expect(statusOf(witness, key(hi))).toBe('Absent');
    }
  });

  it('refuse a range with lo above hi', () => {
    expect(() => evens().witnessRange(key(3), key(2))).toThrow(RangeError);
  });

  it('no longer reconstruct to the root hash once a revealed value is tampered with', () => {
    const map = evens();
    for (const witness of [map.witness(key(40)), map.witnessRange(key(30), key(50)), map.tree()]) {
      const copy = structuredClone(witness);
      expect(reconstruct(copy)).toEqual(map.rootHash());
      const leafNode = findLeaf(copy);
      leafNode[1][0] ^= 1;
      expect(reconstruct(copy)).not.toEqual(map.rootHash());
    }
  });
});

function findLeaf(tree: HashTree): [3, Uint8Array] {
  if (tree[0] === 3) return tree;
  if (tree[0] === 1) {
    try {
      return findLeaf(tree[1]);
    } catch {
      return findLeaf(tree[2]);
    }
  }
  if (tree[0] === 2) return findLeaf(tree[2]);
  throw new Error('no leaf');
}

describe('CertifiedMap against a Map model', () => {
  it('agrees after every step of random inserts and deletes, and stays balanced', () => {
    const random = seeded(7);
    const map = new CertifiedMap();
    const model = new Map<string, Uint8Array>();
    const randomKey = (): Uint8Array => random() < 0.8
      ? key(Math.floor(random() * 600))
      : Uint8Array.from({ length: Math.floor(random() * 3) }, () => Math.floor(random() * 3));

    for (let step = 0; step < 4000; step++) {
      const k = randomKey();
      if (random() < 0.6) {
        const bytes = utf8(`v${step}`);
        map.set(k, leaf(bytes));
        model.set(hex(k), bytes);
      } else {
        expect(map.delete(k)).toBe(model.delete(hex(k)));
      }
      expect(map.size).toBe(model.size);

      const probe = randomKey();
      const witness = map.witness(probe);
      expect(reconstruct(witness)).toEqual(map.rootHash());
      const expected = model.get(hex(probe));
      const agentFound = agentLookup(witness, probe);
      if (expected === undefined) {
        expect(statusOf(witness, probe)).toBe('Absent');
        expect(agentFound.status).not.toBe(LookupPathStatus.Found);
      } else {
        expect(lookupPath([probe], witness)).toEqual({ status: 'Found', value: expected });
        expect(lookupResultToBuffer(agentFound)).toEqual(expected);
      }

      if (step % 50 === 0) {
        expect(map.rootHash()).toEqual(reconstruct(map.tree()));
        expect([...map.entries()].map(([k2]) => hex(k2))).toEqual([...model.keys()].sort(byBytes));
        expect(map.height).toBeLessThanOrEqual(maxAvlHeight(map.size));
        const [a, b] = [randomKey(), randomKey()].sort((x, y) => byBytes(hex(x), hex(y)));
        const rangeWitness = map.witnessRange(a, b);
        expect(reconstruct(rangeWitness)).toEqual(map.rootHash());
        const inRange = [...model.keys()].filter((h) => byBytes(h, hex(a)) >= 0 && byBytes(h, hex(b)) <= 0);
        expect(revealedKeys(rangeWitness)).toEqual(inRange.sort(byBytes));
      }
    }
  });
});

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

describe('CertifiedMap at 100k entries', () => {
  const n = 100_000;
  let map: CertifiedMap;

  beforeAll(() => {
    map = mapOf(range(0, n - 1).map((i) => i * 3));
    map.rootHash();
  });

  it('stays within the AVL height bound', () => {
    expect(map.height).toBeLessThanOrEqual(maxAvlHeight(n));
  });

  it('witnesses a 50-key range with few nodes', () => {
    const witness = map.witnessRange(key(150_000), key(150_147));
    expect(revealedKeys(witness)).toHaveLength(50);
    expect(reconstruct(witness)).toEqual(map.rootHash());
    const counts = countNodes(witness);
    expect(counts.labeled + counts.pruned).toBeLessThan(50 + 4 * Math.log2(n));
  });

  it('keeps the root hash current through writes and deletes', () => {
    const random = seeded(3);
    for (let i = 0; i < 200; i++) {
      const k = key(Math.floor(random() * 3 * n));
      if (random() < 0.5) map.set(k, value(i));
      else map.delete(k);
      expect(reconstruct(map.witness(k))).toEqual(map.rootHash());
    }
  });
});

describe('CertifiedMap#snapshot', () => {
  it('keeps the root hash and range witnesses of the moment it was taken while the map changes', () => {
    const random = seeded(11);
    // The same operations on a map never snapshotted: the tree's shape, and so its hash, is the same.
    const shadow = mapOf(range(0, 299).map((i) => i * 2));
    const map = mapOf(range(0, 299).map((i) => i * 2));
    const live = new Set(range(0, 299).map((i) => i * 2));
    for (let round = 0; round < 30; round++) {
      const keys = [...live].sort((a, b) => a - b);
      const snapshot = map.snapshot();
      const rootBefore = shadow.rootHash();
      // A round of inserts, updates and deletes: rotations and successor moves included.
      for (let i = 0; i < 40; i++) {
        const n = Math.floor(random() * 700);
        if (random() < 0.55) {
          map.set(key(n), value(n + round));
          shadow.set(key(n), value(n + round));
          live.add(n);
        } else {
          map.delete(key(n));
          shadow.delete(key(n));
          live.delete(n);
        }
      }
      expect(snapshot.rootHash()).toEqual(rootBefore);
      const lo = keys[Math.floor(random() * (keys.length - 10))];
      const witness = snapshot.witnessRange(key(lo), key(lo + 15));
      expect(reconstruct(witness)).toEqual(rootBefore);
      expect(revealedKeys(witness)).toEqual(keys.filter((n) => n >= lo && n <= lo + 15).map((n) => hex(key(n))));
      expect(map.rootHash()).toEqual(shadow.rootHash());
    }
  });
});
