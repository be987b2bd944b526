import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { isCanisterDefinition, type CanisterDefinition } from '@icws/backend-cdk';
import { ReplicaError } from './errors';

type ModuleHooks = Record<string, (module: { _compile(code: string, filename: string): void }, filename: string) => void>;

/**
 * Loads a canister module from a file: its default export (or an export named `canister`) must be
 * made by `defineCanister`. TypeScript files are compiled on the fly with swc (`@swc/core`, a
 * dependency of this package).
 * @throws ReplicaError `ICWS_ERR_CANISTER_MODULE` naming the file and what is wrong with it
 */
export function loadCanisterModule(path: string): CanisterDefinition<unknown> {
  const file = resolve(path);
  if (/\.[cm]?ts$/.test(file)) enableTypeScriptModules(file);
  let exported: Record<string, unknown>;
  try {
    exported = require(file) as Record<string, unknown>;
  } catch (err) {
    throw new ReplicaError('ICWS_ERR_CANISTER_MODULE', `cannot load canister module ${file}: ${(err as Error).message}`);
  }
  const candidate = isCanisterDefinition(exported) ? exported : exported.default ?? exported.canister;
  if (!isCanisterDefinition(candidate)) {
    throw new ReplicaError('ICWS_ERR_CANISTER_MODULE', `${file} must export a canister made by defineCanister() as its default export`);
  }
  return candidate;
}

/** A canister module loaded from its file, with what identifies its code. */
export interface LoadedCanisterModule {
  readonly definition: CanisterDefinition<unknown>;
  /** The module's file, resolved. */
  readonly file: string;
  /** The files of its code: the module and the local files it loaded (not those under node_modules). */
  readonly files: readonly string[];
  /** SHA-256 (hex) of those files' paths and contents: a changed hash means changed code. */
  readonly hash: string;
}

/**
 * Loads a canister module from a file as {@link loadCanisterModule} does, and hashes its code.
 * @param previous - the same module loaded before: its files are loaded anew rather than taken
 *   from `require`'s cache, so an edited module is read as it is now
 * @throws ReplicaError `ICWS_ERR_CANISTER_MODULE` naming the file and what is wrong with it
 */
export function loadCanisterFile(path: string, previous?: LoadedCanisterModule): LoadedCanisterModule {
  const file = resolve(path);
  for (const loaded of previous?.files ?? []) delete require.cache[loaded];
  const definition = loadCanisterModule(file);
  const files = moduleFiles(file);
  return { definition, file, files, hash: hashFiles(file, files) };
}

/**
 * @returns the hash {@link loadCanisterFile} would give `module`'s files as they are on disk now,
 *   or `undefined` when one cannot be read (being written, or removed)
 */
export function currentModuleHash(module: LoadedCanisterModule): string | undefined {
  try {
    return hashFiles(module.file, module.files);
  } catch {
    return undefined;
  }
}

/** @returns `file` and the files it loaded, recursively, leaving out packages. */
function moduleFiles(file: string): string[] {
  const found = new Set<string>();
  const visit = (module: NodeJS.Module | undefined) => {
    if (module === undefined || found.has(module.filename) || module.filename.includes('/node_modules/')) return;
    found.add(module.filename);
    for (const child of module.children) visit(child);
  };
  visit(require.cache[file]);
  if (found.size === 0) found.add(file);
  return [...found].sort();
}

function hashFiles(base: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${relative(base, file)}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/**
 * Lets `require` load TypeScript files, compiling each with swc, so canister modules and scripts run
 * from their sources. `@swc/core` is a dependency of this package: it is resolved from here, not
 * from the application, which need not install it.
 * @param forFile - the file that needs it, named in the error when swc cannot be loaded
 * @throws ReplicaError `ICWS_ERR_CANISTER_MODULE` when `@swc/core` cannot be loaded (an install
 *   without its native binary for this platform, say)
 */
export function enableTypeScriptModules(forFile = 'a TypeScript module'): void {
  const hooks = require.extensions as unknown as ModuleHooks;
  if (hooks['.ts'] !== undefined) return;
  let swc: { transformSync(code: string, options: object): { code: string } };
  try {
    swc = require('@swc/core') as typeof swc;
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    throw new ReplicaError(
      'ICWS_ERR_CANISTER_MODULE',
      `${forFile} is TypeScript, and @swc/core, which @icws/replica compiles it with, cannot be loaded (${reason}); reinstall @icws/replica so npm fetches swc's binary for this platform (optional dependencies must not be omitted), or pass the compiled .js file`,
      { cause: err },
    );
  }
  hooks['.ts'] = (module, filename) => {
    const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
      filename,
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    });
    module._compile(code, filename);
  };
}
