/**
 * What the packaging tests need to run `npm install` in a new folder quickly and without a network
 * beyond the npm registry: npm's cache first (`--prefer-offline`), and better-sqlite3's native
 * addon served as a local prebuild. better-sqlite3 downloads its prebuilt addon from GitHub at
 * install, or compiles it for minutes when it cannot; the addon this checkout built is packed the
 * way its releases are, so its install script finds it as it would find a download.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

/** @returns the environment for `npm install`, with a local prebuild of better-sqlite3 in `dir` when this checkout has one. */
export async function installEnvironment(dir: string): Promise<NodeJS.ProcessEnv> {
  const addon = join(ROOT, 'node_modules/better-sqlite3');
  if (!existsSync(join(addon, 'build/Release/better_sqlite3.node'))) return { ...process.env };
  const { version } = JSON.parse(readFileSync(join(addon, 'package.json'), 'utf8')) as { version: string };
  // The file name prebuild-install looks for: name, version, runtime, ABI, platform and architecture.
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(dir, { recursive: true });
  await run('tar', ['-czf', join(dir, name), 'build/Release/better_sqlite3.node'], { cwd: addon });
  return { ...process.env, npm_config_better_sqlite3_local_prebuilds: dir };
}

/** The flags every packaging install uses: the cache first, no audit or funding requests. */
export const INSTALL_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'] as const;
