/**
 * The built `@icws/protocol` (`npm run build`) as Node loads it: `import` gets the ES module build,
 * `require` the CommonJS one, both with the same named exports and the same behaviour.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as source from '@icws/protocol';

const ROOT = join(__dirname, '../..');

/** @returns what `script` prints to stdout as JSON, run by Node as an ES module from the repository root. */
function runModule(script: string): unknown {
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }));
}

const PROBE = `
  const id = (m) => Buffer.from(m.requestIdOf({ request_type: 'query', sender: Uint8Array.of(4), ingress_expiry: 1n })).toString('hex');
  const names = (m) => Object.keys(m).filter((k) => k !== 'default' && k !== '__esModule').sort();
`;

describe('@icws/protocol package', () => {
  it('resolves import to the ES module build and require to the CommonJS build', () => {
    const resolved = runModule(`
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      console.log(JSON.stringify({ esm: import.meta.resolve('@icws/protocol'), cjs: require.resolve('@icws/protocol') }));
    `) as { esm: string; cjs: string };
    expect(resolved.esm).toMatch(/packages\/protocol\/dist\/index\.mjs$/);
    expect(resolved.cjs).toMatch(/packages\/protocol\/dist\/index\.js$/);
  });

  it('has the named exports of its source in both builds, which compute the same request ids', () => {
    const built = runModule(`
      import { createRequire } from 'node:module';
      ${PROBE}
      const esm = await import('@icws/protocol');
      const cjs = createRequire(import.meta.url)('@icws/protocol');
      console.log(JSON.stringify({ esm: names(esm), cjs: names(cjs), esmId: id(esm), cjsId: id(cjs) }));
    `) as { esm: string[]; cjs: string[]; esmId: string; cjsId: string };
    const expected = Object.keys(source).filter((k) => k !== '__esModule').sort();
    expect(built.esm).toEqual(expected);
    expect(built.cjs).toEqual(expected);
    expect(built.esmId).toBe(built.cjsId);
    expect(built.esmId).toBe(Buffer.from(source.requestIdOf({ request_type: 'query', sender: Uint8Array.of(4), ingress_expiry: 1n })).toString('hex'));
  });
});
