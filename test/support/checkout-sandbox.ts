/**
 * A scratch copy of the checkout for running documented commands as written: a temporary directory
 * whose entries are symbolic links to the checkout's tracked top-level entries and its
 * `node_modules`. Commands see the checkout's files at the paths the READMEs give, while what they
 * write at the top level (`.icws/`, `./data`, `> file`, `--out-dir src/…`) lands in the scratch
 * directory, so several can run at once and the checkout stays as it was.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What commands write at the top level of a checkout: never linked, so never written through. */
const STATE_ENTRIES = new Set(['.git', '.icws', 'data', 'coverage']);

/** A scratch copy of a checkout. */
export interface CheckoutSandbox {
  readonly dir: string;
  /** Removes the directory; the links go, what they point at stays. */
  remove(): void;
}

/** @returns a new scratch copy of the checkout at `root`. */
export function createCheckoutSandbox(root: string): CheckoutSandbox {
  const dir = mkdtempSync(join(tmpdir(), 'icws-checkout-'));
  for (const entry of topLevelEntries(root)) symlinkSync(join(root, entry), join(dir, entry));
  // fs.rmSync does not follow symbolic links: only the links are removed.
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function topLevelEntries(root: string): string[] {
  let tracked: string[];
  try {
    tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\0')
      .filter((path) => path !== '')
      .map((path) => path.split('/')[0]!);
  } catch {
    // Not a git checkout (an unpacked archive, say): everything but the state commands write.
    tracked = readdirSync(root);
  }
  return [...new Set([...tracked, 'node_modules'])].filter((entry) => !STATE_ENTRIES.has(entry));
}
