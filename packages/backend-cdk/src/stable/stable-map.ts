import type { IDL } from '@icp-sdk/core/candid';
import { CollectionHandle, nextKey, type CandidValue, type StableContext } from './stable-collection';

/** Entries per read of the store while iterating. */
const PAGE_SIZE = 64;

/** Which entries a {@link StableMap} iterates: keys from `from` (inclusive) to `to` (exclusive), in key byte order. */
export interface StableMapRange<K> {
  /** The first key, inclusive. @default the first key */
  readonly from?: K;
  /** The key to stop before, exclusive. @default past the last key */
  readonly to?: K;
  /** Descending order. @default false */
  readonly reverse?: boolean;
}

/**
 * A map that outlives the canister's heap: its entries survive upgrades and replica restarts, as
 * stable memory does on the IC (`StableBTreeMap` of `ic-stable-structures`). Keys and values are
 * kept as Candid of the types it is opened with; entries are ordered by the bytes of their keys'
 * Candid encoding (for `text` keys of one length that is alphabetical; `nat` keys are not in
 * numeric order: use a {@link StableVec} for a sequence).
 *
 * Writes are part of the message that makes them: a trap discards them, and so does the end of a
 * query. Every method must run inside a message (a method, a timer, the factory or a hook).
 * @example
 * const balances = StableMap.open(ic, 'balances', IDL.Principal, IDL.Nat);
 * balances.set(ic.caller(), (balances.get(ic.caller()) ?? 0n) + 1n);
 */
export class StableMap<K, V> implements Iterable<[K, V]> {
  readonly #handle: CollectionHandle;

  readonly #keyType: IDL.Type;
  readonly #valueType: IDL.Type;

  private constructor(handle: CollectionHandle, keyType: IDL.Type, valueType: IDL.Type) {
    this.#handle = handle;
    this.#keyType = keyType;
    this.#valueType = valueType;
  }

  /**
   * Opens the map named `name`, creating it when the canister has none by that name.
   * @param ic - the canister's context
   * @param name - 1 to 256 characters, unique among the canister's stable collections
   * @throws CdkError `ICWS_ERR_STABLE_COLLECTION` for a bad name; once opened, every use of a map
   *   created with other key or value types traps with `ICWS_ERR_STABLE_TYPE`
   */
  static open<KT extends IDL.Type, VT extends IDL.Type>(ic: StableContext, name: string, keyType: KT, valueType: VT): StableMap<CandidValue<KT>, CandidValue<VT>>;
  /** Opens a map whose key and value types are given as TypeScript types: `StableMap.open<string, Message>(ic, 'byId', IDL.Text, Message)`. */
  static open<K, V>(ic: StableContext, name: string, keyType: IDL.Type, valueType: IDL.Type): StableMap<K, V>;
  static open(ic: StableContext, name: string, keyType: IDL.Type, valueType: IDL.Type): StableMap<unknown, unknown> {
    return new StableMap(new CollectionHandle(ic, 'StableMap', name, [keyType, valueType]), keyType, valueType);
  }

  /** The collection's name. */
  get name(): string {
    return this.#handle.name;
  }

  /** @returns the value of `key`, or `undefined`. */
  get(key: K): V | undefined {
    const bytes = this.#handle.store.get(this.#handle.name, this.#key(key));
    return bytes === undefined ? undefined : this.#handle.decode<V>(this.#valueType, bytes, 'value');
  }

  has(key: K): boolean {
    return this.#handle.store.get(this.#handle.name, this.#key(key)) !== undefined;
  }

  /** Sets `key` to `value`. @throws CdkError `ICWS_ERR_STABLE_VALUE` when either does not fit its type */
  set(key: K, value: V): this {
    this.#handle.store.put(this.#handle.name, this.#key(key), this.#handle.encode(this.#valueType, value, 'value'));
    return this;
  }

  /** @returns whether there was an entry to delete. */
  delete(key: K): boolean {
    const bytes = this.#key(key);
    const store = this.#handle.store;
    if (store.get(this.#handle.name, bytes) === undefined) return false;
    store.delete(this.#handle.name, bytes);
    return true;
  }

  /** Iterates the entries of `range` (all by default), reading the store a page at a time. */
  *entries(range: StableMapRange<K> = {}): IterableIterator<[K, V]> {
    const store = this.#handle.store;
    let from = range.from === undefined ? undefined : this.#key(range.from);
    let to = range.to === undefined ? undefined : this.#key(range.to);
    for (;;) {
      const page = store.range(this.#handle.name, { from, to, reverse: range.reverse, limit: PAGE_SIZE });
      for (const [key, value] of page) {
        yield [this.#handle.decode<K>(this.#keyType, key, 'key'), this.#handle.decode<V>(this.#valueType, value, 'value')];
      }
      if (page.length < PAGE_SIZE) return;
      const last = page[page.length - 1][0];
      if (range.reverse) to = last;
      else from = nextKey(last);
    }
  }

  /** Iterates the keys of `range`. */
  *keys(range: StableMapRange<K> = {}): IterableIterator<K> {
    for (const [key] of this.entries(range)) yield key;
  }

  /** Iterates the values of `range`. */
  *values(range: StableMapRange<K> = {}): IterableIterator<V> {
    for (const [, value] of this.entries(range)) yield value;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  #key(key: K): Uint8Array {
    return this.#handle.encode(this.#keyType, key, 'key');
  }
}
