/**
 * The README's nginx snippet (examples/nginx/icws-gateway.conf), run by a real nginx with TLS in
 * front of the gateway: clients open sessions and exchange certified messages through it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import { startReplica, type RunningReplica } from '@icws/replica';
import { startGateway, type RunningGateway } from '@icws/gateway';
import { decodeCandid } from '@icws/protocol';
import pingPong from '../../examples/ping-pong/canister';
import { AppMessage } from '../../examples/ping-pong/idl';
import { RawClient } from '../support/raw-ws-client';

const SNIPPET = join(__dirname, '../../examples/nginx/icws-gateway.conf');
let replica: RunningReplica;
let gateway: RunningGateway;
let nginx: ChildProcess;
let proxyPort: number;

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs the snippet (changed by `edit`) in a real nginx with TLS in front of `gatewayPort`; @returns its port. */
async function startNginx(gatewayPort: number, edit: (site: string) => string = (site) => site): Promise<{ port: number; process: ChildProcess }> {
  const prefix = mkdtempSync(join(tmpdir(), 'icws-nginx-'));
  mkdirSync(join(prefix, 'logs'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(prefix, 'key.pem'), '-out', join(prefix, 'cert.pem')], { stdio: 'ignore' });
  const port = await freePort();
  const site = edit(readFileSync(SNIPPET, 'utf8'))
    .replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`)
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${gatewayPort};`)
    .replace('/etc/ssl/certs/gateway.example.org.pem', join(prefix, 'cert.pem'))
    .replace('/etc/ssl/private/gateway.example.org.key', join(prefix, 'key.pem'));
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `pid ${join(prefix, 'nginx.pid')};\nerror_log ${join(prefix, 'logs/error.log')};\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${prefix};\n  proxy_temp_path ${prefix};\n${site}\n}\n`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
  for (let attempt = 0; attempt < 100 && !(await accepts(port)); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
  return { port, process: child };
}

beforeAll(async () => {
  replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong }], log: () => undefined });
  gateway = await startGateway({ gatewayAddress: '127.0.0.1:0', icNetworkUrl: replica.url.origin, prometheusEndpoint: null, dataDir: mkdtempSync(join(tmpdir(), 'icws-gw-')), logLevel: 'silent' });
  ({ port: proxyPort, process: nginx } = await startNginx(Number(gateway.url.port)));
});
afterAll(async () => {
  nginx?.kill('SIGQUIT');
  await gateway.close();
  await replica.close();
});

test('clients open and exchange certified messages through nginx with TLS', async () => {
  const client = new RawClient(`wss://127.0.0.1:${proxyPort}/`, replica.canisterIds.ping_pong, replica.replica.rootKey.der, { rejectUnauthorized: false });
  expect((await client.handshake()).toText()).toBe(gateway.principal.toText());
  await client.open();
  expect((await client.receive()).service).toHaveProperty('OpenMessage');
  await client.receive();
  const app = new Uint8Array(IDL.encode([AppMessage], [{ text: 'through nginx', timestamp: 1n }]));
  await client.sendApp(app);
  const reply = await client.receive();
  expect((decodeCandid([AppMessage], reply.message.content, 'AppMessage')[0] as { text: string }).text).toBe('through nginx ping');
  client.socket.close();
});

describe('the self-test through --public-url', () => {
  const started: { gateway: RunningGateway; nginx: ChildProcess }[] = [];
  afterAll(async () => {
    for (const { gateway: other, nginx: proxy } of started) {
      proxy.kill('SIGQUIT');
      await other.close();
    }
  });

  /** Starts nginx (edited by `edit`) in front of a new gateway whose public URL it is; @returns the gateway's `/health` once the self-test ended. */
  async function selfTestThrough(edit?: (site: string) => string): Promise<Record<string, any>> {
    const gatewayPort = await freePort();
    const proxy = await startNginx(gatewayPort, edit);
    const publicUrl = `wss://127.0.0.1:${proxy.port}/`;
    const other = await startGateway({ gatewayAddress: `127.0.0.1:${gatewayPort}`, icNetworkUrl: replica.url.origin, prometheusEndpoint: null, dataDir: mkdtempSync(join(tmpdir(), 'icws-gw-')), logLevel: 'silent', publicUrl, selfTestRejectUnauthorized: false });
    started.push({ gateway: other, nginx: proxy.process });
    for (let attempt = 0; attempt < 100; attempt++) {
      const health = (await (await fetch(new URL('/health', other.url.href.replace(/^ws/, 'http')))).json()) as Record<string, any>;
      if (health.self_test.status !== 'running') return health;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the self-test did not end');
  }

  test('passes with the documented config', async () => {
    const health = await selfTestThrough();
    expect(health.self_test).toEqual({ status: 'passed', url: expect.stringMatching(/^wss:\/\/127\.0\.0\.1:\d+\/$/) });
  });

  test('fails at the WebSocket step, named, when the proxy drops the Upgrade headers', async () => {
    const health = await selfTestThrough((site) => site.replace(/^\s*proxy_set_header (Upgrade|Connection) .*$/gm, ''));
    expect(health.self_test).toMatchObject({ status: 'failed', step: 'websocket' });
    expect(health.self_test.error).toMatch(/^ICWS_ERR_SELF_TEST: WebSocket handshake with wss:\/\/127\.0\.0\.1:\d+\/\.well-known\/icws-self-test: the proxy did not upgrade the connection \(it answered HTTP 404\)/);
  });
});
