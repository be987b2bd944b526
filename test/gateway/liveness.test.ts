/**
 * Dead, silent and hostile peers of the gateway are found and bounded, against the embedded
 * replica running the ping-pong example: connections that never send ws_open, clients that stop
 * answering pings or reading, too many connections from one address, and a ws_open the canister
 * refuses.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { startGateway, type GatewayOptions, type RunningGateway } from '@icws/gateway';
import { startReplica, type RunningReplica } from '@icws/replica';
import { decodeGatewayHandshake, encodeClientRequest, encodeWsOpenArgs } from '@icws/protocol';
import WebSocket from 'ws';
import pingPong from '../../examples/ping-pong/canister';
import { RawClient } from '../support/raw-ws-client';
import { RawUpgrade } from '../support/raw-upgrade';

let replica: RunningReplica;
let canisterId: Principal;
const gateways: RunningGateway[] = [];

beforeAll(async () => {
  // No recovery window: after ws_close a client is gone, not kept for a resume, so `send` refuses.
  replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong, init: { recoveryWindowMs: 0 } }], log: () => undefined });
  canisterId = replica.canisterIds.ping_pong;
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await replica.close();
});

async function gatewayWith(options: GatewayOptions): Promise<RunningGateway> {
  const gateway = await startGateway({
    gatewayAddress: '127.0.0.1:0',
    icNetworkUrl: replica.url.origin,
    prometheusEndpoint: null,
    dataDir: mkdtempSync(join(tmpdir(), 'icws-gw-live-')),
    logLevel: process.env.GW_LOG ?? 'silent',
    ...options,
  });
  gateways.push(gateway);
  return gateway;
}

async function openedClient(gateway: RunningGateway, socketOptions: WebSocket.ClientOptions = {}): Promise<RawClient> {
  const client = new RawClient(gateway.url, canisterId, replica.replica.rootKey.der, socketOptions);
  await client.handshake();
  await client.open();
  expect((await client.receive()).service).toHaveProperty('OpenMessage');
  return client;
}

/** @returns the value of a labelled counter of the gateway. */
async function counter(gateway: RunningGateway, name: 'sessionsClosed' | 'connectionsRefused' | 'errors', label: string): Promise<number> {
  const { values } = await gateway.metrics[name].get();
  return values.find((v) => Object.values(v.labels).includes(label))?.value ?? 0;
}

/** @returns once `condition` holds, checking every 20 ms; rejects after `limitMs`. */
async function eventually(condition: () => boolean | Promise<boolean>, limitMs = 15_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends raw bytes to `principal` through the canister's `send`; @returns whether it has a connection for them. */
async function canisterReaches(principal: Principal, bytes = new Uint8Array([1])): Promise<boolean> {
  const outcome = await replica.replica.update(canisterId, 'send', new Uint8Array(IDL.encode([IDL.Principal, IDL.Vec(IDL.Nat8)], [principal, bytes])), Principal.anonymous());
  if (outcome.status !== 'replied') return false;
  const [result] = IDL.decode([IDL.Variant({ Ok: IDL.Null, Err: IDL.Text })], outcome.reply) as [Record<string, unknown>];
  return 'Ok' in result;
}

describe('the deadline for ws_open', () => {
  test('closes a connection that sends nothing after the handshake with 1013 and ICWS_ERR_OPEN_TIMEOUT', async () => {
    const gateway = await gatewayWith({ openTimeoutMs: 300 });
    const client = new RawClient(gateway.url, canisterId, replica.replica.rootKey.der);
    await client.handshake();
    expect(await client.closed).toEqual({ code: 1013, reason: 'ICWS_ERR_OPEN_TIMEOUT: no ws_open within 300 ms of the handshake' });
    await eventually(() => gateway.sessionCount === 0);
    expect(await counter(gateway, 'sessionsClosed', 'ICWS_ERR_OPEN_TIMEOUT')).toBe(1);
  });
});

describe('pings', () => {
  test('end the session of a client that stops answering them, and the canister gets ws_close', async () => {
    const gateway = await gatewayWith({ pingIntervalMs: 100, maxMissedPongs: 2 });
    const answering = await openedClient(gateway);
    const silent = await openedClient(gateway, { autoPong: false });
    expect(await canisterReaches(silent.principal)).toBe(true);
    expect(await silent.closed).toEqual({ code: 1013, reason: 'ICWS_ERR_PING_TIMEOUT: no answer to 2 pings in a row, sent every 100 ms' });
    await eventually(async () => !(await canisterReaches(silent.principal)));
    expect(await canisterReaches(answering.principal)).toBe(true);
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
    answering.socket.close();
  });
});

describe('ws_open refused by the canister', () => {
  test('closes an anonymous ws_open at once with the canister reason', async () => {
    const gateway = await gatewayWith({});
    const socket = new WebSocket(gateway.url);
    const handshake = await new Promise<Buffer>((resolve) => socket.once('message', resolve));
    const closed = new Promise<[number, string]>((resolve) => socket.once('close', (code, reason) => resolve([code, reason.toString()])));
    const arg = encodeWsOpenArgs({ client_nonce: 1n, gateway_principal: decodeGatewayHandshake(handshake).gateway_principal });
    const content = { request_type: 'call' as const, canister_id: canisterId, method_name: 'ws_open', arg, sender: Principal.anonymous(), ingress_expiry: BigInt(Date.now() + 120_000) * 1_000_000n };
    socket.send(encodeClientRequest({ envelope: { content } }));
    // Well before the 10 s deadline for ws_open, which would close it otherwise.
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('no close'), 5_000).unref());
    expect(await Promise.race([closed, timeout])).toEqual([1008, 'ICWS_ERR_OPEN_REFUSED: the canister refused ws_open: Anonymous principal is not allowed']);
    await eventually(() => gateway.sessionCount === 0);
    const health = await (await fetch(new URL('/health', gateway.url.href.replace(/^ws/, 'http')))).json();
    expect(health).toMatchObject({ clients: 0 });
  });
});

describe('connection limits', () => {
  test('refuses the upgrade past --max-connections-per-ip with HTTP 429 naming the flag', async () => {
    const gateway = await gatewayWith({ maxConnectionsPerIp: 3 });
    const held = await Promise.all([0, 1, 2].map(() => openedClient(gateway)));
    const refused = new RawUpgrade(gateway.url);
    expect(await refused.answered).toEqual({
      status: 429,
      body: 'ICWS_ERR_IP_CONNECTION_LIMIT: 127.0.0.1 holds its limit of 3 connections to this gateway; close some, or raise --max-connections-per-ip\n',
    });
    expect(await counter(gateway, 'connectionsRefused', 'per_ip')).toBe(1);
    for (const client of held) await canisterReaches(client.principal);
    held[0].socket.close();
    await held[0].closed;
    await eventually(async () => (await new RawUpgrade(gateway.url).answered).status === 101);
    for (const client of held.slice(1)) client.socket.close();
  });
});

describe('a client that stops reading', () => {
  test('is dropped with 1013 and a reason it reads once it reads again, seconds later', async () => {
    const gateway = await gatewayWith({ maxClientBufferBytes: 256 * 1024 });
    const client = await openedClient(gateway);
    await client.receive();
    client.socket.pause();
    const payload = new Uint8Array(100 * 1024);
    for (let sent = 0; sent < 300 && (await counter(gateway, 'sessionsClosed', 'ICWS_ERR_CLIENT_TOO_SLOW')) === 0; sent++) {
      await canisterReaches(client.principal, payload);
    }
    expect(await counter(gateway, 'sessionsClosed', 'ICWS_ERR_CLIENT_TOO_SLOW')).toBe(1);
    // Longer than a closing handshake may take: the close frame is still behind unsent messages.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    client.socket.resume();
    const closed = await client.closed;
    expect(closed.code).toBe(1013);
    expect(closed.reason).toMatch(/^ICWS_ERR_CLIENT_TOO_SLOW: client too slow: more than 262144 bytes waiting to be sent/);
  });
});

describe('frames that never finish', () => {
  /** A gateway in a process of its own, so its memory is measured apart from the test's. */
  async function gatewayProcess(flags: string[]): Promise<{ url: URL; pid: number; stop(): Promise<void> }> {
    const { spawn } = await import('node:child_process');
    const { createInterface } = await import('node:readline');
    const cli = join(__dirname, '../../packages/gateway/dist/cli.js');
    const args = [cli, '--gateway-address', '127.0.0.1:0', '--ic-network-url', replica.url.origin, '--prometheus-endpoint', 'off', '--log-level', 'warn', ...flags];
    const child = spawn(process.execPath, args, { env: { ...process.env, DATA_DIR: mkdtempSync(join(tmpdir(), 'icws-gw-mem-')) } });
    const url = await new Promise<URL>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /^gateway listening on (\S+)$/.exec(line);
        if (match) resolve(new URL(match[1]));
      });
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    return { url, pid: child.pid!, stop: async () => void (child.kill('SIGTERM'), await exited) };
  }

  /** @returns the resident set of process `pid`, in bytes. */
  async function rssOf(pid: number): Promise<number> {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
  }

  test('20 unfinished 4 MiB frames before ws_open cost the gateway little, are cut, and others keep working', async () => {
    const gateway = await gatewayProcess(['--open-timeout-ms', '5000']);
    const bystander = new RawClient(gateway.url, canisterId, replica.replica.rootKey.der);
    await bystander.handshake();
    await bystander.open();
    await bystander.receive();
    await bystander.receive();
    const before = await rssOf(gateway.pid);
    const frameBytes = 4 * 1024 * 1024 - 16;
    const attackers = Array.from({ length: 20 }, () => new RawUpgrade(gateway.url));
    await Promise.all(attackers.map((a) => a.answered));
    const writes = attackers.map((a) => a.writePartialFrame(frameBytes, frameBytes - 1));
    for (let round = 1; round <= 3; round++) {
      await bystander.sendApp(new Uint8Array(IDL.encode([IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64 })], [{ text: `round ${round}`, timestamp: 0n }])));
      expect((await bystander.receive()).message.sequence_num).toBe(BigInt(round + 2));
    }
    const peak = await rssOf(gateway.pid);
    const closes = await Promise.all(attackers.map((a) => a.closed));
    await Promise.all(writes);
    const grown = peak - before;
    // Held in full, the frames would take 80 MiB; each is cut after --max-open-frame-bytes (64 KiB).
    expect(grown).toBeLessThan(16 * 1024 * 1024);
    for (const close of closes) expect(close).toEqual({ code: 1009, reason: expect.stringMatching(/^ICWS_ERR_FRAME_TOO_LARGE: a frame of over 65536 bytes before the session is open/) });
    process.stdout.write(`gateway RSS: ${(before / 2 ** 20).toFixed(1)} MiB before, +${(grown / 2 ** 20).toFixed(1)} MiB with 20 unfinished 4 MiB frames\n`);
    bystander.socket.close();
    await gateway.stop();
  });

  test('unfinished frames under the open-frame limit are cut by the deadline for ws_open', async () => {
    const gateway = await gatewayWith({ openTimeoutMs: 500 });
    const attackers = Array.from({ length: 20 }, () => new RawUpgrade(gateway.url));
    await Promise.all(attackers.map((a) => a.answered));
    await Promise.all(attackers.map((a) => a.writePartialFrame(60 * 1024, 60 * 1024 - 1)));
    const closes = await Promise.all(attackers.map((a) => a.closed));
    for (const close of closes) expect(close).toEqual({ code: 1013, reason: 'ICWS_ERR_OPEN_TIMEOUT: no ws_open within 500 ms of the handshake' });
    await eventually(() => gateway.sessionCount === 0);
  });
});
