/**
 * Every shell command the READMEs show (the ```sh / ```bash blocks of README.md and
 * packages/<name>/README.md) works as written in a fresh clone after its first `npm install`. They
 * run in the checkout's root, where the paths they name (`examples/…`) are. Each is checked in a way
 * that can fail, or listed in NOT_RUN with the reason it cannot be; a command that is neither fails
 * "is checked or listed", so a new one gets a check here.
 *
 * - `npx icws-replica …` and `npx icws-gateway …` (also written `npx @icws/gateway …` or
 *   `npx -p … icws-gateway …`) run as written, through npx with npm offline (a command that would
 *   fetch a package fails rather than download it), each in a scratch copy of the checkout
 *   (test/support/checkout-sandbox.ts: what it writes, `.icws/` or `./data`, stays there), all at
 *   once. What may change so that they can run in parallel, and nothing else:
 *   - a port becomes 0 (a free one): the one of `--listen`, `--admin-listen`, `--gateway-address`
 *     and `--prometheus-endpoint`; without the flag, the default's port (the replica gets
 *     `--listen 127.0.0.1:0`, the gateway `GATEWAY_ADDRESS` / `PROMETHEUS_ENDPOINT` with the default
 *     host and port 0);
 *   - the local replica a gateway is pointed at (`--ic-network-url`, or its default) is one this
 *     test runs, on a free port: its port is replaced; with `--dev` that port is 0;
 *   - an absolute `--state-dir` or `--data-dir` becomes a temporary directory (a relative one is
 *     in the scratch copy already).
 *   A replica or gateway must print `canister NAME ID` for each canister it names (`--canister
 *   NAME=…`; with `--dev`, the example canisters) and its "listening" line, and every `# …` line
 *   the README shows under the command (addresses compared without their port); then the replica
 *   must answer `/api/v2/status`, a gateway `/ready`, with 200, and SIGTERM to the command's process
 *   group must end every process of it.
 * - `--print-candid` must exit 0 printing a Candid `service` (written where a `> FILE` says);
 *   `--help` must exit 0 printing the usage; `npx @icp-sdk/bindgen` runs after the command of its
 *   block that writes its `--did-file`, and must write TypeScript into its `--out-dir`.
 * - `npm start`, `npm test`, `npm run X`: the package.json it runs in (the root's, or that of its
 *   `--workspace`) must have the script, and the files the script names must exist.
 *   (test/examples/demo-page.test.ts runs `npm start`'s script.)
 * - `node PATH`: PATH must be a file.
 * - Every word of any command that names a file (a path with an extension) must exist in the
 *   checkout, unless an earlier command of its block writes it.
 *
 * Commands that need the network or a browser (installs from the npm registry, a gateway for the
 * IC mainnet; icp-cli or nginx, should a README show them) go in NOT_RUN with the reason; they show
 * as skipped tests, and a mainnet gateway's flags are still read by the gateway's own parser.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, posix } from 'node:path';
import { DEV_CANISTERS, startReplica, type RunningReplica } from '@icws/replica';
import { DEFAULT_CONFIG, parseCommandLine, usage } from '../../packages/gateway/src/config';
import { createCheckoutSandbox } from '../support/checkout-sandbox';
import { CommandProcess } from '../support/command-process';
import { shellCommands, type ShellCommand } from '../support/shell-commands';

const ROOT = join(__dirname, '../..');
const READMES = ['README.md', ...readdirSync(join(ROOT, 'packages')).map((name) => `packages/${name}/README.md`).filter((path) => existsSync(join(ROOT, path)))];

/** Commands this test does not run, as the READMEs write them, with why. */
const NOT_RUN: Readonly<Record<string, { readonly reason: string; readonly instead?: 'gateway flags' }>> = {
  'npm install': { reason: 'installs from the npm registry (network); the other commands are checked as they work after it' },
  'npm install @icws/backend-cdk': { reason: 'installs the published package from the npm registry (network)' },
  'npm install @icws/client-sdk @icp-sdk/core': { reason: 'installs the published packages from the npm registry (network)' },
  'npm install @icws/gateway': { reason: 'installs the published package from the npm registry (network)' },
  'npm install @icws/protocol': { reason: 'installs the published package from the npm registry (network)' },
  'npm install --save-dev @icws/replica @icws/backend-cdk': { reason: 'installs the published packages from the npm registry (network)' },
  'npx icws-gateway --ic-network-url https://icp-api.io --gateway-address 0.0.0.0:8080': {
    reason: 'a gateway for the IC mainnet talks to icp-api.io (network)',
    instead: 'gateway flags',
  },
  'npx @icws/gateway --ic-network-url https://icp-api.io': {
    reason: 'a gateway for the IC mainnet talks to icp-api.io (network)',
    instead: 'gateway flags',
  },
};

/** The programs npx runs that this test knows how to check. */
type Program = 'icws-replica' | 'icws-gateway' | 'icp-bindgen';
const PROGRAMS: readonly string[] = ['icws-replica', 'icws-gateway', 'icp-bindgen'];

/** Flags whose value is written, not read. */
const OUTPUT_FLAGS = new Set(['--out-dir', '--state-dir', '--data-dir']);

type Check =
  | { readonly kind: 'not run'; readonly reason: string; readonly instead?: 'gateway flags' }
  | { readonly kind: 'npm script'; readonly script: string; readonly packageDir: string }
  | { readonly kind: 'node'; readonly path: string }
  | { readonly kind: 'run'; readonly program: Program; readonly at: number }
  | { readonly kind: 'unknown'; readonly why: string };

interface Classified {
  readonly command: ShellCommand;
  readonly check: Check;
}

/** Commands run one after the other in one scratch checkout: a command and those reading what it writes. */
interface Unit {
  readonly runs: Array<Classified & { readonly check: Extract<Check, { kind: 'run' }> }>;
  readonly where: string[];
}

const commands = READMES.flatMap((path) => shellCommands(readFileSync(join(ROOT, path), 'utf8'), path));
const classified: Classified[] = commands.map((command) => ({ command, check: classify(command) }));
const units = runUnits(classified);

describe('shellCommands', () => {
  const markdown = [
    'Some text.',
    '```sh',
    "FOO=1 npx tool --a 'x y' \\",
    '  --b "q\\"z"   # what it is for',
    '# first output line',
    '# second output line',
    '',
    'npm install && npm start',
    'tool x > out.txt',
    '```',
    '```ts',
    'const notShell = 1;',
    '```',
  ].join('\n');

  it('joins continuation lines, drops trailing comments, and keeps the # lines under a command as its output', () => {
    const [first] = shellCommands(markdown, 'doc.md');
    expect(first).toEqual({
      file: 'doc.md',
      line: 3,
      block: 0,
      env: { FOO: '1' },
      argv: ['npx', 'tool', '--a', 'x y', '--b', 'q"z'],
      stdout: undefined,
      output: ['first output line', 'second output line'],
      text: "FOO=1 npx tool --a 'x y' --b 'q\"z'",
    });
  });

  it('splits && lists, reads > FILE, and skips blocks that are not shell', () => {
    expect(shellCommands(markdown, 'doc.md').slice(1).map(({ argv, stdout, line }) => ({ argv, stdout, line }))).toEqual([
      { argv: ['npm', 'install'], stdout: undefined, line: 8 },
      { argv: ['npm', 'start'], stdout: undefined, line: 8 },
      { argv: ['tool', 'x'], stdout: 'out.txt', line: 9 },
    ]);
  });

  it('refuses shell syntax it does not read, naming the line', () => {
    expect(() => shellCommands('```bash\n\na | b\n```', 'doc.md')).toThrow(/doc\.md:3: `\|` is shell syntax/);
    expect(() => shellCommands('```sh\necho $HOME\n```', 'doc.md')).toThrow(/doc\.md:2: `\$`/);
  });
});

describe('README shell commands', () => {
  let replica: Promise<RunningReplica> | undefined;
  /** The local replica gateways are pointed at, started by the first gateway that needs it. */
  const localReplica = () => (replica ??= startReplica({ port: 0, log: () => undefined }));
  afterAll(async () => {
    if (replica !== undefined) await (await replica).close();
  });

  it('reads every shell block of every README', () => {
    const blocksRead = Object.fromEntries(READMES.map((path) => [path, new Set(commands.filter((c) => c.file === path).map((c) => c.block)).size]));
    const blocksShown = Object.fromEntries(READMES.map((path) => [path, (readFileSync(join(ROOT, path), 'utf8').match(/^\s*```(sh|bash|shell|zsh)\s*$/gm) ?? []).length]));
    expect(blocksRead).toEqual(blocksShown);
    expect(commands.length).toBeGreaterThan(0);
  });

  it('checks or lists every command', () => {
    const neither = classified.flatMap(({ command, check }) => (check.kind === 'unknown' ? [`${where(command)} ${command.text}: ${check.why}`] : []));
    expect(neither).toEqual([]);
  });

  it('lists nothing in NOT_RUN that no README shows', () => {
    const shown = new Set(commands.map((command) => command.text));
    expect(Object.keys(NOT_RUN).filter((text) => !shown.has(text))).toEqual([]);
  });

  it('names only files that exist, or that an earlier command of its block writes', () => {
    const missing: string[] = [];
    for (const [index, command] of commands.entries()) {
      const earlier = commands.slice(0, index).filter((other) => other.file === command.file && other.block === command.block);
      for (const file of fileWords(command).reads) {
        if (!existsSync(join(ROOT, file)) && !earlier.some((other) => writes(other, file))) missing.push(`${where(command)} ${file}`);
      }
    }
    expect(missing).toEqual([]);
  });

  for (const { command, check } of classified) {
    const name = `${command.text} (${where(command)})`;
    if (check.kind === 'not run' && check.instead === undefined) {
      it.skip(`${name} is not run: ${check.reason}`, () => undefined);
    } else if (check.kind === 'not run') {
      it(`${name} has flags the gateway takes (not started: ${check.reason})`, () => {
        const npx = npxProgram(command.argv);
        if (typeof npx === 'string' || npx.program !== 'icws-gateway') throw new Error(`${command.text}: not an icws-gateway command`);
        expect(parseCommandLine(command.argv.slice(npx.at + 1), {}).help).toBe(false);
      });
    } else if (check.kind === 'npm script') {
      it(`${name} names a script of its package.json`, () => {
        const scripts = (JSON.parse(readFileSync(join(check.packageDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
        expect(Object.keys(scripts)).toContain(check.script);
        const named = scripts[check.script]!.split(/\s+/).filter(looksLikeFile);
        expect(named.filter((file) => !existsSync(join(check.packageDir, file)))).toEqual([]);
      });
    } else if (check.kind === 'node') {
      it(`${name} runs a file that exists`, () => {
        expect(existsSync(join(ROOT, check.path)) && statSync(join(ROOT, check.path)).isFile()).toBe(true);
      });
    }
  }

  for (const unit of units) {
    const name = `${unit.runs.map((run) => run.command.text).join(' → ')} (${unit.where.join(', ')})`;
    it.concurrent(`${name} works as written`, async () => {
      const sandbox = createCheckoutSandbox(ROOT);
      try {
        for (const run of unit.runs) await runCommand(run.command, run.check, sandbox.dir, localReplica);
      } finally {
        sandbox.remove();
      }
    }, 60_000);
  }
});

async function runCommand(command: ShellCommand, check: Extract<Check, { kind: 'run' }>, cwd: string, localReplica: () => Promise<RunningReplica>): Promise<void> {
  const head = command.argv.slice(0, check.at + 1);
  const args = [...command.argv.slice(check.at + 1)];
  if (args.includes('--help') || args.includes('-h')) {
    const help = new CommandProcess([...head, ...args], { cwd, env: childEnv(command) });
    expect(await help.exited()).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: ${check.program}`));
    return;
  }
  if (check.program === 'icws-replica' && !args.some((arg) => arg.startsWith('--print-candid'))) return runReplica(command, head, args, cwd);
  if (check.program === 'icws-gateway') return runGateway(command, head, args, cwd, localReplica);
  const run = new CommandProcess([...head, ...args], { cwd, env: childEnv(command) });
  const code = await run.exited();
  if (code !== 0) throw new Error(`exited with ${code}\n${run.describe()}`);
  if (command.stdout !== undefined) writeFileSync(join(cwd, command.stdout), run.stdout);
  if (check.program === 'icws-replica') expect(run.stdout).toMatch(/^service\s*:/m);
  if (check.program === 'icp-bindgen') {
    const outDir = valueOf(args, '--out-dir');
    if (outDir === undefined) return;
    expect((readdirSync(join(cwd, outDir), { recursive: true }) as string[]).filter((file) => file.endsWith('.ts'))).not.toEqual([]);
  }
}

async function runReplica(command: ShellCommand, head: string[], args: string[], cwd: string): Promise<void> {
  if (!replaceValue(args, '--listen', zeroPort)) args.push('--listen', '127.0.0.1:0');
  replaceValue(args, '--admin-listen', zeroPort);
  replaceValue(args, '--state-dir', scratchIfAbsolute);
  const replica = new CommandProcess([...head, ...args], { cwd, env: childEnv(command) });
  try {
    const [, url] = await replica.waitForLine(/^replica listening on (http:\/\/\S+)$/, 'the replica listening');
    expectCanisters(replica, valuesOf(args, '--canister').map((spec) => spec.split('=')[0]!));
    expectDocumentedOutput(replica, command);
    expect((await fetch(new URL('/api/v2/status', url))).status).toBe(200);
  } finally {
    await replica.stop();
  }
}

async function runGateway(command: ShellCommand, head: string[], args: string[], cwd: string, localReplica: () => Promise<RunningReplica>): Promise<void> {
  const dev = args.includes('--dev');
  const env: Record<string, string> = {};
  if (!replaceValue(args, '--gateway-address', zeroPort)) env.GATEWAY_ADDRESS = zeroPort(DEFAULT_CONFIG.gatewayAddress);
  if (!replaceValue(args, '--prometheus-endpoint', (value) => (value === 'off' ? value : zeroPort(value)))) {
    env.PROMETHEUS_ENDPOINT = zeroPort(DEFAULT_CONFIG.prometheusEndpoint!);
  }
  const network = new URL(valueOf(args, '--ic-network-url') ?? DEFAULT_CONFIG.icNetworkUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(network.hostname)) {
    throw new Error(`${command.text}: a gateway for ${network.origin} needs the network; list it in NOT_RUN with the reason`);
  }
  network.port = dev ? '0' : (await localReplica()).url.port;
  if (!replaceValue(args, '--ic-network-url', () => network.origin)) env.IC_NETWORK_URL = network.origin;
  replaceValue(args, '--data-dir', scratchIfAbsolute);
  const gateway = new CommandProcess([...head, ...args], { cwd, env: childEnv(command, env) });
  try {
    const [, url] = await gateway.waitForLine(/^gateway listening on (wss?:\/\/\S+)$/, 'the gateway listening');
    if (dev) {
      await gateway.waitForLine(/^replica listening on http:\/\/\S+$/, 'the embedded replica listening');
      expectCanisters(gateway, DEV_CANISTERS.map(([name]) => name));
    }
    expectDocumentedOutput(gateway, command);
    await expectReady(new URL(url!).port, gateway);
  } finally {
    await gateway.stop();
  }
}

function expectCanisters(run: CommandProcess, names: readonly string[]): void {
  const printed = run.lines.flatMap((line) => /^canister (\S+) [a-z0-9]{5}(-[a-z0-9]{1,5})+$/.exec(line)?.[1] ?? []);
  expect(printed.sort()).toEqual([...names].sort());
}

/** The `# …` lines the README shows under the command are among what it printed, in that order. */
function expectDocumentedOutput(run: CommandProcess, command: ShellCommand): void {
  const withoutPorts = (line: string) => line.replace(/((?:\d{1,3}\.){3}\d{1,3}|localhost|\[[0-9a-f:]+\]):\d+/g, '$1:PORT');
  const printed = run.lines.map(withoutPorts);
  let from = 0;
  for (const line of command.output.map(withoutPorts)) {
    const at = printed.indexOf(line, from);
    if (at < 0) throw new Error(`${command.file}:${command.line} shows "${line}" under the command, which did not print it\n${run.describe()}`);
    from = at + 1;
  }
}

async function expectReady(port: string, gateway: CommandProcess): Promise<void> {
  let last = 'no answer';
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/ready`);
      if (response.status === 200) return;
      last = `HTTP ${response.status}: ${await response.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the gateway never answered /ready with 200 (last: ${last})\n${gateway.describe()}`);
}

/** The environment of a user's shell: none of npm's script variables, none of the programs' settings. */
function childEnv(command: ShellCommand, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const settings = new Set([...usage().matchAll(/; env (\w+)$/gm)].map((match) => match[1]!));
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') && !name.startsWith('ICWS_') && !settings.has(name));
  return { ...Object.fromEntries(inherited), npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', ...command.env, ...extra };
}

function classify(command: ShellCommand): Check {
  const listed = NOT_RUN[command.text];
  if (listed !== undefined) return { kind: 'not run', ...listed };
  const [program, ...rest] = command.argv;
  if (program === 'npm') return npmScript(rest);
  if (program === 'node') return rest[0] === undefined ? { kind: 'unknown', why: 'node without a file' } : { kind: 'node', path: rest[0] };
  if (program === 'npx') {
    const npx = npxProgram(command.argv);
    if (typeof npx === 'string') return { kind: 'unknown', why: npx };
    if (!PROGRAMS.includes(npx.program)) return { kind: 'unknown', why: `npx runs ${npx.program}, a program this test has no check for` };
    return { kind: 'run', program: npx.program as Program, at: npx.at };
  }
  return { kind: 'unknown', why: `${program} is a program this test has no check for` };
}

function npmScript(args: readonly string[]): Check {
  let packageDir = ROOT;
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const workspace = arg === '-w' || arg === '--workspace' ? args[++i] : /^--workspace=(.+)$/.exec(arg)?.[1];
    if (workspace !== undefined) packageDir = workspaceDir(workspace);
    else if (arg.startsWith('-')) return { kind: 'unknown', why: `npm option ${arg} is not one this test knows` };
    else words.push(arg);
  }
  const [subcommand, name] = words;
  const aliases: Record<string, string> = { start: 'start', stop: 'stop', restart: 'restart', test: 'test', t: 'test' };
  if (subcommand !== undefined && aliases[subcommand] !== undefined) return { kind: 'npm script', script: aliases[subcommand], packageDir };
  if ((subcommand === 'run' || subcommand === 'run-script') && name !== undefined) return { kind: 'npm script', script: name, packageDir };
  return { kind: 'unknown', why: `npm ${subcommand ?? ''} is an npm command this test has no check for` };
}

function workspaceDir(workspace: string): string {
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const dir = workspaces.find((path) => path === workspace || (JSON.parse(readFileSync(join(ROOT, path, 'package.json'), 'utf8')) as { name: string }).name === workspace);
  return dir === undefined ? join(ROOT, workspace) : join(ROOT, dir);
}

/** @returns the program npx runs and the index of the word naming it, or why it cannot tell. */
function npxProgram(argv: readonly string[]): { program: string; at: number } | string {
  let packages = 0;
  let at = 1;
  for (; at < argv.length; at++) {
    const word = argv[at]!;
    if (word === '-p' || word === '--package') {
      packages++;
      at++;
    } else if (word.startsWith('--package=')) packages++;
    else if (word !== '-y' && word !== '--yes') {
      if (word.startsWith('-')) return `npx option ${word} is not one this test knows`;
      break;
    }
  }
  const word = argv[at];
  if (word === undefined) return 'npx without a program';
  return { program: packages > 0 ? word : (binOf(word) ?? word), at };
}

/** @returns the only program of the installed package `spec` (what `npx spec` runs), if it is one. */
function binOf(spec: string): string | undefined {
  const name = spec.replace(/(?!^)@[^/]*$/, '');
  const manifest = join(ROOT, 'node_modules', name, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> };
  if (typeof bin === 'string') return name.split('/').pop();
  const names = Object.keys(bin ?? {});
  return names.length === 1 ? names[0] : undefined;
}

/** Groups each block's commands to run: one that reads what an earlier one writes runs after it. */
function runUnits(all: readonly Classified[]): Unit[] {
  const byKey = new Map<string, Unit>();
  const blocks = new Map<string, Unit[]>();
  for (const entry of all) {
    if (entry.check.kind !== 'run') continue;
    const run = entry as Unit['runs'][number];
    const block = `${entry.command.file}#${entry.command.block}`;
    const inBlock = blocks.get(block) ?? [];
    blocks.set(block, inBlock);
    const producer = inBlock.find((unit) => fileWords(entry.command).reads.some((file) => unit.runs.some((earlier) => writes(earlier.command, file))));
    if (producer !== undefined) producer.runs.push(run);
    else inBlock.push({ runs: [run], where: [] });
  }
  for (const unit of [...blocks.values()].flat()) {
    const key = unit.runs.map(({ command }) => [command.text, ...command.output].join('\n')).join('\n\n');
    const same = byKey.get(key) ?? { runs: unit.runs, where: [] };
    same.where.push(where(unit.runs[0]!.command));
    byKey.set(key, same);
  }
  return [...byKey.values()];
}


/** @returns the files a command's words name (reads) and the files and folders it writes. */
function fileWords(command: ShellCommand): { reads: string[]; writes: string[] } {
  const reads: string[] = [];
  const written: string[] = command.stdout === undefined ? [] : [command.stdout];
  for (let i = 1; i < command.argv.length; i++) {
    const word = command.argv[i]!;
    const flag = /^(--[\w-]+)=(.*)$/.exec(word);
    if (OUTPUT_FLAGS.has(word)) {
      written.push(command.argv[++i] ?? '');
      continue;
    }
    if (flag && OUTPUT_FLAGS.has(flag[1]!)) {
      written.push(flag[2]!);
      continue;
    }
    // NAME=PATH[@ID] (`--canister`) names PATH.
    const value = flag?.[2] ?? /^[A-Za-z_][\w-]*=(.*)$/.exec(word)?.[1]?.replace(/@[a-z0-9-]+$/, '') ?? word;
    if (looksLikeFile(value)) reads.push(value);
  }
  return { reads, writes: written };
}

function writes(command: ShellCommand, file: string): boolean {
  const target = posix.normalize(file);
  return fileWords(command).writes.some((written) => target === posix.normalize(written) || target.startsWith(`${posix.normalize(written)}/`));
}

/** A path with an extension: `examples/counter/canister.ts`, `ping_pong.did`; not a URL, a flag or a package. */
function looksLikeFile(word: string): boolean {
  if (/\s|:\/\/|^[-@]/.test(word) || !/\.[A-Za-z][\w]{0,7}$/.test(word)) return false;
  return word.includes('/') || /\.(ts|js|mjs|cjs|json|did|pem|conf|sh)$/.test(word);
}

function valueOf(args: readonly string[], flag: string): string | undefined {
  return valuesOf(args, flag)[0];
}

function valuesOf(args: readonly string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag && args[i + 1] !== undefined ? [args[i + 1]!] : arg.startsWith(`${flag}=`) ? [arg.slice(flag.length + 1)] : []));
}

/** Replaces the value of `flag` in `args` with `replace(value)`; @returns whether the flag is there. */
function replaceValue(args: string[], flag: string, replace: (value: string) => string): boolean {
  const at = args.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
  if (at < 0) return false;
  if (args[at] === flag) args[at + 1] = replace(args[at + 1] ?? '');
  else args[at] = `${flag}=${replace(args[at]!.slice(flag.length + 1))}`;
  return true;
}

function zeroPort(address: string): string {
  return address.replace(/:\d+$/, ':0');
}

function scratchIfAbsolute(dir: string): string {
  return isAbsolute(dir) ? mkdtempSync(join(tmpdir(), 'icws-readme-state-')) : dir;
}

function where(command: ShellCommand): string {
  return `${command.file}:${command.line}`;
}
