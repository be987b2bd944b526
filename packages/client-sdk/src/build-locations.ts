/**
 * How the worker verifier (`bls-worker-spawn.ts`) reaches Node's modules and its Web Worker file.
 * Each build has its own answer, so the ES-module builds replace this module (rollup.config.mjs):
 * there `require` does not exist and the files sit beside the bundle (`import.meta.url`). This
 * version serves the CommonJS build and the sources.
 */

/** @returns Node's `require` for this module's location, or `undefined` outside Node. */
export function nodeRequire(): NodeJS.Require | undefined {
  return typeof require === 'function' && typeof process !== 'undefined' && process.versions?.node !== undefined ? require : undefined;
}

/** @returns a started Web Worker running the verifier (`bls-worker-entry.ts`), or `undefined` where this build has none. */
export function startWebWorker(): Worker | undefined {
  return undefined;
}
