// Builds @icws/client-sdk: ESM and CJS for Node and bundlers (dependencies and the @icp-sdk/core
// peer left external, so an app and the SDK share one Principal, IDL and identity), one
// self-contained ESM bundle for a browser's <script type="module"> (a page without a bundler has
// no copy of @icp-sdk/core to share: the bundle inlines it), the type declarations, and the Web
// Worker that checks certificates with mcl-wasm, in two forms: self-contained beside the browser
// bundle, and importing mcl-wasm for bundlers. The SDK loads the worker (and with it the
// WebAssembly) when the first socket is made, so pages that load the SDK pay for it only once they
// use it.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import commonjs from '@rollup/plugin-commonjs';
import json from '@rollup/plugin-json';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import swc from '@rollup/plugin-swc';
import dts from 'rollup-plugin-dts';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const dependencies = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
/** Dependencies, peer dependencies (and their subpaths) and Node built-ins stay imports. */
const external = (id) => builtins.has(id) || dependencies.some((dep) => id === dep || id.startsWith(`${dep}/`));

const typescript = () =>
  swc({
    swc: {
      jsc: { target: 'es2022', parser: { syntax: 'typescript' }, keepClassNames: true },
      sourceMaps: true,
    },
  });

const banner = `/*! ${pkg.name} ${pkg.version} | ${pkg.license} */`;

/**
 * The browser bundle takes @icws/protocol from its TypeScript source, so the bundle is compiled in
 * one pass with this package and never picks the protocol's CommonJS build, whose `require`s of
 * @icp-sdk/core's subpaths would bundle second copies of them.
 */
const protocolSource = {
  name: 'icws-protocol-source',
  resolveId(id) {
    return id === '@icws/protocol' ? fileURLToPath(new URL('../protocol/src/index.ts', import.meta.url)) : null;
  },
};

/**
 * `src/build-locations.ts` tells the worker verifier how to reach Node's `require` and the Web
 * Worker file. Its source serves the CommonJS build; the ES-module builds have no `require` and
 * find their files through `import.meta.url`, so they get the module below instead. The
 * `new Worker(new URL('./file', import.meta.url))` form is the one bundlers (webpack 5, Vite,
 * Parcel) recognise and bundle as a worker.
 */
const buildLocations = (workerFile) => ({
  name: 'icws-build-locations',
  resolveId(id, importer) {
    return id === './build-locations' && importer?.endsWith('bls-worker-spawn.ts') ? '\0icws-build-locations' : null;
  },
  load(id) {
    if (id !== '\0icws-build-locations') return null;
    return `
export function nodeRequire() {
  const process = globalThis.process;
  if (process?.versions?.node === undefined) return undefined;
  return process.getBuiltinModule?.('node:module')?.createRequire(import.meta.url);
}
export function startWebWorker() {
  if (typeof Worker !== 'function' || globalThis.process?.versions?.node !== undefined) return undefined;
  return new Worker(new URL(${JSON.stringify(`./${workerFile}`)}, import.meta.url), { type: 'module' });
}
`;
  },
});

const silenceBundledWarnings = (warning, warn) => {
  // @icp-sdk/core and cbor-x modules are written as `this`-free ESM; circular imports inside them are harmless
  if (warning.code === 'CIRCULAR_DEPENDENCY' || warning.code === 'THIS_IS_UNDEFINED') return;
  warn(warning);
};

const browserPlugins = () => [
  protocolSource,
  nodeResolve({ browser: true, preferBuiltins: false, extensions: ['.ts', '.mjs', '.js', '.json'] }),
  commonjs(),
  json(),
  typescript(),
];

export default [
  // Node and bundlers: ES module
  {
    input: 'src/index.ts',
    external,
    plugins: [buildLocations('icws-bls-worker.mjs'), nodeResolve({ extensions: ['.ts', '.js'] }), typescript()],
    output: { file: 'dist/index.mjs', format: 'es', sourcemap: true, banner, inlineDynamicImports: true },
  },
  // Node: CommonJS
  {
    input: 'src/index.ts',
    external,
    plugins: [nodeResolve({ extensions: ['.ts', '.js'] }), typescript()],
    output: { file: 'dist/index.cjs', format: 'cjs', sourcemap: true, banner, exports: 'named', interop: 'auto', inlineDynamicImports: true },
  },
  // The verifier's worker for bundlers, which bundle mcl-wasm into it
  {
    input: 'src/bls-worker-entry.ts',
    external,
    plugins: [nodeResolve({ extensions: ['.ts', '.js'] }), typescript()],
    output: { file: 'dist/icws-bls-worker.mjs', format: 'es', sourcemap: true, banner },
  },
  // A page without a bundler: the SDK, and mcl-wasm in a chunk it imports only to check on the page itself
  {
    input: { 'icws-client.browser': 'src/index.ts' },
    plugins: [buildLocations('icws-bls-worker.js'), ...browserPlugins()],
    onwarn: silenceBundledWarnings,
    output: {
      dir: 'dist',
      entryFileNames: '[name].js',
      chunkFileNames: 'browser/[name]-[hash].js',
      manualChunks: (id) => (id.includes('/node_modules/mcl-wasm/') ? 'mcl-wasm' : undefined),
      format: 'es',
      sourcemap: true,
      banner,
    },
  },
  // ... and its worker, mcl-wasm included
  {
    input: 'src/bls-worker-entry.ts',
    plugins: browserPlugins(),
    onwarn: silenceBundledWarnings,
    output: { file: 'dist/icws-bls-worker.js', format: 'es', sourcemap: true, banner },
  },
  // Types, for `import` (the package is ESM) and `require`
  {
    input: 'src/index.ts',
    external,
    plugins: [dts({ tsconfig: new URL('./tsconfig.json', import.meta.url).pathname })],
    output: [
      { file: 'dist/index.d.ts', format: 'es' },
      { file: 'dist/index.d.cts', format: 'es' },
    ],
  },
];
