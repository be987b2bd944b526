/** The store a host hands a canister: a message's writes on top of the committed collections. */
import { CdkError } from '../errors';
import { MemoryStableBackend } from './memory-stable-backend';
import { StagedStableStore } from './staged-stable-store';
import type { StableEntry } from './stable-store';

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (entries: StableEntry[]) => entries.map(([k, v]) => `${[...k].join('.')}=${[...v].join('.')}`);

function store() {
  const backend = new MemoryStableBackend();
  const staged = new StagedStableStore(backend, { outsideMessage: (operation) => new Error(`${operation} outside a message`) });
  return { backend, staged };
}

/** A store whose collection "c" holds keys 1, 3, 5, … 19 (value: the key times 10), committed. */
function filled() {
  const { backend, staged } = store();
  staged.begin();
  staged.open('c', 'T');
  for (let k = 1; k < 20; k += 2) staged.put('c', bytes(k), bytes(k * 10));
  staged.commit();
  return { backend, staged };
}

describe('StagedStableStore', () => {
  it('refuses every operation while no message executes', () => {
    const { staged } = filled();
    expect(() => staged.get('c', bytes(1))).toThrow('stable memory (get) outside a message');
    expect(() => staged.open('d', 'T')).toThrow('outside a message');
  });

  it('shows a message its own writes and applies them to the backend only when it commits', () => {
    const { backend, staged } = filled();
    staged.begin();
    staged.put('c', bytes(2), bytes(99));
    staged.delete('c', bytes(1));
    expect(staged.get('c', bytes(2))).toEqual(bytes(99));
    expect(staged.get('c', bytes(1))).toBeUndefined();
    expect(backend.get('c', bytes(2))).toBeUndefined();
    staged.commit();
    expect(backend.get('c', bytes(2))).toEqual(bytes(99));
    expect(backend.get('c', bytes(1))).toBeUndefined();
  });

  it('drops the writes of a discarded message, and the collections it made', () => {
    const { backend, staged } = filled();
    staged.begin();
    staged.put('c', bytes(2), bytes(99));
    expect(staged.open('new', 'T')).toEqual({ status: 'created' });
    staged.discard();
    expect(backend.get('c', bytes(2))).toBeUndefined();
    expect(backend.collectionType('new')).toBeUndefined();
  });

  it('commits nested levels together with the outermost one', () => {
    const { backend, staged } = filled();
    staged.begin();
    staged.begin();
    staged.put('c', bytes(2), bytes(1));
    staged.commit();
    staged.begin();
    expect(staged.get('c', bytes(2))).toEqual(bytes(1));
    staged.put('c', bytes(2), bytes(2));
    staged.commit();
    expect(backend.get('c', bytes(2))).toBeUndefined();
    staged.discard();
    expect(backend.get('c', bytes(2))).toBeUndefined();
  });

  it('reports the stored type of a collection reopened with another one', () => {
    const { staged } = filled();
    staged.begin();
    expect(staged.open('c', 'T')).toEqual({ status: 'opened' });
    expect(staged.open('c', 'U')).toEqual({ status: 'mismatch', storedType: 'T' });
  });

  it('refuses reads and writes of a collection never opened', () => {
    const { staged } = filled();
    staged.begin();
    expect(() => staged.put('nope', bytes(1), bytes(1))).toThrow(CdkError);
    expect(() => staged.get('nope', bytes(1))).toThrow('stable collection "nope" does not exist');
  });

  describe('#range', () => {
    it('merges staged puts and deletes into the committed entries, in key order', () => {
      const { staged } = filled();
      staged.begin();
      staged.put('c', bytes(2), bytes(2));
      staged.put('c', bytes(3), bytes(33));
      staged.delete('c', bytes(5));
      staged.put('c', bytes(30), bytes(30));
      expect(text(staged.range('c', { from: bytes(1), to: bytes(8), limit: 100 }))).toEqual(['1=10', '2=2', '3=33', '7=70']);
      expect(text(staged.range('c', { from: bytes(1), to: bytes(8), reverse: true, limit: 100 }))).toEqual(['7=70', '3=33', '2=2', '1=10']);
      expect(text(staged.range('c', { from: bytes(19), limit: 100 }))).toEqual(['19=190', '30=30']);
    });

    it('returns exactly the first `limit` entries, whatever the staged deletes hide', () => {
      const { staged } = filled();
      staged.begin();
      for (const k of [1, 3, 5, 7]) staged.delete('c', bytes(k));
      staged.put('c', bytes(40), bytes(4));
      staged.put('c', bytes(0), bytes(0));
      expect(text(staged.range('c', { limit: 3 }))).toEqual(['0=0', '9=90', '11=110']);
      expect(text(staged.range('c', { limit: 2, reverse: true }))).toEqual(['40=4', '19=190']);
    });

    it('pages through every entry with a cursor, the same as one read of them all', () => {
      const { staged } = filled();
      staged.begin();
      for (let k = 0; k < 25; k += 3) staged.put('c', bytes(k), bytes(k));
      staged.delete('c', bytes(11));
      const all = text(staged.range('c', { limit: 1000 }));
      for (const limit of [1, 2, 3, 7]) {
        const paged: StableEntry[] = [];
        let from: Uint8Array | undefined;
        for (;;) {
          const page = staged.range('c', { from, limit });
          paged.push(...page);
          if (page.length < limit) break;
          from = Uint8Array.of(...page[page.length - 1][0], 0);
        }
        expect(text(paged)).toEqual(all);
      }
    });
  });
});

describe('StagedStableStore#range against a plain sorted model', () => {
  it('agrees on random writes over random committed entries, in both directions, at every limit', () => {
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 40; round++) {
      const { staged } = store();
      const model = new Map<number, number>();
      staged.begin();
      staged.open('c', 'T');
      for (let i = 0; i < 30; i++) {
        const k = random(40);
        model.set(k, i);
        staged.put('c', bytes(k), bytes(i));
      }
      staged.commit();
      staged.begin();
      for (let i = 0; i < 15; i++) {
        const k = random(40);
        if (random(2) === 0) {
          model.delete(k);
          staged.delete('c', bytes(k));
        } else {
          model.set(k, 100 + i);
          staged.put('c', bytes(k), bytes(100 + i));
        }
      }
      const from = random(20);
      const to = from + random(25);
      const reverse = random(2) === 1;
      const limit = 1 + random(12);
      const keys = [...model.keys()].filter((k) => k >= from && k < to).sort((a, b) => a - b);
      const expected = (reverse ? keys.reverse() : keys).slice(0, limit).map((k) => `${k}=${model.get(k)}`);
      expect(text(staged.range('c', { from: bytes(from), to: bytes(to), reverse, limit }))).toEqual(expected);
    }
  });
});
