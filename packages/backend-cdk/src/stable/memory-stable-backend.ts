import { compareBytes } from '../certification/bytes';
import type { StableBackend, StableChanges, StableEntry, StableRange } from './stable-store';

interface MemoryCollection {
  readonly type: string;
  /** Entries in key order. */
  readonly entries: Array<[Uint8Array, Uint8Array]>;
}

/**
 * Committed stable collections kept in memory: what `FakeCanisterContext` gives a canister under
 * unit test. Keys are held sorted, so a write costs a binary search and an array insert.
 */
export class MemoryStableBackend implements StableBackend {
  readonly #collections = new Map<string, MemoryCollection>();

  collectionType(collection: string): string | undefined {
    return this.#collections.get(collection)?.type;
  }

  get(collection: string, key: Uint8Array): Uint8Array | undefined {
    const entries = this.#collections.get(collection)?.entries;
    if (entries === undefined) return undefined;
    const index = search(entries, key);
    return index >= 0 ? entries[index][1] : undefined;
  }

  range(collection: string, range: StableRange): StableEntry[] {
    const entries = this.#collections.get(collection)?.entries ?? [];
    const start = range.from === undefined ? 0 : insertionPoint(entries, range.from);
    const end = range.to === undefined ? entries.length : insertionPoint(entries, range.to);
    if (end <= start) return [];
    const count = Math.min(range.limit, end - start);
    return range.reverse ? entries.slice(end - count, end).reverse() : entries.slice(start, start + count);
  }

  apply(changes: StableChanges): void {
    for (const name of changes.writes.keys()) {
      if (!this.#collections.has(name) && !changes.created.has(name)) {
        throw new Error(`stable collection "${name}" was written before it was created`);
      }
    }
    for (const [name, type] of changes.created) {
      if (!this.#collections.has(name)) this.#collections.set(name, { type, entries: [] });
    }
    for (const [name, writes] of changes.writes) {
      const collection = this.#collections.get(name)!;
      for (const { key, value } of writes.values()) {
        const index = search(collection.entries, key);
        if (value === undefined) {
          if (index >= 0) collection.entries.splice(index, 1);
        } else if (index >= 0) {
          collection.entries[index][1] = value;
        } else {
          collection.entries.splice(-index - 1, 0, [key, value]);
        }
      }
    }
  }
}

/** @returns the index of `key`, or `-(insertion point) - 1` when it is absent. */
function search(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, key: Uint8Array): number {
  let low = 0;
  let high = entries.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const order = compareBytes(entries[mid][0], key);
    if (order === 0) return mid;
    if (order < 0) low = mid + 1;
    else high = mid - 1;
  }
  return -low - 1;
}

/** @returns the index of the first key at or after `key`. */
function insertionPoint(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, key: Uint8Array): number {
  const index = search(entries, key);
  return index >= 0 ? index : -index - 1;
}
