import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ReplicaError } from './errors';
import { startReplica } from './launch';
import { loadCanisterModule } from './load-module';

/** The example canisters a development stack deploys, by name and module path under the examples folder. */
export const DEV_CANISTERS: ReadonlyArray<readonly [name: string, modulePath: string]> = [
  ['ping_pong', 'ping-pong/canister'],
  ['chat', 'chat/canister'],
];

/** Options of {@link startDevReplica}. */
export interface DevReplicaOptions {
  /** @default 4943, the IC SDK's local port */
  readonly port?: number;
  /** Where the replica keeps its keys. */
  readonly stateDir: string;
  /** Where the prints go. @default console.log */
  readonly log?: (line: string) => void;
}

/** A running development replica. */
export interface DevReplica {
  /** The replica's origin, e.g. `http://127.0.0.1:4943`. */
  readonly url: string;
  /** Canister ids by example name. */
  readonly canisterIds: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * Starts a replica on 127.0.0.1 with the example canisters shipped in this package (ping-pong and
 * chat), for a one-command local stack such as `icws-gateway --dev`.
 * @throws ReplicaError `ICWS_ERR_USAGE` when the compiled examples cannot be found
 */
export async function startDevReplica(options: DevReplicaOptions): Promise<DevReplica> {
  const examples = findExamples();
  const log = options.log ?? console.log;
  const running = await startReplica({
    host: '127.0.0.1',
    port: options.port ?? 4943,
    stateDir: options.stateDir,
    canisters: DEV_CANISTERS.map(([name, path]) => ({ name, module: loadCanisterModule(resolveModule(join(examples, path))) })),
  });
  const canisterIds = Object.fromEntries(Object.entries(running.canisterIds).map(([name, id]) => [name, id.toText()]));
  for (const [name, id] of Object.entries(canisterIds)) log(`canister ${name} ${id}`);
  log(`replica listening on ${running.url.origin}`);
  return { url: running.url.origin, canisterIds, close: () => running.close() };
}

/**
 * @returns the module of the example canister `name` (`ping_pong`, `chat`), or undefined for a name
 *   that is none of them
 */
export function exampleCanisterModule(name: string): string | undefined {
  const entry = DEV_CANISTERS.find(([example]) => example === name);
  return entry === undefined ? undefined : resolveModule(join(findExamples(), entry[1]));
}

function findExamples(): string {
  // The compiled copies shipped in this package first, then the repository's sources.
  const candidates = [process.env.ICWS_EXAMPLES_DIR, join(__dirname, 'examples'), join(__dirname, '../../../examples')];
  const found = candidates.find((dir) => dir !== undefined && existsSync(join(dir, 'ping-pong')));
  if (found === undefined) throw new ReplicaError('ICWS_ERR_USAGE', 'cannot find the example canisters; set ICWS_EXAMPLES_DIR to a folder holding ping-pong/ and chat/');
  return found;
}

function resolveModule(base: string): string {
  for (const extension of ['.js', '.ts']) if (existsSync(base + extension)) return base + extension;
  return base + '.js';
}
