import type { IDL } from '@icp-sdk/core/candid';
import { CollectionHandle, nextKey, type CandidValue, type StableContext } from './stable-collection';

/** The key of the length; element keys are 8 bytes, so it sorts before them all. */
const LENGTH_KEY = new Uint8Array();
const PAGE_SIZE = 64;

/**
 * A sequence that outlives the canister's heap (`StableVec` of `ic-stable-structures`): values by
 * index from 0, appended with {@link push}, read back in order. Writes are part of the message that
 * makes them, rolled back by a trap and discarded at the end of a query.
 * @example
 * const log = StableVec.open(ic, 'log', IDL.Text);
 * log.push(`${ic.caller().toText()} was here`);
 * const lastTen = [...log.values(Math.max(0, log.length - 10))];
 */
export class StableVec<T> implements Iterable<T> {
  readonly #handle: CollectionHandle;

  readonly #type: IDL.Type;

  private constructor(handle: CollectionHandle, type: IDL.Type) {
    this.#handle = handle;
    this.#type = type;
  }

  /**
   * Opens the vector named `name`, creating it (empty) when the canister has none by that name.
   * @throws CdkError `ICWS_ERR_STABLE_COLLECTION` for a bad name; once opened, every use of a vector
   *   created with another type traps with `ICWS_ERR_STABLE_TYPE`
   */
  static open<T extends IDL.Type>(ic: StableContext, name: string, type: T): StableVec<CandidValue<T>>;
  /** Opens a vector whose value type is given as a TypeScript type: `StableVec.open<Message>(ic, 'messages', Message)`. */
  static open<V>(ic: StableContext, name: string, type: IDL.Type): StableVec<V>;
  static open(ic: StableContext, name: string, type: IDL.Type): StableVec<unknown> {
    return new StableVec(new CollectionHandle(ic, 'StableVec', name, [type]), type);
  }

  /** The collection's name. */
  get name(): string {
    return this.#handle.name;
  }

  /** How many values it holds. */
  get length(): number {
    const bytes = this.#handle.store.get(this.#handle.name, LENGTH_KEY);
    return bytes === undefined ? 0 : readIndex(bytes);
  }

  /** @returns the value at `index`, or `undefined` past the end. */
  get(index: number): T | undefined {
    this.#checkIndex(index);
    if (index >= this.length) return undefined;
    const bytes = this.#handle.store.get(this.#handle.name, indexKey(index));
    return bytes === undefined ? undefined : this.#handle.decode<T>(this.#type, bytes, 'value');
  }

  /** Replaces the value at `index`. @throws CdkError `ICWS_ERR_STABLE_VALUE` past the end, or for a value not of the type */
  set(index: number, value: T): void {
    this.#checkIndex(index);
    const length = this.length;
    if (index >= length) throw this.#handle.valueError(`index ${index} is past the end (length ${length}); push to append`);
    this.#handle.store.put(this.#handle.name, indexKey(index), this.#handle.encode(this.#type, value, 'value'));
  }

  /** Appends `value`. @returns the new length */
  push(value: T): number {
    const bytes = this.#handle.encode(this.#type, value, 'value');
    const length = this.length;
    const store = this.#handle.store;
    store.put(this.#handle.name, indexKey(length), bytes);
    store.put(this.#handle.name, LENGTH_KEY, indexKey(length + 1));
    return length + 1;
  }

  /** Removes the last value. @returns it, or `undefined` when empty */
  pop(): T | undefined {
    const length = this.length;
    if (length === 0) return undefined;
    const value = this.get(length - 1);
    const store = this.#handle.store;
    store.delete(this.#handle.name, indexKey(length - 1));
    store.put(this.#handle.name, LENGTH_KEY, indexKey(length - 1));
    return value;
  }

  /** Iterates the values from index `from` (0 by default) to the end, reading a page at a time. */
  *values(from = 0): IterableIterator<T> {
    this.#checkIndex(from);
    const store = this.#handle.store;
    let cursor = indexKey(from);
    for (;;) {
      const page = store.range(this.#handle.name, { from: cursor, limit: PAGE_SIZE });
      for (const [, value] of page) yield this.#handle.decode<T>(this.#type, value, 'value');
      if (page.length < PAGE_SIZE) return;
      cursor = nextKey(page[page.length - 1][0]);
    }
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values();
  }

  #checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0) throw this.#handle.valueError(`index ${index} is not a whole number >= 0`);
  }
}

/** @returns `index` as 8 big-endian bytes, so keys sort as indexes do. */
function indexKey(index: number): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, BigInt(index));
  return key;
}

function readIndex(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0));
}
