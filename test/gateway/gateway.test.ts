/**
 * The gateway relays clients to a canister by polling: a raw client that speaks the protocol by
 * hand (no SDK) opens, exchanges certified messages and closes through it, against the embedded
 * replica running the ping-pong example.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { startReplica, type RunningReplica } from '@icws/replica';
import { startGateway, type RunningGateway } from '@icws/gateway';
import { decodeCandid } from '@icws/protocol';
import { Encoder } from 'cbor-x';
import WebSocket from 'ws';
import pingPong from '../../examples/ping-pong/canister';
import { AppMessage } from '../../examples/ping-pong/idl';
import { RawClient } from '../support/raw-ws-client';

let replica: RunningReplica;
let gateway: RunningGateway;
let canisterId: Principal;
const stateDir = mkdtempSync(join(tmpdir(), 'icws-gw-replica-'));

async function startPingPongReplica(port = 0): Promise<RunningReplica> {
  // No recovery window: after ws_close a client is gone, not kept for a resume, so `send` refuses.
  return startReplica({ port, stateDir, canisters: [{ name: 'ping_pong', module: pingPong, init: { recoveryWindowMs: 0 } }], log: () => undefined });
}

beforeAll(async () => {
  replica = await startPingPongReplica();
  canisterId = replica.canisterIds.ping_pong;
  gateway = await startGateway({
    gatewayAddress: '127.0.0.1:0',
    icNetworkUrl: replica.url.origin,
    prometheusEndpoint: '127.0.0.1:0',
    dataDir: mkdtempSync(join(tmpdir(), 'icws-gw-')),
    logLevel: process.env.GW_LOG ?? 'silent',
  });
});
afterAll(async () => {
  await gateway.close();
  await replica.close();
});

const encodeApp = (text: string) => new Uint8Array(IDL.encode([AppMessage], [{ text, timestamp: BigInt(Date.now()) * 1_000_000n }]));
const decodeApp = (bytes: Uint8Array) => decodeCandid([AppMessage], bytes, 'AppMessage')[0] as { text: string; timestamp: bigint };

async function openedClient(): Promise<RawClient> {
  const client = new RawClient(gateway.url, canisterId, replica.replica.rootKey.der);
  await client.handshake();
  await client.open();
  const open = await client.receive();
  expect(open.service).toHaveProperty('OpenMessage');
  return client;
}

describe('a client session through the gateway', () => {
  test('starts with the handshake naming the gateway principal', async () => {
    const client = new RawClient(gateway.url, canisterId, replica.replica.rootKey.der);
    expect((await client.handshake()).toText()).toBe(gateway.principal.toText());
    client.socket.close();
  });

  test('opens with a signed ws_open, then gets a certified reply to each message, in order', async () => {
    const client = await openedClient();
    const ping = await client.receive();
    expect(decodeApp(ping.message.content).text).toBe('ping');
    expect(ping.message.sequence_num).toBe(2n);
    for (let round = 1; round <= 5; round++) {
      await client.sendApp(encodeApp(`hello ${round}`));
      const reply = await client.receive();
      expect(reply.message.is_service_message).toBe(false);
      expect(reply.message.sequence_num).toBe(BigInt(round + 2));
      expect(decodeApp(reply.message.content).text).toBe(`hello ${round} ping`);
    }
    client.socket.close();
  });

  test('calls ws_close for the client when its socket closes', async () => {
    const client = await openedClient();
    await client.receive();
    const sendTo = () =>
      replica.replica.update(canisterId, 'send', new Uint8Array(IDL.encode([IDL.Principal, IDL.Vec(IDL.Nat8)], [client.principal, new Uint8Array([1])])), Principal.anonymous());
    expect(await sendTo()).toMatchObject({ status: 'replied' });
    client.socket.close();
    await client.closed;
    let result: unknown;
    for (let i = 0; i < 50; i++) {
      const outcome = await sendTo();
      result = outcome.status === 'replied' ? IDL.decode([IDL.Variant({ Ok: IDL.Null, Err: IDL.Text })], outcome.reply)[0] : outcome;
      if (result && typeof result === 'object' && 'Err' in result) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(result).toEqual({ Err: expect.stringContaining(client.principal.toText()) });
  });
});

describe('bad input closes only its own session', () => {
  const cases: Array<[string, (client: RawClient) => Promise<void>, number, string | RegExp]> = [
    ['a text frame', async (c) => c.socket.send('hello'), 1003, 'text frames are not supported'],
    ['bytes that are not CBOR', async (c) => c.socket.send(Buffer.from([0xff, 0x00, 0x13])), 1007, 'not a client request'],
    ['CBOR that is not a client request', async (c) => c.socket.send(encodeClientRequestLike({ hello: 'world' })), 1007, 'not a client request'],
    ['a first call that is not ws_open', async (c) => c.socket.send(await c.callFrame('ws_message', new Uint8Array(IDL.encode([], [])))), 1008, 'the first frame must be a ws_open call'],
    ['a ws_open naming another gateway', async (c) => c.open(Principal.fromText('aaaaa-aa')), 1008, 'ws_open names gateway aaaaa-aa'],
    ['a frame over the size limit before ws_open', async (c) => c.socket.send(new Uint8Array(3 * 1024 * 1024)), 1009, /^ICWS_ERR_FRAME_TOO_LARGE: a frame of over 65536 bytes before the session is open/],
    [
      'a ws_open whose signature does not match',
      async (c) => {
        const frame = await c.openFrame();
        frame[frame.length - 5] ^= 0xff; // inside sender_sig, the envelope's last field
        c.socket.send(frame);
      },
      1011,
      'ICWS_ERR_ENVELOPE_REFUSED: ICWS_ERR_BAD_SIGNATURE (403): sender_sig is not a signature',
    ],
  ];

  test.each(cases)('%s', async (_name, misbehave, code, reason) => {
    const bystander = await openedClient();
    await bystander.receive();
    const client = new RawClient(gateway.url, canisterId, replica.replica.rootKey.der);
    await client.handshake();
    await misbehave(client);
    const closed = await client.closed;
    expect(closed.code).toBe(code);
    expect(closed.reason).toMatch(reason);
    await bystander.sendApp(encodeApp('still here'));
    expect(decodeApp((await bystander.receive()).message.content).text).toBe('still here ping');
    bystander.socket.close();
  });

  test('a frame over the size limit after opening', async () => {
    const client = await openedClient();
    await client.receive();
    client.socket.send(new Uint8Array(3 * 1024 * 1024));
    expect(await client.closed).toEqual({ code: 1009, reason: 'ICWS_ERR_FRAME_TOO_LARGE: frame of 3145728 bytes exceeds the limit of 2097152 bytes' });
  });

  test('a call to another canister after opening', async () => {
    const client = await openedClient();
    await client.receive();
    client.socket.send(await client.callFrame('ws_message', new Uint8Array(IDL.encode([], [])), Principal.fromText('rrkah-fqaaa-aaaaa-aaaaq-cai')));
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toContain('this session is bound to canister');
  });
});

describe('operations', () => {
  test('GET /health and /version answer on the gateway port', async () => {
    const base = gateway.url.href.replace(/^ws/, 'http');
    const health = await fetch(new URL('/health', base));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', clients: expect.any(Number) });
    const version = await (await fetch(new URL('/version', base))).json();
    expect(version).toMatchObject({ name: '@icws/gateway', gatewayPrincipal: gateway.principal.toText() });
  });

  test('Prometheus metrics count clients, relayed messages, polls and errors', async () => {
    const client = await openedClient();
    await client.receive();
    const text = await (await fetch(gateway.metricsUrl!)).text();
    expect(text).toMatch(/icws_gateway_clients_connected \d+/);
    expect(text).toMatch(/icws_gateway_messages_relayed_total\{direction="canister_to_client"\} [1-9]/);
    expect(text).toMatch(/icws_gateway_messages_relayed_total\{direction="client_to_canister"\} [1-9]/);
    expect(text).toMatch(/icws_gateway_poll_latency_seconds_count [1-9]/);
    expect(text).toContain('icws_gateway_errors_total');
    client.socket.close();
  });
});

describe('a replica restart', () => {
  test('keeps clients connected, and sessions opened after it work', async () => {
    const before = await openedClient();
    await before.receive();
    const port = Number(replica.url.port);
    await replica.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    replica = await startPingPongReplica(port);
    expect(before.socket.readyState).toBe(WebSocket.OPEN);
    const after = await openedClient();
    await after.receive();
    await after.sendApp(encodeApp('after restart'));
    expect(decodeApp((await after.receive(10_000)).message.content).text).toBe('after restart ping');
    expect(before.socket.readyState).toBe(WebSocket.OPEN);
    before.socket.close();
    after.socket.close();
  });
});

function encodeClientRequestLike(value: unknown): Uint8Array {
  return new Encoder({ useRecords: false }).encode(value);
}

describe('a slow client', () => {
  test('is dropped once its send buffer passes the limit, without stalling others', async () => {
    const small = await startGateway({
      gatewayAddress: '127.0.0.1:0',
      icNetworkUrl: replica.url.origin,
      prometheusEndpoint: null,
      dataDir: mkdtempSync(join(tmpdir(), 'icws-gw-')),
      logLevel: 'silent',
      maxClientBufferBytes: 256 * 1024,
    });
    const open = async () => {
      const client = new RawClient(small.url, canisterId, replica.replica.rootKey.der);
      await client.handshake();
      await client.open();
      await client.receive();
      await client.receive();
      return client;
    };
    const slow = await open();
    const healthy = await open();
    (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const blob = new Uint8Array(200 * 1024);
    const sendTo = (client: RawClient) =>
      replica.replica.update(canisterId, 'send', new Uint8Array(IDL.encode([IDL.Principal, IDL.Vec(IDL.Nat8)], [client.principal, blob])), Principal.anonymous());
    for (let i = 0; i < 80; i++) await Promise.all([sendTo(slow), i % 10 === 0 ? sendTo(healthy) : undefined]);
    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    // The close frame (1013, "client too slow") queues behind what the client never read, so a
    // client that stays stalled sees the connection cut (1006) when the gateway gives up on it.
    const closed = await slow.closed;
    expect([1013, 1006]).toContain(closed.code);
    if (closed.code === 1013) expect(closed.reason).toContain('client too slow');
    expect((await small.metrics.errors.get()).values).toContainEqual(expect.objectContaining({ labels: { kind: 'slow_client' }, value: 1 }));
    for (let i = 0; i < 8; i++) expect((await healthy.receive()).message.content.length).toBe(200 * 1024);
    healthy.socket.close();
    await small.close();
  });
});
