/**
 * A fresh clone, as a new user gets it: `git clone`, one `npm install` (which builds the packages
 * through `prepare`), then the README's `npx icws-gateway --help` and `npx icws-replica --help` run
 * this repository's programs: the first install links every command, and npx never fetches a
 * package of that name from the registry.
 *
 * Clones the last commit, so changes not committed are not in it. Slow (one to two minutes): a full
 * `npm install` and build, from npm's cache first.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installEnvironment, INSTALL_FLAGS } from './npm-install';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

describe('a fresh clone after one npm install (git clone, npm install, npx; slow)', () => {
  const work = mkdtempSync(join(tmpdir(), 'icws-clone-'));
  const clone = join(work, 'icws');

  beforeAll(async () => {
    await run('git', ['clone', '--quiet', ROOT, clone]);
    const env = await installEnvironment(join(work, 'prebuilds'));
    await run('npm', ['install', ...INSTALL_FLAGS], { cwd: clone, env, maxBuffer: 64 * 1024 * 1024 });
  }, 300_000);
  // A clone with its node_modules is hundreds of megabytes.
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each([
    ['icws-gateway', 'gateway', '--gateway-address'],
    ['icws-replica', 'replica', '--canister'],
  ])("npx %s --help runs the clone's own program", async (command, directory, flag) => {
    expect(readlinkSync(join(clone, 'node_modules/.bin', command))).toBe(`../@icws/${directory}/bin/${command}.js`);
    const { stdout } = await run('npx', [command, '--help'], { cwd: clone });
    expect(stdout).toMatch(new RegExp(`^Usage: ${command} `));
    expect(stdout).toContain(flag);
  });
});
