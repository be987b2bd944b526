/**
 * The commands the README shows, as `npm install` links them in a checkout: `npx icws-gateway` and
 * `npx icws-replica` run this repository's programs, not a package of that name from the registry.
 */
import { execFile } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

describe.each([
  ['icws-gateway', 'gateway', '--gateway-address'],
  ['icws-replica', 'replica', '--canister'],
])('npx %s', (command, directory, flag) => {
  it("is linked to this repository's package", () => {
    const target = readlinkSync(join(ROOT, 'node_modules/.bin', command));
    expect(target).toBe(`../@icws/${directory}/bin/${command}.js`);
  });

  it('--help prints the usage and exits 0', async () => {
    const { stdout } = await run('npx', ['--no-install', command, '--help'], { cwd: ROOT });
    expect(stdout).toContain(flag);
  });
});
