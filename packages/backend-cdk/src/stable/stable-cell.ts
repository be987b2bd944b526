import type { IDL } from '@icp-sdk/core/candid';
import { CollectionHandle, type CandidValue, type StableContext } from './stable-collection';

const CELL_KEY = new Uint8Array();

/**
 * One value that outlives the canister's heap (`StableCell` of `ic-stable-structures`): it survives
 * upgrades and replica restarts, and reads as `initial` until it is first set. A write is part of
 * the message that makes it, rolled back by a trap and discarded at the end of a query.
 * @example
 * const count = StableCell.open(ic, 'count', IDL.Nat, 0n);
 * count.set(count.get() + 1n);
 */
export class StableCell<T> {
  readonly #handle: CollectionHandle;

  readonly #type: IDL.Type;
  readonly #initial: T;

  private constructor(handle: CollectionHandle, type: IDL.Type, initial: T) {
    this.#handle = handle;
    this.#type = type;
    this.#initial = initial;
  }

  /**
   * Opens the cell named `name`, creating it when the canister has none by that name.
   * @param initial - what {@link get} returns until the cell is set (it is not written)
   * @throws CdkError `ICWS_ERR_STABLE_COLLECTION` for a bad name; once opened, every use of a cell
   *   created with another type traps with `ICWS_ERR_STABLE_TYPE`
   */
  static open<T extends IDL.Type>(ic: StableContext, name: string, type: T, initial: CandidValue<T>): StableCell<CandidValue<T>>;
  /** Opens a cell whose type is given as a TypeScript type: `StableCell.open<Settings>(ic, 'settings', Settings, defaults)`. */
  static open<V>(ic: StableContext, name: string, type: IDL.Type, initial: V): StableCell<V>;
  static open(ic: StableContext, name: string, type: IDL.Type, initial: unknown): StableCell<unknown> {
    return new StableCell(new CollectionHandle(ic, 'StableCell', name, [type]), type, initial);
  }

  /** The collection's name. */
  get name(): string {
    return this.#handle.name;
  }

  /** @returns the value set last, or the initial value. */
  get(): T {
    const bytes = this.#handle.store.get(this.#handle.name, CELL_KEY);
    return bytes === undefined ? this.#initial : this.#handle.decode<T>(this.#type, bytes, 'value');
  }

  /** @throws CdkError `ICWS_ERR_STABLE_VALUE` when `value` does not fit the cell's type */
  set(value: T): void {
    this.#handle.store.put(this.#handle.name, CELL_KEY, this.#handle.encode(this.#type, value, 'value'));
  }
}
