import { join } from 'node:path';
import type { Principal } from '@icp-sdk/core/principal';
import { StagedStableStore } from '@icws/backend-cdk';
import { describeError, hex } from '@icws/protocol';
import { canisterIdAt } from '../canister-ids';
import type { CanisterInstance } from '../canister/instance';
import { ReplicaError } from '../errors';
import { ROOT_KEY_FILE } from '../root-key';
import { loadSubnetKeys, SUBNET_KEY_FILE, type CertificateMode, type SubnetKeys } from '../subnet-keys';
import { SqliteStableBackend } from './sqlite-stable-backend';
import { StateDatabase, type CanisterRecord } from './state-database';
import { prepareStateDir } from './state-dir';

/** Where a replica keeps its state; see `ReplicaOptions`. */
export interface StorageOptions {
  readonly stateDir?: string;
  readonly durableState?: boolean;
}

/**
 * What the replica keeps of its canisters beyond their instances (their heaps): the state
 * database, each canister's stable memory, which canister had which id, and the upgrade, in which
 * a new instance takes stable memory over from an old one.
 */
export class CanisterStorage {
  readonly #database: StateDatabase;
  /** By canister id (hex): the store outlives the instances an upgrade replaces. */
  readonly #stores = new Map<string, StagedStableStore>();

  private constructor(database: StateDatabase) {
    this.#database = database;
  }

  /**
   * Opens the state directory: its database first (a bad one is refused before any key file is
   * written), then the keys, which must be those the database was made with. Without a state
   * directory (or with `durableState: false`), the database is in memory.
   * @throws ReplicaError `ICWS_ERR_STATE_DIR`, `ICWS_ERR_STATE_FORMAT`, `ICWS_ERR_ROOT_KEY`
   */
  static async open(mode: CertificateMode, options: StorageOptions): Promise<{ storage: CanisterStorage; keys: SubnetKeys }> {
    const dir = options.stateDir;
    if (dir !== undefined) prepareStateDir(dir);
    const database = StateDatabase.open(dir !== undefined && options.durableState !== false ? dir : undefined);
    try {
      const keys = await loadSubnetKeys(mode, dir);
      database.checkKeys({
        rootKeyDer: keys.rootKey.der,
        rootKeyFile: join(dir ?? '', ROOT_KEY_FILE),
        subnetKeyDer: mode === 'delegated' ? keys.subnetKey.der : undefined,
        subnetKeyFile: join(dir ?? '', SUBNET_KEY_FILE),
      });
      return { storage: new CanisterStorage(database), keys };
    } catch (err) {
      database.close();
      throw err;
    }
  }

  /** Transactions committed: at most one a round. */
  get commits(): number {
    return this.#database.commits;
  }

  /** The round's hook: commits and syncs what the round wrote. See {@link StateDatabase.commitRound}. */
  commitRound(): Promise<void> | undefined {
    return this.#database.commitRound();
  }

  /** Commits what is pending and closes the database. */
  close(): void {
    this.#database.close();
  }

  /**
   * @returns the id for canister `name` when none is given: the one it had in this state directory
   *   (unless installed already), else the first id of the local range neither `installed` nor
   *   holding another canister's stable memory
   */
  idFor(name: string, installed: (id: Principal) => boolean): Principal {
    const remembered = this.#database.canisterIdOf(name);
    if (remembered !== undefined && !installed(remembered)) return remembered;
    const reserved = this.#database.idsHoldingState(name);
    for (let ordinal = 0; ; ordinal++) {
      const id = canisterIdAt(ordinal);
      if (!installed(id) && !reserved.has(hex(id.toUint8Array()))) return id;
    }
  }

  /**
   * @returns the canister whose stable memory `name`, installed at `id`, takes over: the one it
   *   was itself before, or another that left stable memory there; none for a fresh install
   */
  previousOwner(id: Principal, name: string): CanisterRecord | undefined {
    const recorded = this.#database.canister(id);
    return recorded !== undefined && (recorded.name === name || this.#database.holdsState(id)) ? recorded : undefined;
  }

  /** @returns the stable memory of canister `id`, for its instances. */
  stableStore(id: Principal): StagedStableStore {
    const key = hex(id.toUint8Array());
    let store = this.#stores.get(key);
    if (store === undefined) {
      store = new StagedStableStore(new SqliteStableBackend(this.#database, id), {
        outsideMessage: (operation) => new Error(`${operation} can only be used while the canister executes a message`),
      });
      this.#stores.set(key, store);
    }
    return store;
  }

  /**
   * Upgrades canister `name` at `id`: runs `old`'s `preUpgrade` (when an old instance runs),
   * `create`s the new instance (its factory) and runs its `postUpgrade`; their stable writes commit
   * together, or none does.
   * @throws ReplicaError `ICWS_ERR_UPGRADE` naming the step that threw
   */
  upgrade(name: string, id: Principal, old: CanisterInstance | undefined, create: () => CanisterInstance, timeNs: bigint): CanisterInstance {
    const store = this.stableStore(id);
    let step = 'preUpgrade';
    store.begin();
    try {
      old?.runUpgradeHook('preUpgrade', timeNs);
      step = 'the factory of the new module';
      const instance = create();
      step = 'postUpgrade';
      instance.runUpgradeHook('postUpgrade', timeNs);
      store.commit();
      return instance;
    } catch (err) {
      store.discard();
      const outcome = old === undefined ? 'was not started' : 'keeps running its old module';
      throw new ReplicaError(
        'ICWS_ERR_UPGRADE',
        `canister "${name}" (${id.toText()}) ${outcome}, its stable memory unchanged: ${step} threw: ${describeError(err)}`,
        { cause: err },
      );
    }
  }

  /**
   * Remembers that canister `name` runs at `id` the module of `moduleHash`.
   * @param previous - the canister whose stable memory it took over, if any
   * @returns a line for the log when that was an upgrade or another canister's memory
   */
  recordInstall(id: Principal, name: string, moduleHash: string | undefined, previous?: CanisterRecord): string | undefined {
    this.#database.recordCanister(id, name, moduleHash);
    if (previous === undefined) return undefined;
    const changed = moduleHash !== undefined && previous.moduleHash !== undefined && moduleHash !== previous.moduleHash;
    const renamed = previous.name !== name;
    if (!changed && !renamed) return undefined;
    const from = renamed ? ` (the stable memory of canister ${previous.name})` : '';
    return `${changed ? 'upgraded to a changed module' : 'restarted'}: canister ${name} ${id.toText()}, stable memory kept${from}`;
  }
}
