import { Principal } from '@icp-sdk/core/principal';
import type { CanisterDefinition } from '@icws/backend-cdk';
import { AdminApiServer, type AdminApiOptions } from './admin-api';
import { parseCandidArgs } from './candid-text';
import { CanisterWatcher, type WatchedCanister } from './canister-watcher';
import { TestClock } from './clock';
import { ReplicaError } from './errors';
import { compactHeapOnFullCollections } from './heap-compaction';
import { ReplicaHttpServer } from './http-server';
import { loadCanisterFile } from './load-module';
import { Replica, type ReplicaOptions } from './replica';

/** A canister to install at start: a module (or the path of one), an optional fixed id and init value. */
export interface CanisterSpec {
  readonly name: string;
  /**
   * The module, or the path of its file. From a file, the replica knows when the code changed (an
   * upgrade, logged as such) and can reload it (`watch`).
   */
  readonly module: CanisterDefinition<never> | string;
  readonly id?: Principal | string;
  /** The value passed to the canister's factory as it is. */
  readonly init?: unknown;
  /**
   * The init argument as Candid text, e.g. `(opt record { send_ack_interval_ms = 1000 : nat64 })`,
   * read against the types the canister declares with `defineCanister(…, { candidInit })`.
   * Exclusive with `init`.
   */
  readonly initCandid?: string;
}

export interface StartReplicaOptions extends ReplicaOptions {
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** 0 picks a free port. @default 4943 */
  readonly port?: number;
  readonly canisters?: readonly CanisterSpec[];
  /**
   * Serves the admin API (time, ticks) on its own loopback port. Unless `clock` is given, the
   * replica then runs on a manual clock (a {@link TestClock} starting at the current time) that
   * moves only through the API and the rounds.
   */
  readonly admin?: AdminApiOptions;
  /**
   * Reloads a canister installed from a file when its code changes, as an upgrade that keeps its
   * stable memory (`icws-replica --watch`). `debounceMs`: how long the files must be quiet first.
   * @default false
   */
  readonly watch?: boolean | { readonly debounceMs?: number };
  /**
   * Has V8 compact the old generation at every full collection, for the whole process: the
   * replica's state dies in arrival order, and without this the reserved heap keeps growing under
   * steady load while the live data stays level. Longer pauses at full collections are the price.
   * @default true
   */
  readonly compactHeap?: boolean;
}

/** A replica serving the IC HTTP interface. */
export interface RunningReplica {
  readonly replica: Replica;
  readonly url: URL;
  /** The admin API's base URL, when it was asked for. */
  readonly adminUrl?: URL;
  /** Installed canister ids by name. */
  readonly canisterIds: Readonly<Record<string, Principal>>;
  close(): Promise<void>;
}

/**
 * Starts a replica with its canisters and serves it over HTTP.
 * @throws ReplicaError `ICWS_ERR_INIT_ARG` when an `initCandid` does not read as the canister's init
 *   types; `ICWS_ERR_ADMIN_ADDRESS` when the admin API is asked for on a non-loopback address
 */
export async function startReplica(options: StartReplicaOptions = {}): Promise<RunningReplica> {
  if (options.compactHeap ?? true) compactHeapOnFullCollections();
  const clock = options.clock ?? (options.admin !== undefined ? new TestClock() : undefined);
  const replica = await Replica.create({ ...options, clock });
  const canisterIds: Record<string, Principal> = {};
  const admin = options.admin !== undefined ? new AdminApiServer(replica) : undefined;
  const fromFiles: WatchedCanister[] = [];
  let watcher: CanisterWatcher | undefined;
  try {
    for (const spec of options.canisters ?? []) {
      const loaded = typeof spec.module === 'string' ? loadCanisterFile(spec.module) : undefined;
      const definition = loaded?.definition ?? (spec.module as CanisterDefinition<unknown>);
      const id = typeof spec.id === 'string' ? Principal.fromText(spec.id) : spec.id;
      const init = initValue(spec, definition);
      canisterIds[spec.name] = replica.install(spec.name, definition, { id, init, moduleHash: loaded?.hash });
      if (loaded !== undefined) fromFiles.push({ name: spec.name, id: canisterIds[spec.name], module: loaded, init });
    }
    const server = new ReplicaHttpServer(replica);
    const adminUrl = admin === undefined ? undefined : await admin.listen(options.admin!);
    const url = await server.listen(options.port ?? 4943, options.host ?? '127.0.0.1');
    if (options.watch) {
      const debounceMs = typeof options.watch === 'object' ? options.watch.debounceMs : undefined;
      watcher = new CanisterWatcher(replica, fromFiles, { debounceMs, log: options.log ?? console.log });
    }
    return {
      replica,
      url,
      adminUrl,
      canisterIds,
      async close() {
        watcher?.close();
        await Promise.all([server.close(), admin?.close()]);
        await replica.close();
      },
    };
  } catch (err) {
    watcher?.close();
    await admin?.close();
    await replica.close();
    throw err;
  }
}

/** @returns the init value of `spec`: as given, or read from its Candid text. */
function initValue(spec: CanisterSpec, definition: CanisterDefinition<unknown>): unknown {
  if (spec.initCandid === undefined) return spec.init;
  if (spec.init !== undefined) {
    throw new ReplicaError('ICWS_ERR_INIT_ARG', `canister "${spec.name}": give its init value or its init text, not both`);
  }
  const candidInit = definition.candidInit;
  if (candidInit === undefined) {
    throw new ReplicaError(
      'ICWS_ERR_INIT_ARG',
      `canister "${spec.name}" declares no Candid init types, so it takes no init text: declare them with defineCanister(factory, { candidInit: { types: [...] } })`,
    );
  }
  let values: unknown[];
  try {
    values = parseCandidArgs(spec.initCandid, candidInit.types);
  } catch (err) {
    const types = candidInit.types.map((t) => t.display()).join(', ');
    throw new ReplicaError('ICWS_ERR_INIT_ARG', `canister "${spec.name}" takes (${types}): ${(err as Error).message}`, { cause: err });
  }
  return candidInit.fromCandid ? candidInit.fromCandid(values) : values.length === 1 ? values[0] : values;
}
