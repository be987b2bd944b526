import { existsSync } from 'node:fs';
import { canisterCandid } from './candid-interface';
import { DEV_CANISTERS, exampleCanisterModule } from './dev-replica';
import { ReplicaError } from './errors';
import type { CanisterSpec } from './launch';
import { loadCanisterModule } from './load-module';

/**
 * `icws-replica --print-candid NAME_OR_FILE`: the `.did` text of the canister named by a
 * `--canister NAME=PATH` of the same command line, of an example canister, or of the module at a
 * path, in that order.
 * @throws ReplicaError `ICWS_ERR_USAGE` when `nameOrFile` is none of them; `ICWS_ERR_CANISTER_MODULE`
 *   when the module does not load or its factory fails
 */
export function printCandid(nameOrFile: string, canisters: readonly CanisterSpec[] = []): string {
  const module = moduleOf(nameOrFile, canisters);
  const definition = typeof module === 'string' ? loadCanisterModule(module) : module;
  try {
    return canisterCandid(definition);
  } catch (err) {
    throw new ReplicaError('ICWS_ERR_CANISTER_MODULE', `--print-candid ${nameOrFile}: the canister's factory failed without an init argument: ${(err as Error).message}`, { cause: err });
  }
}

function moduleOf(nameOrFile: string, canisters: readonly CanisterSpec[]): CanisterSpec['module'] {
  const spec = canisters.find((canister) => canister.name === nameOrFile);
  if (spec !== undefined) return spec.module;
  if (DEV_CANISTERS.some(([name]) => name === nameOrFile)) return exampleCanisterModule(nameOrFile)!;
  if (existsSync(nameOrFile)) return nameOrFile;
  const examples = DEV_CANISTERS.map(([name]) => name).join(', ');
  throw new ReplicaError('ICWS_ERR_USAGE', `--print-candid ${nameOrFile}: not the NAME of a --canister NAME=PATH, nor an example canister (${examples}), nor a file; give one of those`);
}
