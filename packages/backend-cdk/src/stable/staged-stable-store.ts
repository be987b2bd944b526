import { hex } from '@icws/protocol';
import { compareBytes } from '../certification/bytes';
import { CdkError } from '../errors';
import type { StableBackend, StableChanges, StableEntry, StableOpenResult, StableRange, StableStore, StagedWrite } from './stable-store';

/** Options of a {@link StagedStableStore}. */
export interface StagedStableStoreOptions {
  /** Makes the error thrown when the store is used while no message executes (the host's own kind of trap). */
  readonly outsideMessage: (operation: string) => Error;
}

/** The writes of one open level: a message, or an upgrade around its messages. */
class Staging implements StableChanges {
  readonly created = new Map<string, string>();
  readonly writes = new Map<string, Map<string, StagedWrite>>();

  write(collection: string, write: StagedWrite): void {
    let keys = this.writes.get(collection);
    if (keys === undefined) this.writes.set(collection, (keys = new Map()));
    keys.set(hex(write.key), write);
  }

  get isEmpty(): boolean {
    return this.created.size === 0 && this.writes.size === 0;
  }

  /** Takes over the writes of a level opened inside this one, which committed. */
  absorb(inner: Staging): void {
    for (const [name, type] of inner.created) this.created.set(name, type);
    for (const [name, writes] of inner.writes) for (const write of writes.values()) this.write(name, write);
  }
}

/**
 * The {@link StableStore} a host hands a canister: reads see the committed collections of a
 * {@link StableBackend} with the writes of the message executing on top; a message's writes reach
 * the backend when it commits, and vanish when it is discarded (a trap, a query). Levels nest: a
 * host opens one around an upgrade, so that the old module's `preUpgrade`, the new module's factory
 * and its `postUpgrade`, each a message of its own, commit together or not at all.
 *
 * Hosts (the replica, `FakeCanisterContext`) call {@link begin} when a message starts and
 * {@link commit} or {@link discard} when it ends; canisters use the {@link StableStore} methods only.
 */
export class StagedStableStore implements StableStore {
  readonly #backend: StableBackend;
  readonly #outsideMessage: (operation: string) => Error;
  readonly #levels: Staging[] = [];

  constructor(backend: StableBackend, options: StagedStableStoreOptions) {
    this.#backend = backend;
    this.#outsideMessage = options.outsideMessage;
  }

  /** Levels open: 0 while no message executes. */
  get depth(): number {
    return this.#levels.length;
  }

  /** Opens a level: the writes from now on wait for its {@link commit}. */
  begin(): void {
    this.#levels.push(new Staging());
  }

  /**
   * Closes the innermost level, keeping its writes: they join the level around it, or, for the
   * outermost one, are applied to the backend. When the backend fails, the level stays open (to be
   * discarded) and the error is thrown.
   */
  commit(): void {
    const top = this.#levels.at(-1);
    if (top === undefined) throw new Error('StagedStableStore.commit(): no level is open');
    if (this.#levels.length > 1) this.#levels[this.#levels.length - 2].absorb(top);
    else if (!top.isEmpty) this.#backend.apply(top);
    this.#levels.pop();
  }

  /** Closes the innermost level, dropping its writes. */
  discard(): void {
    this.#levels.pop();
  }

  open(collection: string, type: string): StableOpenResult {
    const level = this.#current('open');
    const stored = this.#typeOf(collection);
    if (stored === undefined) {
      level.created.set(collection, type);
      return { status: 'created' };
    }
    return stored === type ? { status: 'opened' } : { status: 'mismatch', storedType: stored };
  }

  get(collection: string, key: Uint8Array): Uint8Array | undefined {
    this.#current('get');
    this.#requireOpen(collection);
    const id = hex(key);
    for (let i = this.#levels.length - 1; i >= 0; i--) {
      const write = this.#levels[i].writes.get(collection)?.get(id);
      if (write !== undefined) return write.value;
    }
    return this.#backend.get(collection, key);
  }

  put(collection: string, key: Uint8Array, value: Uint8Array): void {
    const level = this.#current('put');
    this.#requireOpen(collection);
    level.write(collection, { key: key.slice(), value: value.slice() });
  }

  delete(collection: string, key: Uint8Array): void {
    const level = this.#current('delete');
    this.#requireOpen(collection);
    level.write(collection, { key: key.slice(), value: undefined });
  }

  range(collection: string, range: StableRange): StableEntry[] {
    this.#current('range');
    this.#requireOpen(collection);
    if (!Number.isSafeInteger(range.limit) || range.limit < 1) throw new RangeError(`range limit must be a positive integer, got ${range.limit}`);
    const staged = this.#stagedIn(collection, range);
    // Each staged key hides or replaces at most one committed entry, so the first
    // `limit + staged.length` committed entries hold `limit` that survive: merging them with the
    // staged writes gives the first `limit` entries, wherever the committed page ends.
    const committed = this.#backend.range(collection, { ...range, limit: range.limit + staged.length });
    const before = range.reverse ? (a: Uint8Array, b: Uint8Array) => compareBytes(b, a) : compareBytes;

    const merged: StableEntry[] = [];
    let i = 0;
    let j = 0;
    while (merged.length < range.limit && (i < committed.length || j < staged.length)) {
      const write = staged[j];
      if (write === undefined || (i < committed.length && before(committed[i][0], write.key) < 0)) {
        merged.push(committed[i++]);
        continue;
      }
      if (i < committed.length && before(committed[i][0], write.key) === 0) i++;
      if (write.value !== undefined) merged.push([write.key, write.value]);
      j++;
    }
    return merged;
  }

  /** @returns the staged writes of `collection` within `range`, innermost level winning, in the range's order. */
  #stagedIn(collection: string, range: StableRange): StagedWrite[] {
    const byKey = new Map<string, StagedWrite>();
    for (const level of this.#levels) {
      const writes = level.writes.get(collection);
      if (writes === undefined) continue;
      for (const [id, write] of writes) {
        if (range.from !== undefined && compareBytes(write.key, range.from) < 0) continue;
        if (range.to !== undefined && compareBytes(write.key, range.to) >= 0) continue;
        byKey.set(id, write);
      }
    }
    const writes = [...byKey.values()].sort((a, b) => compareBytes(a.key, b.key));
    return range.reverse ? writes.reverse() : writes;
  }

  #typeOf(collection: string): string | undefined {
    for (let i = this.#levels.length - 1; i >= 0; i--) {
      const type = this.#levels[i].created.get(collection);
      if (type !== undefined) return type;
    }
    return this.#backend.collectionType(collection);
  }

  #requireOpen(collection: string): void {
    if (this.#typeOf(collection) === undefined) {
      throw new CdkError('ICWS_ERR_STABLE_COLLECTION', `stable collection "${collection}" does not exist: open it (StableMap.open, StableCell.open, StableVec.open) before using it`);
    }
  }

  #current(operation: string): Staging {
    const level = this.#levels.at(-1);
    if (level === undefined) throw this.#outsideMessage(`stable memory (${operation})`);
    return level;
  }
}
