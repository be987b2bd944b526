import type { Principal } from '@icp-sdk/core/principal';
import type { StableBackend, StableChanges, StableEntry, StableRange } from '@icws/backend-cdk';
import type { StateDatabase } from './state-database';

interface Collection {
  readonly id: number | bigint;
  readonly type: string;
}

/**
 * The committed stable collections of one canister, in the replica's {@link StateDatabase}. Reads
 * see what is committed to the round's transaction; {@link apply} writes one message's changes
 * into it, all or none. Collections are looked up by name once, then by their row id.
 */
export class SqliteStableBackend implements StableBackend {
  readonly #database: StateDatabase;
  readonly #canister: Uint8Array;
  readonly #collections = new Map<string, Collection>();
  readonly #apply: (changes: StableChanges) => void;

  constructor(database: StateDatabase, canisterId: Principal) {
    this.#database = database;
    this.#canister = canisterId.toUint8Array();
    for (const row of database.statements.collections.all(this.#canister) as Array<{ name: string; id: number; type: string }>) {
      this.#collections.set(row.name, { id: row.id, type: row.type });
    }
    const statements = database.statements;
    this.#apply = database.atomic((changes: StableChanges) => {
      const created: Array<[string, Collection]> = [];
      for (const [name, type] of changes.created) {
        if (this.#collections.has(name)) continue;
        const { lastInsertRowid } = statements.createCollection.run(this.#canister, name, type);
        created.push([name, { id: lastInsertRowid, type }]);
      }
      const idOf = (name: string) => (this.#collections.get(name) ?? created.find(([n]) => n === name)?.[1])!.id;
      for (const [name, writes] of changes.writes) {
        const id = idOf(name);
        for (const { key, value } of writes.values()) {
          if (value === undefined) statements.delete.run(id, key);
          else statements.put.run(id, key, value);
        }
      }
      // Only once every row is written: a failed apply leaves no collection behind in memory either.
      for (const [name, collection] of created) this.#collections.set(name, collection);
    }, (changes) => changes.created.size === 0 && changes.writes.size === 1 && [...changes.writes.values()][0].size === 1);
  }

  collectionType(collection: string): string | undefined {
    return this.#collections.get(collection)?.type;
  }

  get(collection: string, key: Uint8Array): Uint8Array | undefined {
    const id = this.#collections.get(collection)?.id;
    return id === undefined ? undefined : (this.#database.statements.get.get(id, key) as Uint8Array | undefined);
  }

  range(collection: string, range: StableRange): StableEntry[] {
    const id = this.#collections.get(collection)?.id;
    if (id === undefined) return [];
    const statement = this.#database.statements.range(range.from !== undefined, range.to !== undefined, range.reverse === true);
    const parameters: Record<string, unknown> = { collection: id, limit: range.limit };
    if (range.from !== undefined) parameters.from = range.from;
    if (range.to !== undefined) parameters.to = range.to;
    return statement.all(parameters) as StableEntry[];
  }

  apply(changes: StableChanges): void {
    this.#apply(changes);
  }
}
