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

beforeAll(async () => {
  replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong }], log: () => undefined });
  gateway = await startGateway({ gatewayAddress: '127.0.0.1:0', icNetworkUrl: replica.url.origin, prometheusEndpoint: null, dataDir: mkdtempSync(join(tmpdir(), 'icws-gw-')), logLevel: 'silent' });
  const prefix = mkdtempSync(join(tmpdir(), 'icws-nginx-'));
  mkdirSync(join(prefix, 'logs'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(prefix, 'key.pem'), '-out', join(prefix, 'cert.pem')], { stdio: 'ignore' });
  proxyPort = await freePort();
  const site = readFileSync(SNIPPET, 'utf8')
    .replace('listen 443 ssl;', `listen 127.0.0.1:${proxyPort} ssl;`)
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${gateway.url.port};`)
    .replace('/etc/ssl/certs/gateway.example.org.pem', join(prefix, 'cert.pem'))
    .replace('/etc/ssl/private/gateway.example.org.key', join(prefix, 'key.pem'));
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `pid ${join(prefix, 'nginx.pid')};\nerror_log ${join(prefix, 'logs/error.log')};\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${prefix};\n  proxy_temp_path ${prefix};\n${site}\n}\n`,
  );
  nginx = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
  for (let attempt = 0; attempt < 100 && !(await accepts(proxyPort)); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
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
