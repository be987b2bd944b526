/** Bounds of an {@link LruCache} beyond its number of entries. */
export interface LruCacheOptions<K, V> {
  /** Most bytes kept, as {@link LruCacheOptions.sizeOf} counts them. @default Infinity */
  readonly maxBytes?: number;
  /** The bytes an entry holds. @default 0 for every entry */
  readonly sizeOf?: (value: V, key: K) => number;
}

/**
 * A small least-recently-used cache, bounded in entries and optionally in bytes. A Map keeps
 * insertion order, so re-inserting on every hit keeps the oldest entry first, which is the one to
 * evict.
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, { value: V; bytes: number }>();
  readonly #capacity: number;
  readonly #maxBytes: number;
  readonly #sizeOf: (value: V, key: K) => number;
  #bytes = 0;

  /** @param capacity - most entries kept; at least 1 */
  constructor(capacity: number, options: LruCacheOptions<K, V> = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LRU capacity must be a positive integer, got ${capacity}`);
    const maxBytes = options.maxBytes ?? Infinity;
    if (!(maxBytes >= 0)) throw new RangeError(`LRU maxBytes must be >= 0, got ${maxBytes}`);
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
    this.#sizeOf = options.sizeOf ?? (() => 0);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Bytes of the entries kept, as `sizeOf` counts them. */
  get bytes(): number {
    return this.#bytes;
  }

  /** @returns the cached value, marking it most recently used. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value`, evicting the least recently used entries while a bound is passed; one larger than `maxBytes` is not kept. */
  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.#sizeOf(value, key);
    if (bytes > this.#maxBytes) return;
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    while (this.#entries.size > this.#capacity || this.#bytes > this.#maxBytes) {
      this.delete(this.#entries.keys().next().value as K);
    }
  }

  /** Forgets `key`. @returns whether it was kept */
  delete(key: K): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    return true;
  }
}
