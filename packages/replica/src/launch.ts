import { Principal } from '@icp-sdk/core/principal';
import type { CanisterDefinition } from '@icws/backend-cdk';
import { ReplicaHttpServer } from './http-server';
import { loadCanisterModule } from './load-module';
import { Replica, type ReplicaOptions } from './replica';

/** A canister to install at start: a module (or the path of one), an optional fixed id and init value. */
export interface CanisterSpec {
  readonly name: string;
  readonly module: CanisterDefinition<never> | string;
  readonly id?: Principal | string;
  readonly init?: unknown;
}

export interface StartReplicaOptions extends ReplicaOptions {
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** 0 picks a free port. @default 4943 */
  readonly port?: number;
  readonly canisters?: readonly CanisterSpec[];
}

/** A replica serving the IC HTTP interface. */
export interface RunningReplica {
  readonly replica: Replica;
  readonly url: URL;
  /** Installed canister ids by name. */
  readonly canisterIds: Readonly<Record<string, Principal>>;
  close(): Promise<void>;
}

/** Starts a replica with its canisters and serves it over HTTP. */
export async function startReplica(options: StartReplicaOptions = {}): Promise<RunningReplica> {
  const replica = await Replica.create(options);
  const canisterIds: Record<string, Principal> = {};
  try {
    for (const spec of options.canisters ?? []) {
      const definition = typeof spec.module === 'string' ? loadCanisterModule(spec.module) : (spec.module as CanisterDefinition<unknown>);
      const id = typeof spec.id === 'string' ? Principal.fromText(spec.id) : spec.id;
      canisterIds[spec.name] = replica.install(spec.name, definition, { id, init: spec.init });
    }
    const server = new ReplicaHttpServer(replica);
    const url = await server.listen(options.port ?? 4943, options.host ?? '127.0.0.1');
    return {
      replica,
      url,
      canisterIds,
      async close() {
        await server.close();
        await replica.close();
      },
    };
  } catch (err) {
    await replica.close();
    throw err;
  }
}
