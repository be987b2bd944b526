/** `icws-gateway`: flags, --help, and draining on SIGTERM. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { HttpAgent } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { startReplica, type RunningReplica } from '@icws/replica';
import pingPong from '../../examples/ping-pong/canister';
import { RawClient } from '../support/raw-ws-client';

const CLI = join(__dirname, '../../packages/gateway/dist/cli.js');
let replica: RunningReplica;

beforeAll(async () => {
  // No recovery window: after ws_close the client is gone, not kept for a resume, so `send` refuses.
  replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong, init: { recoveryWindowMs: 0 } }], log: () => undefined });
});
afterAll(() => replica.close());

test('--help lists the flags', async () => {
  const child = spawn(process.execPath, [CLI, '--help']);
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  expect(out).toContain('--gateway-address');
  expect(out).toContain('--ic-network-url');
});

test('a bad flag exits with code 2 and says what is wrong', async () => {
  const child = spawn(process.execPath, [CLI, '--polling-interval', 'often']);
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(2);
  expect(err).toContain('--polling-interval=often: expected a positive number of milliseconds');
});

test.each([
  [['--log-level', 'loud'], '--log-level=loud: expected one of trace, debug, info, warn, error, fatal, silent'],
  [['--ic-network-url', 'ftp://x'], '--ic-network-url=ftp://x: expected an http:// or https:// URL, not ftp://'],
  [['--tls-certificate-pem-path', '/nonexistent/cert.pem', '--tls-certificate-key-pem-path', '/nonexistent/key.pem'], '--tls-certificate-pem-path=/nonexistent/cert.pem: no such file'],
  [['--opentelemetry-collector-endpoint', 'udp://collector:4317'], '--opentelemetry-collector-endpoint=udp://collector:4317: expected an http:// or https:// URL'],
])('%j exits with code 2 naming the flag', async (argv, message) => {
  const child = spawn(process.execPath, [CLI, ...argv]);
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(2);
  expect(err).toContain(`icws-gateway: ${message}`);
});

test('prints its principal, and on SIGTERM closes sessions with ws_close and exits 0', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'icws-gw-cli-'));
  const child = spawn(process.execPath, [CLI, '--gateway-address', '127.0.0.1:0', '--ic-network-url', replica.url.origin, '--prometheus-endpoint', 'off', '--log-level', 'warn'], { env: { ...process.env, DATA_DIR: dataDir } });
  const lines = createInterface({ input: child.stdout });
  const started = new Promise<{ principal: string; url: string }>((resolve) => {
    let principal = '';
    lines.on('line', (line) => {
      const p = /^gateway principal (\S+)$/.exec(line);
      if (p) principal = p[1];
      const u = /^gateway listening on (\S+)$/.exec(line);
      if (u) resolve({ principal, url: u[1] });
    });
  });
  const { principal, url } = await started;
  const client = new RawClient(url, replica.canisterIds.ping_pong, replica.replica.rootKey.der);
  expect((await client.handshake()).toText()).toBe(principal);
  await client.open();
  await client.receive();
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  expect((await client.closed).code).toBe(1001);
  expect(await exited).toBe(0);
  const outcome = await replica.replica.update(replica.canisterIds.ping_pong, 'send', new Uint8Array(IDL.encode([IDL.Principal, IDL.Vec(IDL.Nat8)], [client.principal, new Uint8Array([1])])), Principal.anonymous());
  expect(outcome.status === 'replied' && IDL.decode([IDL.Variant({ Ok: IDL.Null, Err: IDL.Text })], new Uint8Array(outcome.reply))[0]).toHaveProperty('Err');
});

test('--dev also starts an embedded replica with the example canisters', async () => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as { port: number };
      server.close(() => resolve(free));
    });
  });
  const child = spawn(process.execPath, [CLI, '--dev', '--gateway-address', '127.0.0.1:0', '--ic-network-url', `http://127.0.0.1:${port}`, '--prometheus-endpoint', 'off', '--log-level', 'warn', '--data-dir', mkdtempSync(join(tmpdir(), 'icws-gw-dev-'))]);
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      const match = /^gateway listening on (\S+)$/.exec(line);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`icws-gateway --dev exited with ${code}`)));
  });
  expect(output).toContain(`replica listening on http://127.0.0.1:${port}`);
  const pingPongLine = output.find((line) => line.startsWith('canister ping_pong '));
  expect(output.some((line) => line.startsWith('canister chat '))).toBe(true);
  const rootKey = (await HttpAgent.create({ host: `http://127.0.0.1:${port}`, shouldFetchRootKey: true })).rootKey!;
  const client = new RawClient(url, Principal.fromText(pingPongLine!.split(' ')[2]), rootKey);
  await client.handshake();
  await client.open();
  expect((await client.receive()).service).toHaveProperty('OpenMessage');
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
