/**
 * The host side of stable collections: what a canister's context offers ({@link StableStore}) and
 * what a host keeps committed ({@link StableBackend}). Collections are named; each holds entries of
 * byte keys and byte values, ordered by key bytes, and the Candid type description it was created
 * with. `StableMap`, `StableCell` and `StableVec` are written on top of this.
 */

/** One entry of a collection: its key and value bytes. */
export type StableEntry = readonly [key: Uint8Array, value: Uint8Array];

/** Which entries {@link StableStore.range} returns: keys from `from` (inclusive) to `to` (exclusive). */
export interface StableRange {
  /** The first key, inclusive. @default the first key of the collection */
  readonly from?: Uint8Array;
  /** The key to stop before, exclusive. @default past the last key of the collection */
  readonly to?: Uint8Array;
  /** Descending key order. @default false */
  readonly reverse?: boolean;
  /** At most this many entries (a positive integer). */
  readonly limit: number;
}

/**
 * How {@link StableStore.open} found a collection: made now, or there with the same type, or there
 * with another type (`storedType`), which the canister must not read as its own.
 */
export type StableOpenResult =
  | { readonly status: 'created' | 'opened' }
  | { readonly status: 'mismatch'; readonly storedType: string };

/**
 * A canister's stable collections as the message executing sees them: its own writes included,
 * applied for good only when it commits. A trap discards them, and so does the end of a query,
 * like the heap changes a message rolls back. Every operation throws outside a message.
 */
export interface StableStore {
  /**
   * Opens collection `collection`, creating it with the type description `type` if there is none.
   * A collection made by a message that is then discarded is not kept.
   */
  open(collection: string, type: string): StableOpenResult;
  /** @returns the value of `key`, or `undefined` when there is none. */
  get(collection: string, key: Uint8Array): Uint8Array | undefined;
  put(collection: string, key: Uint8Array, value: Uint8Array): void;
  delete(collection: string, key: Uint8Array): void;
  /** @returns the entries of `range`, in key byte order (descending when `range.reverse`). */
  range(collection: string, range: StableRange): StableEntry[];
}

/** What one committed message (or upgrade) changed: collections made, then keys set (a value) or deleted (`undefined`). */
export interface StableChanges {
  /** Type descriptions of the collections made, by name. */
  readonly created: ReadonlyMap<string, string>;
  /** By collection: the keys written, each with its new value or `undefined` for a delete. */
  readonly writes: ReadonlyMap<string, ReadonlyMap<string, StagedWrite>>;
}

/** One key's write within {@link StableChanges}. */
export interface StagedWrite {
  readonly key: Uint8Array;
  /** The new value, or `undefined` when the key is deleted. */
  readonly value: Uint8Array | undefined;
}

/**
 * The committed collections of one canister, kept by its host: in memory
 * ({@link MemoryStableBackend}) or in a database. A {@link StagedStableStore} reads it and applies
 * the changes of each message that commits.
 */
export interface StableBackend {
  /** @returns the type description `collection` was created with, or `undefined` when there is no such collection. */
  collectionType(collection: string): string | undefined;
  get(collection: string, key: Uint8Array): Uint8Array | undefined;
  range(collection: string, range: StableRange): StableEntry[];
  /** Applies the changes of a committed message, all or none. */
  apply(changes: StableChanges): void;
}
