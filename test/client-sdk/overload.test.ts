/**
 * Overload end to end: a real replica and a real gateway that sheds load. A client the gateway
 * closes with 1013 ("try again later") stays away for the overload backoff, and says so in its
 * `reconnecting` event; a client that comes back with hundreds of messages queued sends them paced,
 * never more at once than the gateway's relay queue takes, so they all reach the canister, in
 * order, once, and the gateway never closes it for a full queue (1008).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import WebSocket from 'ws';
import { createWsConfig, generateRandomIdentity, IcWebSocket, type IcWebSocketConfig, type IcWebSocketReconnectEvent, type ReconnectOptions } from '@icws/client-sdk';
import { startGateway, type RunningGateway } from '@icws/gateway';
import { startReplica, type RunningReplica } from '@icws/replica';
import streamCanister, { type StreamMessage, streamIdlFactory, streamMethods } from '../support/stream-canister';

jest.setTimeout(90_000);

let replica: RunningReplica;
const gateways: RunningGateway[] = [];
const sockets: IcWebSocket<never, StreamMessage>[] = [];

beforeAll(async () => {
  replica = await startReplica({ port: 0, log: () => undefined, canisters: [{ name: 'stream', module: streamCanister }] });
});
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.close();
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});
afterAll(() => replica.close());

const dataDir = () => mkdtempSync(join(tmpdir(), 'icws-overload-gw-'));

async function gateway(options: { port?: string; dataDir?: string; maxRelayWaitMs?: number } = {}): Promise<RunningGateway> {
  const started = await startGateway({
    gatewayAddress: `127.0.0.1:${options.port ?? 0}`,
    icNetworkUrl: replica.url.origin,
    prometheusEndpoint: null,
    dataDir: options.dataDir ?? dataDir(),
    logLevel: 'silent',
    ...(options.maxRelayWaitMs !== undefined && { maxRelayWaitMs: options.maxRelayWaitMs }),
  });
  gateways.push(started);
  return started;
}

/** A client of the stream canister; `sockets` records when each of its WebSockets was created. */
function client(url: URL, reconnect: ReconnectOptions, created: number[] = []): IcWebSocket<never, StreamMessage> {
  class CountingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      created.push(performance.now());
    }
  }
  const ws = new IcWebSocket<never, StreamMessage>(
    url,
    undefined,
    createWsConfig({
      canisterId: replica.canisterIds.stream!,
      idlFactory: streamIdlFactory,
      identity: generateRandomIdentity(),
      networkUrl: replica.url.origin,
      reconnect,
      WebSocket: CountingWebSocket as unknown as IcWebSocketConfig['WebSocket'],
    }) as IcWebSocketConfig<never>,
  );
  sockets.push(ws);
  return ws;
}

async function received(from: Principal): Promise<string[]> {
  const func = streamMethods.received;
  const outcome = await replica.replica.query(replica.canisterIds.stream!, 'received', new Uint8Array(IDL.encode(func.argTypes, [from])), Principal.anonymous());
  if (outcome.status !== 'replied') throw new Error(`received was rejected: ${JSON.stringify(outcome)}`);
  return IDL.decode(func.retTypes, new Uint8Array(outcome.reply))[0] as unknown as string[];
}

/** Resolves once `check` holds, polling; rejects naming `what` after `timeoutMs`. */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const texts = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
const message = (text: string): StreamMessage => ({ n: 0n, text });

describe('IcWebSocket under overload', () => {
  it('after a 1013 close, waits the overload backoff rather than the ordinary one, and says why in `reconnecting`', async () => {
    // Calls may wait 1 ms for the replica: a burst of calls meets the bound (ICWS_ERR_RELAY_BACKLOG, 1013).
    const shedding = await gateway({ maxRelayWaitMs: 1 });
    const created: number[] = [];
    const ws = client(shedding.url, { minDelayMs: 10, maxDelayMs: 10, overloadDelayMs: 2_000, overloadMaxDelayMs: 8_000, resume: false }, created);
    await ws.opened;
    const reconnecting = new Promise<IcWebSocketReconnectEvent>((resolve) => ws.addEventListener('reconnecting', resolve, { once: true }));
    for (const text of texts('burst ', 30)) ws.send(message(text));
    const event = await reconnecting;
    const shedAt = performance.now();

    expect(event).toMatchObject({ code: 1013, overloaded: true, reason: expect.stringMatching(/^ICWS_ERR_RELAY_BACKLOG: /) });
    // the first overload close waits in [overloadDelayMs / 2, overloadDelayMs), never the ordinary 10 ms
    expect(event.delayMs).toBeGreaterThanOrEqual(1_000);
    expect(event.delayMs).toBeLessThan(2_000);
    expect(created).toHaveLength(1);
    await until(() => created.length === 2, 'the next connection', 20_000);
    // a timer fires no earlier than its delay: the next socket was not created before it
    expect(created[1]! - shedAt).toBeGreaterThanOrEqual(event.delayMs - 2);
  });

  it('grows the overload backoff with each overload close in a row', async () => {
    const shedding = await gateway({ maxRelayWaitMs: 1 });
    const ws = client(shedding.url, { minDelayMs: 10, maxDelayMs: 10, overloadDelayMs: 400, overloadMaxDelayMs: 1_600, resume: false, flushBurst: 1_000, flushRate: Infinity });
    const delays: number[] = [];
    const overloaded: boolean[] = [];
    ws.addEventListener('reconnecting', (event) => {
      overloaded.push(event.overloaded);
      delays.push(event.delayMs);
    });
    // every session opens and is shed by its first burst
    ws.addEventListener('open', () => {
      for (const text of texts('again ', 30)) ws.send(message(text));
    });
    await until(() => delays.length >= 4, 'four overload closes');
    ws.close();
    expect(overloaded.slice(0, 4)).toEqual([true, true, true, true]);
    expect(delays[0]).toBeGreaterThanOrEqual(200);
    expect(delays[0]).toBeLessThan(400);
    expect(delays[1]).toBeGreaterThanOrEqual(400);
    expect(delays[2]).toBeGreaterThanOrEqual(800);
    expect(delays[3]).toBeGreaterThanOrEqual(800); // the ceiling: [800, 1600)
    expect(delays[3]).toBeLessThan(1_600);
  });

  describe('coming back with hundreds of messages queued', () => {
    const QUEUED = 300;

    /** Opens a client, sends 5 messages, takes the gateway down, queues QUEUED more and brings it back. */
    async function reconnectWithBacklog(flush: Pick<ReconnectOptions, 'flushBurst' | 'flushRate'>) {
      const dir = dataDir();
      // relayed calls wait at most 1 s: a flush of 16 at once then 40 a second puts at most 56 in the queue of 64
      const first = await gateway({ dataDir: dir, maxRelayWaitMs: 1_000 });
      const ws = client(first.url, { minDelayMs: 50, maxDelayMs: 200, ...flush });
      const ends: Array<{ kind: string; code: number; reason: string }> = [];
      ws.addEventListener('reconnecting', (event) => ends.push({ kind: 'reconnecting', code: event.code, reason: event.reason }));
      ws.addEventListener('close', (event) => ends.push({ kind: 'close', code: event.code, reason: event.reason }));
      await ws.opened;
      const principal = ws.getPrincipal();
      const before = texts('before ', 5);
      for (const text of before) ws.send(message(text));
      await until(async () => (await received(principal)).length === before.length, 'the first messages');
      await first.close();
      gateways.splice(gateways.indexOf(first), 1);
      await until(() => ws.readyState === IcWebSocket.CONNECTING, 'reconnecting');
      const queued = texts('queued ', QUEUED);
      for (const text of queued) ws.send(message(text));
      await gateway({ port: first.url.port, dataDir: dir, maxRelayWaitMs: 1_000 });
      return { ws, principal, ends, expected: [...before, ...queued] };
    }

    it('sends them paced: all reach the canister, in order, once, and the gateway never closes the session for a full queue', async () => {
      const { ws, principal, ends, expected } = await reconnectWithBacklog({ flushBurst: 16, flushRate: 40 });
      const resumed = new Promise<{ resent: number }>((resolve) => (ws.onresumed = resolve));
      expect((await resumed).resent).toBe(QUEUED);
      const after = texts('after ', 5);
      for (const text of after) ws.send(message(text)); // behind the backlog
      await until(async () => (await received(principal)).length >= expected.length + after.length, 'every message', 60_000);
      await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more arrives
      expect(await received(principal)).toEqual([...expected, ...after]);
      expect(ws.readyState).toBe(IcWebSocket.OPEN);
      // the gateway going away (1001), then attempts refused while it was down (1006), and nothing else
      expect(ends[0]).toMatchObject({ kind: 'reconnecting', code: 1001 });
      expect(ends.slice(1).filter((end) => end.code !== 1006)).toEqual([]);
    });

    it('without pacing, the same backlog fills the gateway’s relay queue and the client is closed for good with 1008', async () => {
      const { ws, ends } = await reconnectWithBacklog({ flushBurst: 1_000, flushRate: Infinity });
      await until(() => ws.readyState === IcWebSocket.CLOSED, 'the close');
      expect(ends.at(-1)).toMatchObject({ code: 1008, reason: expect.stringMatching(/^ICWS_ERR_RELAY_QUEUE_FULL: /) });
    });
  });
});
