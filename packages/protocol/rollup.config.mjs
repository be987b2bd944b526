// The ES module build of @icws/protocol and its declarations, next to the CommonJS one tsc writes to
// dist/: one file each, dependencies left as imports, so bundlers and Node's `import` share the
// dependencies' own ESM.
import { readFileSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import swc from '@rollup/plugin-swc';
import dts from 'rollup-plugin-dts';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const dependencies = Object.keys(pkg.dependencies ?? {});
/** Dependencies and their subpaths (e.g. `@noble/hashes/sha2`) stay imports. */
const external = (id) => dependencies.some((dep) => id === dep || id.startsWith(`${dep}/`));

export default [
  {
    input: 'src/index.ts',
    external,
    plugins: [nodeResolve({ extensions: ['.ts', '.js'] }), swc({ swc: { jsc: { target: 'es2022', parser: { syntax: 'typescript' }, keepClassNames: true }, sourceMaps: true } })],
    output: { file: 'dist/index.mjs', format: 'es', sourcemap: true },
  },
  // Its types as ES module declarations: TypeScript reads dist/index.d.ts as CommonJS, so `import`
  // gets types of its own, for the ES build.
  {
    input: 'src/index.ts',
    external,
    plugins: [dts({ tsconfig: new URL('./tsconfig.json', import.meta.url).pathname })],
    output: { file: 'dist/index.d.mts', format: 'es' },
  },
];
