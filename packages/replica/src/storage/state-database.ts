import { closeSync, fsync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Principal } from '@icp-sdk/core/principal';
import { hex } from '@icws/protocol';
import { ReplicaError } from '../errors';

/** The database's file in the state directory. */
export const STATE_FILE = 'state.sqlite';
/** The layout of the database this replica writes; a newer one is refused, an older one migrated. */
export const STATE_FORMAT_VERSION = 1;
const APPLICATION = 'icws-replica';

const SCHEMA = `
  CREATE TABLE icws_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE canisters (id BLOB PRIMARY KEY, name TEXT NOT NULL, module_hash TEXT) WITHOUT ROWID;
  CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    canister BLOB NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    UNIQUE (canister, name)
  );
  CREATE TABLE entries (
    collection INTEGER NOT NULL REFERENCES collections (id),
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (collection, key)
  ) WITHOUT ROWID;
`;
const TABLES = ['icws_meta', 'canisters', 'collections', 'entries'];

/** What the database remembers of an installed canister. */
export interface CanisterRecord {
  readonly name: string;
  /** The hash of the module's files at its last install or upgrade; `undefined` for a module given as an object. */
  readonly moduleHash: string | undefined;
}

/** The public keys a state database was made with, and the files holding their secrets. */
export interface StateKeys {
  readonly rootKeyDer: Uint8Array;
  readonly rootKeyFile: string;
  /** Absent in flat mode, where the root key signs. */
  readonly subnetKeyDer?: Uint8Array;
  readonly subnetKeyFile: string;
}

/**
 * The replica's durable state: canisters (name, module hash), stable collections and their
 * entries, in one SQLite database (`<state dir>/state.sqlite`, WAL journal), or in memory without a
 * state directory. Writes open a transaction that {@link commitRound} commits and syncs to disk:
 * the replica calls it once per round, before the round's certificate is signed, so every certified
 * reply is on disk. The database is locked for this process while it is open, so two replicas
 * never share one.
 *
 * The commit itself writes the WAL without syncing (`synchronous = NORMAL`); the sync of the WAL
 * that follows runs on libuv's thread pool, so the replica keeps reading and checking calls
 * meanwhile instead of blocking on the disk. SQLite syncs the WAL before each checkpoint and the
 * database after it, so nothing committed and synced is lost by a crash or a power cut.
 */
export class StateDatabase {
  /** Prepared statements used by the stable backends; see `SqliteStableBackend`. @internal */
  readonly statements: StateStatements;
  readonly #db: Database.Database;
  #failure: ReplicaError | undefined;
  #commits = 0;
  /** The WAL file, opened once it exists, to sync what a commit wrote. */
  #walFd: number | undefined;
  /** The sync under way, which the WAL file must outlive. */
  #syncing: Promise<void> | undefined;

  private constructor(
    db: Database.Database,
    /** The database file, or `undefined` in memory. */
    readonly path: string | undefined,
  ) {
    this.#db = db;
    this.statements = prepare(db);
  }

  /**
   * Opens (creating if needed) the database of state directory `dir`, or one in memory.
   * @throws ReplicaError `ICWS_ERR_STATE_DIR` when the file is not a database, is damaged, is
   *   another application's or is in use by another replica; `ICWS_ERR_STATE_FORMAT` when a newer
   *   replica wrote it
   */
  static open(dir: string | undefined): StateDatabase {
    const path = dir === undefined ? undefined : join(dir, STATE_FILE);
    let db: Database.Database | undefined;
    try {
      db = new Database(path ?? ':memory:', { timeout: 0 });
      if (path !== undefined) {
        // Exclusive locking before WAL: the WAL index stays in this process's memory, and the lock
        // taken by the first write is held until close, so a second replica is refused.
        db.pragma('locking_mode = EXCLUSIVE');
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        checkIntegrity(db, path);
      }
      initializeOrCheck(db, path ?? ':memory:');
      return new StateDatabase(db, path);
    } catch (err) {
      db?.close();
      throw err instanceof ReplicaError ? err : openError(path ?? ':memory:', err);
    }
  }

  /**
   * Records the public keys on first start, and afterwards checks that the key files still hold
   * them: canisters and their clients trust the root key, so a lost key file is not replaced silently.
   * @throws ReplicaError `ICWS_ERR_STATE_DIR` naming the key file that does not match
   */
  checkKeys(keys: StateKeys): void {
    this.#checkKey('root_public_key', keys.rootKeyDer, keys.rootKeyFile, 'root key');
    if (keys.subnetKeyDer !== undefined) this.#checkKey('subnet_public_key', keys.subnetKeyDer, keys.subnetKeyFile, 'subnet key');
  }

  /** @returns what the database remembers of canister `id`, if it was ever installed here. */
  canister(id: Principal): CanisterRecord | undefined {
    const row = this.statements.canister.get(id.toUint8Array()) as { name: string; module_hash: string | null } | undefined;
    return row === undefined ? undefined : { name: row.name, moduleHash: row.module_hash ?? undefined };
  }

  /** @returns the id the canister named `name` had, if any. */
  canisterIdOf(name: string): Principal | undefined {
    const id = this.statements.canisterIdByName.get(name) as Uint8Array | undefined;
    return id === undefined ? undefined : Principal.fromUint8Array(Uint8Array.from(id));
  }

  /**
   * @returns the ids (hex) of canisters other than `name` that hold stable collections: a new
   *   canister must not be given one, or it would find another's data.
   */
  idsHoldingState(exceptName: string): Set<string> {
    return new Set((this.statements.idsHoldingState.all(exceptName) as Uint8Array[]).map((id) => hex(id)));
  }

  /** @returns whether canister `id` has stable collections. */
  holdsState(id: Principal): boolean {
    return this.statements.holdsState.get(id.toUint8Array()) !== undefined;
  }

  /** Remembers that canister `id` is `name`, running the module of `moduleHash`. */
  recordCanister(id: Principal, name: string, moduleHash: string | undefined): void {
    this.write(() => this.statements.recordCanister.run(id.toUint8Array(), name, moduleHash ?? null));
  }

  /**
   * Runs `body`, a write, inside the open transaction (beginning one if needed). A write that fails
   * leaves the database failed: {@link commitRound} then throws, and no certificate follows.
   * @internal
   */
  write<T>(body: () => T): T {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      if (!this.#db.inTransaction) this.#db.exec('BEGIN');
      return body();
    } catch (err) {
      throw this.#fail(err);
    }
  }

  /**
   * Wraps `body` so that it applies all or nothing: in a savepoint within the round's transaction,
   * unless `single(...args)` says it makes one change, which SQLite applies whole anyway.
   * @internal
   */
  atomic<A extends unknown[]>(body: (...args: A) => void, single: (...args: A) => boolean): (...args: A) => void {
    const transaction = this.#db.transaction(body);
    return (...args) => this.write(() => (single(...args) ? body(...args) : transaction(...args)));
  }

  /**
   * Commits the writes made since the last commit, when there are any, and syncs them to disk.
   * @returns a promise settled once the commit is on disk (nothing when there was nothing to commit
   *   or the database is in memory)
   * @throws ReplicaError `ICWS_ERR_STATE_WRITE` when the database cannot be written, now or before
   *   (the promise rejects with it when the sync fails)
   */
  commitRound(): Promise<void> | undefined {
    if (this.#failure !== undefined) throw this.#failure;
    if (!this.#db.inTransaction) return undefined;
    try {
      this.#db.exec('COMMIT');
      this.#commits++;
      if (this.path === undefined) return undefined;
      this.#walFd ??= openSync(`${this.path}-wal`, 'r');
    } catch (err) {
      throw this.#fail(err);
    }
    const fd = this.#walFd;
    const synced = new Promise<void>((resolve, reject) => fsync(fd, (err) => (err === null ? resolve() : reject(this.#fail(err)))));
    this.#syncing = synced;
    return synced;
  }

  /** Transactions committed by {@link commitRound}: at most one a round. */
  get commits(): number {
    return this.#commits;
  }

  /** Commits what is pending and closes the database (releasing its lock; the WAL is checkpointed and synced). */
  close(): void {
    if (!this.#db.open) return;
    try {
      if (this.#failure === undefined && this.#db.inTransaction) this.#db.exec('COMMIT');
    } finally {
      const fd = this.#walFd;
      this.#walFd = undefined;
      if (fd !== undefined) {
        if (this.#syncing === undefined) closeSync(fd);
        else void this.#syncing.catch(() => undefined).then(() => closeSync(fd));
      }
      this.#db.close();
    }
  }

  #checkKey(name: string, der: Uint8Array, file: string, role: string): void {
    const stored = this.statements.meta.get(name) as string | undefined;
    if (stored === undefined) {
      this.write(() => this.statements.setMeta.run(name, hex(der)));
    } else if (stored !== hex(der)) {
      throw new ReplicaError(
        'ICWS_ERR_STATE_DIR',
        `${file} is not the ${role} ${this.path ?? 'the state database'} was made with: put back the key file that belongs to this state directory, ` +
          `or move ${STATE_FILE} away to start with empty canister state`,
      );
    }
  }

  #fail(err: unknown): ReplicaError {
    this.#failure ??= new ReplicaError(
      'ICWS_ERR_STATE_WRITE',
      `cannot write ${this.path ?? 'the in-memory state database'} (${(err as Error).message}): the replica certifies nothing more; free the disk or fix its permissions and restart it`,
      { cause: err },
    );
    return this.#failure;
  }
}

/** The database's prepared statements. @internal */
export interface StateStatements {
  readonly meta: Database.Statement;
  readonly setMeta: Database.Statement;
  readonly canister: Database.Statement;
  readonly canisterIdByName: Database.Statement;
  readonly idsHoldingState: Database.Statement;
  readonly holdsState: Database.Statement;
  readonly recordCanister: Database.Statement;
  readonly collections: Database.Statement;
  readonly createCollection: Database.Statement;
  readonly get: Database.Statement;
  readonly put: Database.Statement;
  readonly delete: Database.Statement;
  /** The range statement of a shape: with or without each bound, ascending or descending. */
  readonly range: (from: boolean, to: boolean, reverse: boolean) => Database.Statement;
}

function prepare(db: Database.Database): StateStatements {
  return {
    meta: db.prepare('SELECT value FROM icws_meta WHERE name = ?').pluck(),
    setMeta: db.prepare('INSERT OR REPLACE INTO icws_meta (name, value) VALUES (?, ?)'),
    canister: db.prepare('SELECT name, module_hash FROM canisters WHERE id = ?'),
    canisterIdByName: db.prepare('SELECT id FROM canisters WHERE name = ?').pluck(),
    idsHoldingState: db.prepare('SELECT DISTINCT canister FROM collections WHERE canister NOT IN (SELECT id FROM canisters WHERE name = ?)').pluck(),
    holdsState: db.prepare('SELECT 1 FROM collections WHERE canister = ? LIMIT 1').pluck(),
    recordCanister: db.prepare('INSERT OR REPLACE INTO canisters (id, name, module_hash) VALUES (?, ?, ?)'),
    collections: db.prepare('SELECT name, id, type FROM collections WHERE canister = ?'),
    createCollection: db.prepare('INSERT INTO collections (canister, name, type) VALUES (?, ?, ?)'),
    get: db.prepare('SELECT value FROM entries WHERE collection = ? AND key = ?').pluck(),
    put: db.prepare('INSERT OR REPLACE INTO entries (collection, key, value) VALUES (?, ?, ?)'),
    delete: db.prepare('DELETE FROM entries WHERE collection = ? AND key = ?'),
    range: rangeStatements(db),
  };
}

/** One statement per shape of range: with or without each bound, ascending or descending. */
function rangeStatements(db: Database.Database): (from: boolean, to: boolean, reverse: boolean) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (from, to, reverse) => {
    const shape = `${+from}${+to}${+reverse}`;
    let statement = cache.get(shape);
    if (statement === undefined) {
      const bounds = [from ? 'AND key >= @from' : '', to ? 'AND key < @to' : ''].join(' ');
      const sql = `SELECT key, value FROM entries WHERE collection = @collection ${bounds} ORDER BY key ${reverse ? 'DESC' : 'ASC'} LIMIT @limit`;
      statement = db.prepare(sql).raw(true);
      cache.set(shape, statement);
    }
    return statement;
  };
}

/** Refuses a damaged file before anything reads it as state. */
function checkIntegrity(db: Database.Database, path: string): void {
  const problems = (db.pragma('quick_check(5)') as Array<{ quick_check: string }>).map((row) => row.quick_check);
  if (problems.length === 1 && problems[0] === 'ok') return;
  throw new ReplicaError(
    'ICWS_ERR_STATE_DIR',
    `${path} is damaged (SQLite finds: ${problems.join('; ').split('\n').slice(0, 3).join(' ')}): restore it from a backup, or move it away to start with empty canister state`,
  );
}

/** Creates the tables of an empty database, or checks that an existing one is ours and not newer. */
function initializeOrCheck(db: Database.Database, path: string): void {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[]);
  if (tables.length === 0) {
    db.transaction(() => {
      db.exec(SCHEMA);
      const setMeta = db.prepare('INSERT INTO icws_meta (name, value) VALUES (?, ?)');
      setMeta.run('application', APPLICATION);
      setMeta.run('format_version', String(STATE_FORMAT_VERSION));
    }).exclusive();
    return;
  }
  const foreign = () =>
    new ReplicaError(
      'ICWS_ERR_STATE_DIR',
      `${path} is not an icws replica's state database (it holds the tables ${tables.slice(0, 5).join(', ')}): give --state-dir a folder of its own, or move the file away`,
    );
  if (!tables.includes('icws_meta')) throw foreign();
  const meta = db.prepare('SELECT value FROM icws_meta WHERE name = ?').pluck();
  if (meta.get('application') !== APPLICATION) throw foreign();
  const version = Number(meta.get('format_version'));
  if (!Number.isSafeInteger(version) || version < 1) throw foreign();
  if (version > STATE_FORMAT_VERSION) {
    throw new ReplicaError(
      'ICWS_ERR_STATE_FORMAT',
      `${path} was written by a newer icws-replica (state format ${version}; this one reads up to ${STATE_FORMAT_VERSION}): run the newer @icws/replica, or move the file away to start with empty canister state`,
    );
  }
  const missing = TABLES.filter((table) => !tables.includes(table));
  if (missing.length > 0) {
    throw new ReplicaError('ICWS_ERR_STATE_DIR', `${path} is damaged (the tables ${missing.join(', ')} are missing): restore it from a backup, or move it away to start with empty canister state`);
  }
  // Takes the exclusive lock now rather than at the first round: a second replica is refused at its start.
  db.exec('BEGIN EXCLUSIVE; COMMIT');
}

/** @returns the error for a database file SQLite cannot open or read. */
function openError(path: string, err: unknown): ReplicaError {
  const code = (err as { code?: string }).code ?? '';
  const reason = (err as Error).message;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new ReplicaError('ICWS_ERR_STATE_DIR', `${path} is in use by another replica: stop that one, or give this one another --state-dir`, { cause: err });
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new ReplicaError(
      'ICWS_ERR_STATE_DIR',
      `${path} is not an SQLite database or is damaged (${reason}): restore it from a backup, or move it away to start with empty canister state`,
      { cause: err },
    );
  }
  return new ReplicaError('ICWS_ERR_STATE_DIR', `${path} cannot be opened (${reason}): check the file and its permissions, or give --state-dir another folder`, { cause: err });
}
