/**
 * What each package ships, as `npm pack` packs it: a canister author installs the kit without the
 * replica's crypto and servers, the replica brings its CLI and the example canisters `--dev` runs,
 * and an operator's gateway install pulls neither the replica nor the kit.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../..');

interface Packed {
  readonly name: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

let packed: Map<string, Packed>;

beforeAll(async () => {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--workspaces', '--ignore-scripts'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  packed = new Map((JSON.parse(stdout) as Packed[]).map((entry) => [entry.name, entry]));
}, 60_000);

function manifest(directory: string): { dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>; bin?: Record<string, string> } {
  return JSON.parse(readFileSync(join(ROOT, 'packages', directory, 'package.json'), 'utf8'));
}

function files(name: string): string[] {
  const entry = packed.get(name);
  if (entry === undefined) throw new Error(`npm pack did not pack ${name}`);
  return entry.files.map((file) => file.path);
}

describe('@icws/backend-cdk', () => {
  it('depends on no BLS library, worker pool, WebSocket server or logger', () => {
    const dependencies = Object.keys(manifest('backend-cdk').dependencies ?? {});
    for (const heavy of ['mcl-wasm', '@noble/curves', 'ws', 'pino', 'cbor-x', '@icws/replica']) expect(dependencies).not.toContain(heavy);
  });

  it('ships no command and no replica code', () => {
    expect(manifest('backend-cdk').bin).toBeUndefined();
    expect(files('@icws/backend-cdk').filter((path) => /replica|http-server|bls/.test(path))).toEqual([]);
  });
});

describe('@icws/replica', () => {
  it('ships icws-replica and the example canisters that --dev installs', () => {
    const { bin } = manifest('replica');
    expect(bin).toEqual({ 'icws-replica': 'bin/icws-replica.js' });
    expect(files('@icws/replica')).toEqual(expect.arrayContaining(['bin/icws-replica.js', 'dist/cli.js', 'dist/examples/ping-pong/canister.js', 'dist/examples/chat/canister.js']));
  });
});

describe('@icws/gateway', () => {
  it('depends on neither the replica nor the canister kit; the replica is an optional peer for --dev', () => {
    const gateway = manifest('gateway');
    expect(Object.keys(gateway.dependencies ?? {})).not.toEqual(expect.arrayContaining(['@icws/replica']));
    expect(Object.keys(gateway.dependencies ?? {})).not.toContain('@icws/backend-cdk');
    expect(gateway.peerDependenciesMeta?.['@icws/replica']?.optional).toBe(true);
    expect(files('@icws/gateway').filter((path) => path.includes('examples/'))).toEqual([]);
    expect(gateway.bin).toEqual({ 'icws-gateway': 'bin/icws-gateway.js' });
    expect(files('@icws/gateway')).toEqual(expect.arrayContaining(['bin/icws-gateway.js', 'dist/cli.js']));
  });
});

describe('every package', () => {
  it.each(['@icws/protocol', '@icws/backend-cdk', '@icws/replica', '@icws/gateway', '@icws/client-sdk'])('%s ships no tests or test kits of our own', (name) => {
    expect(files(name).filter((path) => /\.test\.|test-support\/|\/testing\/fake-(transport|clock|socket)/.test(path))).toEqual([]);
  });
});
