// Builds @icws/client-sdk: ESM and CJS for Node and bundlers (dependencies and the @icp-sdk/core
// peer left external, so an app and the SDK share one Principal, IDL and identity), one
// self-contained ESM bundle for a browser's <script type="module"> (a page without a bundler has
// no copy of @icp-sdk/core to share: the bundle inlines it), and the type declarations.
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

export default [
  {
    input: 'src/index.ts',
    external,
    plugins: [nodeResolve({ extensions: ['.ts', '.js'] }), typescript()],
    output: [
      { file: 'dist/index.mjs', format: 'es', sourcemap: true, banner },
      { file: 'dist/index.cjs', format: 'cjs', sourcemap: true, banner, exports: 'named', interop: 'auto' },
    ],
  },
  {
    input: 'src/index.ts',
    plugins: [
      protocolSource,
      nodeResolve({ browser: true, preferBuiltins: false, extensions: ['.ts', '.mjs', '.js', '.json'] }),
      commonjs(),
      json(),
      typescript(),
    ],
    onwarn(warning, warn) {
      // @icp-sdk/core and cbor-x modules are written as `this`-free ESM; circular imports inside them are harmless
      if (warning.code === 'CIRCULAR_DEPENDENCY' || warning.code === 'THIS_IS_UNDEFINED') return;
      warn(warning);
    },
    output: { file: 'dist/icws-client.browser.js', format: 'es', sourcemap: true, banner },
  },
  {
    input: 'src/index.ts',
    external,
    plugins: [dts({ tsconfig: new URL('./tsconfig.json', import.meta.url).pathname })],
    output: { file: 'dist/index.d.ts', format: 'es' },
  },
];
