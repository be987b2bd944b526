/**
 * The packages as a user gets them: every workspace package packed with `npm pack`, the tarballs
 * installed into a new project (nothing else of this repository in reach), the README's backend
 * snippet run unchanged as a TypeScript canister under `npx icws-replica`, and an ES module and a
 * CommonJS client playing ping-pong with it through `npx icws-gateway`. The installed types check
 * the snippet and a TypeScript client, resolved as Node 16+ resolves them.
 *
 * Slow (about a minute): packs five packages and runs `npm install` (from npm's cache first).
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import ts from 'typescript';
import { installEnvironment, INSTALL_FLAGS } from './npm-install';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

/** The first TypeScript block after `heading` in the README. */
function readmeSnippet(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match === null) throw new Error(`no ts block after ${heading} in README.md`);
  return match[1];
}

/** A client of the canister, as an application without a bundler writes it; `kind` picks the module system. */
function clientSource(kind: 'esm' | 'cjs'): string {
  const imports =
    kind === 'esm'
      ? `import { createWsConfig, generateRandomIdentity, IcWebSocket } from '@icws/client-sdk';
import { IDL } from '@icp-sdk/core/candid';
import { wsServiceIdl } from '@icws/protocol';`
      : `const { createWsConfig, generateRandomIdentity, IcWebSocket } = require('@icws/client-sdk');
const { IDL } = require('@icp-sdk/core/candid');
const { wsServiceIdl } = require('@icws/protocol');`;
  return `${imports}

const [gatewayUrl, canisterId, networkUrl] = process.argv.slice(2);
const AppMessage = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64 });
const ws = new IcWebSocket(gatewayUrl, undefined, createWsConfig({ canisterId, idlFactory: wsServiceIdl(AppMessage), identity: generateRandomIdentity(), networkUrl }));
const texts = [];
ws.onmessage = (event) => {
  texts.push(event.data.text);
  if (texts.length === 1) ws.send({ text: 'hello from ${kind}', timestamp: 0n });
  else ws.close();
};
ws.onerror = (event) => console.error(event.error?.message);
ws.onclose = () => console.log(JSON.stringify(texts));
`;
}

/** A TypeScript client, to type-check against the installed declarations. */
const TYPED_CLIENT = `import { createWsConfig, generateRandomIdentity, IcWebSocket, type WsCanisterService } from '@icws/client-sdk';
import { IDL } from '@icp-sdk/core/candid';
import { wsServiceIdl } from '@icws/protocol';

interface AppMessage { text: string; timestamp: bigint }
const AppMessage = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64 });
export const ws = new IcWebSocket<WsCanisterService<AppMessage>>('ws://127.0.0.1:8080', undefined, createWsConfig({ canisterId: 'bkyz2-fmaaa-aaaaa-qaaaq-cai', idlFactory: wsServiceIdl(AppMessage), identity: generateRandomIdentity(), networkUrl: 'http://127.0.0.1:4943' }));
ws.send({ text: 'hello', timestamp: 0n });
// @ts-expect-error a message of another shape
ws.send({ body: 'hello' });
`;

/** Starts `npx <command> ...args` in `cwd` as a process group; @returns it once a line matches `ready`, with that match. */
function startCommand(cwd: string, command: string, args: string[], ready: RegExp): Promise<{ child: ChildProcessWithoutNullStreams; match: RegExpExecArray; lines: string[] }> {
  // Its own process group: npx does not pass a signal on to the program it started.
  const child = spawn('npx', ['--no-install', command, ...args], { cwd, detached: true });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const match = ready.exec(line);
      if (match !== null) resolve({ child, match, lines });
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${stderr}`)));
  });
}

function stop(child: ChildProcessWithoutNullStreams | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    process.kill(-child.pid!, 'SIGTERM');
  });
}

describe('the packed packages in a new project (npm pack, npm install of the tarballs, npx icws-replica, npx icws-gateway; slow)', () => {
  const work = mkdtempSync(join(tmpdir(), 'icws-packed-'));
  const app = join(work, 'app');
  let replica: Awaited<ReturnType<typeof startCommand>> | undefined;
  let gateway: Awaited<ReturnType<typeof startCommand>> | undefined;
  let canisterId: string;
  let replicaUrl: string;
  let gatewayUrl: string;

  beforeAll(async () => {
    const { stdout } = await run('npm', ['pack', '--workspaces', '--ignore-scripts', '--pack-destination', work, '--json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    const tarballs = (JSON.parse(stdout) as Array<{ filename: string }>).map(({ filename }) => join(work, filename));
    await run('mkdir', [app]);
    // An ES module project, as TypeScript under Node 16+ resolution needs: @icp-sdk/core declares its
    // types as ES modules only, which a CommonJS file cannot import.
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'icws-packaging-check', version: '0.0.0', private: true, type: 'module' }, null, 2)}\n`);
    const env = await installEnvironment(join(work, 'prebuilds'));
    await run('npm', ['install', ...tarballs, '@icp-sdk/core@^6.1.0', ...INSTALL_FLAGS], { cwd: app, env, maxBuffer: 64 * 1024 * 1024 });
    writeFileSync(join(app, 'ping-pong.ts'), readmeSnippet('### In a backend: `@icws/backend-cdk`'));
  }, 240_000);

  afterAll(async () => {
    await stop(gateway?.child);
    await stop(replica?.child);
    rmSync(work, { recursive: true, force: true });
  });

  it('runs the README backend snippet unchanged as a TypeScript canister under npx icws-replica', async () => {
    replica = await startCommand(app, 'icws-replica', ['--listen', '127.0.0.1:0', '--canister', 'ping_pong=./ping-pong.ts'], /^replica listening on (http:\/\/\S+)$/);
    replicaUrl = replica.match[1];
    canisterId = /^canister ping_pong (\S+)$/.exec(replica.lines.find((line) => line.startsWith('canister ping_pong ')) ?? '')![1];
    gateway = await startCommand(app, 'icws-gateway', ['--gateway-address', '127.0.0.1:0', '--ic-network-url', replicaUrl, '--prometheus-endpoint', 'off', '--data-dir', './gateway-data', '--log-level', 'warn'], /^gateway listening on (\S+)$/);
    gatewayUrl = gateway.match[1];
    expect(canisterId).toMatch(/^[a-z0-9-]+-cai$/);
  }, 60_000);

  it.each([
    ['an ES module', 'client.mjs', 'esm'],
    ['a CommonJS', 'client.cjs', 'cjs'],
  ] as const)('%s client plays ping-pong with it through npx icws-gateway', async (_kind, file, kind) => {
    writeFileSync(join(app, file), clientSource(kind));
    const { stdout } = await run(process.execPath, [file, gatewayUrl, canisterId, replicaUrl], { cwd: app, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual(['ping', `hello from ${kind} ping`]);
  }, 60_000);

  it("checks the snippet and a TypeScript client with the installed packages' types (node16 resolution, ES modules)", () => {
    writeFileSync(join(app, 'typed-client.ts'), TYPED_CLIENT);
    const program = ts.createProgram([join(app, 'ping-pong.ts'), join(app, 'typed-client.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      skipLibCheck: true,
      types: [],
      typeRoots: [],
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(errors).toEqual([]);
    // Every package the two files import came from the project's own node_modules, none from this checkout.
    const icws = program.getSourceFiles().map((file) => file.fileName).filter((name) => name.includes('/@icws/'));
    expect(icws.length).toBeGreaterThan(0);
    expect(icws.filter((name) => !name.startsWith(join(app, 'node_modules')))).toEqual([]);
  });
});
