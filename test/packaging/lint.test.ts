/**
 * What a package registry and a type checker make of each package: `publint` (its package.json
 * against the files `npm pack` ships) and `attw --pack` (are the TypeScript types right for
 * `require` and `import`, for Node 10 and 16 resolution and for bundlers) report nothing, not even
 * a suggestion.
 *
 * Slow (about 30 s): packs every package twice, once per tool.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

const PACKAGES = ['protocol', 'backend-cdk', 'replica', 'gateway', 'client-sdk'] as const;

/** @returns publint's messages (errors, warnings and suggestions alike), one line each. */
async function publintMessages(directory: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'node_modules/publint/src/cli.js'), '--level', 'suggestion', directory], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }).catch(
    (err: { stdout: string }) => ({ stdout: err.stdout }),
  );
  if (stdout.includes('All good!')) return [];
  const messages = stdout.split('\n').flatMap((line) => /^\d+\. (.*)$/.exec(line)?.[1] ?? []);
  // Output in another shape than a list or "All good!" is a problem too: it is shown as is.
  return messages.length > 0 ? messages : [stdout];
}

interface AttwProblem {
  readonly kind: string;
  readonly entrypoint?: string;
  readonly typesFileName?: string;
  readonly fileName?: string;
}

/** @returns attw's problems as `KIND entrypoint-or-file`, once each. */
async function attwProblems(directory: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js'), '--pack', directory, '--format', 'json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).catch(
    (err: { stdout: string }) => ({ stdout: err.stdout }),
  );
  const { analysis } = JSON.parse(stdout) as { analysis: { problems?: AttwProblem[] } };
  const where = (problem: AttwProblem) =>
    problem.entrypoint ?? (problem.kind === 'FalseCJS' ? '.' : (problem.fileName ?? problem.typesFileName ?? '').replace(/^\/node_modules\/@icws\/[^/]+\//, ''));
  return [...new Set((analysis.problems ?? []).map((problem) => `${problem.kind} ${where(problem)}`))];
}

// The tools mostly wait on npm pack: all of them run at once.
const reports = new Map<string, Promise<{ publint: string[]; attw: string[] }>>();
beforeAll(() => {
  for (const name of PACKAGES) {
    const directory = join(ROOT, 'packages', name);
    const report = Promise.all([publintMessages(directory), attwProblems(directory)]).then(([publint, attw]) => ({ publint, attw }));
    // Each test awaits its report; one that fails must not be an unhandled rejection meanwhile.
    report.catch(() => undefined);
    reports.set(name, report);
  }
});

describe.each(PACKAGES)('@icws/%s as packed (publint, attw --pack; slow)', (name) => {
  it('publint reports no error, warning or suggestion', async () => {
    const { publint } = await reports.get(name)!;
    expect(publint).toEqual([]);
  }, 120_000);

  it('attw reports no problem for require, import, node10, node16 and bundlers', async () => {
    const { attw } = await reports.get(name)!;
    expect(attw).toEqual([]);
  }, 120_000);
});
