/**
 * Resume and failover end to end: a real replica, gateways in their own processes (killed with -9
 * or stopped as an operator would), real sockets. A client that loses its gateway comes back
 * through another one (or the same one, restarted) and gets its session back: every canister
 * message once and in order, every message it sent meanwhile to the canister once. Past the
 * recovery window it gets a new session and is told so; another principal cannot take the session;
 * the upstream client is unaffected.
 */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { createWsConfig, generateRandomIdentity, IcWebSocket, type IcWebSocketConfig } from '@icws/client-sdk';
import { encodeWsOpenArgs, wsServiceMethods } from '@icws/protocol';
import { startReplica, type RunningReplica } from '@icws/replica';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process';
import { RawClient } from '../support/raw-ws-client';
import streamCanister, { StreamMessage, streamIdlFactory, streamMethods } from '../support/stream-canister';
import { loadUpstream, upstreamActor } from '../support/upstream-client';

jest.setTimeout(90_000);

let replica: RunningReplica;
const gateways: GatewayProcess[] = [];
const sockets: Array<{ close(): void }> = [];

beforeAll(async () => {
  replica = await startReplica({
    port: 0,
    log: () => undefined,
    canisters: [
      { name: 'stream', module: streamCanister },
      { name: 'short_window', module: streamCanister, init: { recoveryWindowMs: 1_000 } },
    ],
  });
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(gateways.splice(0).map((gateway) => gateway.stop('SIGKILL')));
});
afterAll(() => replica.close());

async function gateway(options: { port?: number; dataDir?: string } = {}): Promise<GatewayProcess> {
  const started = await startGatewayProcess({ icNetworkUrl: replica.url.origin, ...options });
  gateways.push(started);
  return started;
}

function client(canister: string, urls: string | string[], extra: Partial<IcWebSocketConfig> = {}): IcWebSocket<never, StreamMessage> {
  const ws = new IcWebSocket<never, StreamMessage>(
    urls,
    undefined,
    createWsConfig({
      canisterId: replica.canisterIds[canister]!,
      idlFactory: streamIdlFactory,
      identity: generateRandomIdentity(),
      networkUrl: replica.url.origin,
      ...extra,
    }) as IcWebSocketConfig<never>,
  );
  sockets.push(ws);
  return ws;
}

async function call(canister: string, method: keyof typeof streamMethods, args: unknown[]): Promise<unknown> {
  const func = streamMethods[method];
  const canisterId = replica.canisterIds[canister]!;
  const arg = new Uint8Array(IDL.encode(func.argTypes, args));
  const outcome = func.annotations.includes('query')
    ? await replica.replica.query(canisterId, method, arg, Principal.anonymous())
    : await replica.replica.update(canisterId, method, arg, Principal.anonymous());
  if (outcome.status !== 'replied') throw new Error(`${method} was rejected: ${JSON.stringify(outcome)}`);
  return IDL.decode(func.retTypes, new Uint8Array(outcome.reply))[0];
}

const push = (canister: string, to: Principal, from: bigint, last: bigint) => call(canister, 'push', [to, from, last]);
const received = (canister: string, from: Principal) => call(canister, 'received', [from]) as Promise<string[]>;
const events = (canister: string, of: Principal) =>
  (call(canister, 'events', []) as Promise<string[]>).then((all) => all.filter((e) => e.split(' ')[1] === of.toText()).map((e) => e.replace(` ${of.toText()}`, '')));

/** Resolves once `check` holds, polling; rejects naming `what` after `timeoutMs`. */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => BigInt(from + i));

describe('resume and failover', () => {
  it('moves to the second gateway when the first is killed (-9) halfway through a stream: every message once and in order, the gap’s messages to the canister once', async () => {
    const [first, second] = await Promise.all([gateway(), gateway()]);
    const ws = client('stream', [first.url, second.url], { reconnect: { minDelayMs: 50, maxDelayMs: 500 } });
    const numbers: bigint[] = [];
    const seen: string[] = [];
    const sequenceNums: bigint[] = [];
    ws.onmessage = (event) => {
      numbers.push(event.data.n);
      sequenceNums.push(event.sequenceNum);
    };
    ws.onreconnecting = (event) => {
      seen.push(`reconnecting to ${event.url === second.url ? 'the second gateway' : event.url}`);
      // Sent while no gateway carries the session: they wait, then reach the canister once.
      if (seen.length === 1) for (let i = 1; i <= 5; i++) ws.send({ n: 0n, text: `gap ${i}` });
    };
    ws.onresumed = () => seen.push('resumed');
    ws.onnewsession = (event) => seen.push(`new session: ${event.reason}`);
    await ws.opened;
    ws.addEventListener('open', () => seen.push('open'));
    const principal = ws.getPrincipal();
    for (let i = 1; i <= 3; i++) ws.send({ n: 0n, text: `before ${i}` });

    for (let from = 1; from <= 400; from += 10) {
      await push('stream', principal, BigInt(from), BigInt(from + 9));
      if (from + 9 === 200) {
        ws.send({ n: 0n, text: 'edge' }); // in flight, or not yet signed, when the gateway dies
        await first.stop('SIGKILL');
      }
    }
    const expectedTexts = ['before 1', 'before 2', 'before 3', 'edge', 'gap 1', 'gap 2', 'gap 3', 'gap 4', 'gap 5'];
    await until(async () => numbers.includes(400n) && (await received('stream', principal)).length >= expectedTexts.length, 'the whole stream and the client’s messages');
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a duplicate to show up

    expect(numbers).toEqual(range(1, 400));
    expect(await received('stream', principal)).toEqual(expectedTexts);
    expect(seen).toEqual(['reconnecting to the second gateway', 'resumed', 'open']);
    // The resumed session goes on numbering where the first stood (acks take numbers too: gaps, no restart).
    expect(sequenceNums.every((seq, i) => i === 0 || seq > sequenceNums[i - 1]!)).toBe(true);
    expect(ws.url).toBe(second.url);
    // The application saw the session resumed, never opened twice; the dead gateway never reported a close.
    expect((await events('stream', principal)).map((e) => e.split(' ')[0])).toEqual(['open', 'resume']);
  });

  it('resumes through the same gateway restarted (SIGTERM: it reported the close), with what the canister sent while it was down', async () => {
    const first = await gateway();
    const ws = client('stream', first.url, { reconnect: { minDelayMs: 50, maxDelayMs: 200 } });
    const numbers: bigint[] = [];
    ws.onmessage = (event) => numbers.push(event.data.n);
    await ws.opened;
    const principal = ws.getPrincipal();
    await push('stream', principal, 1n, 5n);
    await until(() => numbers.length === 5, 'the first messages');
    await first.stop('SIGTERM');
    await until(async () => (await events('stream', principal)).includes('close ClosedByGateway true'), 'the gateway’s ws_close');
    expect(await push('stream', principal, 6n, 8n)).toBe(3n); // kept for the suspended session
    const resumed = new Promise<{ recovered: number }>((resolve) => (ws.onresumed = resolve));
    await gateway({ port: first.port, dataDir: first.dataDir });
    expect((await resumed).recovered).toBe(3);
    await until(() => numbers.length === 8, 'the recovered messages');
    expect(numbers).toEqual(range(1, 8));
    expect(await events('stream', principal)).toEqual(['open', 'close ClosedByGateway true', 'resume 3']);
  });

  it('begins a new session, and says why, when the client comes back after the recovery window', async () => {
    const first = await gateway();
    const ws = client('short_window', first.url, { reconnect: { minDelayMs: 50, maxDelayMs: 200 } });
    const seen: string[] = [];
    ws.onresumed = () => seen.push('resumed');
    const fresh = new Promise<{ reason: string; message: string }>((resolve) => (ws.onnewsession = resolve));
    await ws.opened;
    const principal = ws.getPrincipal();
    await first.stop('SIGTERM');
    await until(async () => (await events('short_window', principal)).length === 2, 'the gateway’s ws_close');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the 1 s window
    await gateway({ port: first.port, dataDir: first.dataDir });
    const event = await fresh;
    expect(event.reason).toBe('UnknownSession');
    expect(event.message).toMatch(/no longer keeps the session \(its recovery window passed/);
    expect(seen).toEqual([]);
    expect(await events('short_window', principal)).toEqual(['open', 'close ClosedByGateway true', 'open']);
    const numbers: bigint[] = [];
    ws.onmessage = (e) => numbers.push(e.data.n);
    await push('short_window', principal, 1n, 2n);
    await until(() => numbers.length === 2, 'messages of the new session');
  });

  it('refuses a resume request signed by another principal, and the session stays its owner’s', async () => {
    const first = await gateway();
    const owner = client('stream', first.url);
    await owner.opened;
    const canisterId = replica.canisterIds.stream!;
    const thief = new RawClient(first.url, canisterId, replica.replica.rootKey.der);
    const gatewayPrincipal = await thief.handshake();
    const resume = [{ client_key: { client_principal: owner.getPrincipal(), client_nonce: 1n }, last_incoming_sequence_num: 0n }] as [never];
    thief.socket.send(await thief.callFrame('ws_open', encodeWsOpenArgs({ client_nonce: 7n, gateway_principal: gatewayPrincipal, resume })));
    const closed = await thief.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/^ICWS_ERR_OPEN_REFUSED: the canister refused ws_open: Resume refused: only the session's own principal may resume it/);
    const next = new Promise<StreamMessage>((resolve) => (owner.onmessage = (event) => resolve(event.data)));
    await push('stream', owner.getPrincipal(), 1n, 1n);
    expect((await next).n).toBe(1n);
  });

  it('keeps the upstream client (ic-websocket-js) working against a canister with resume enabled', async () => {
    const upstream = loadUpstream();
    const first = await gateway();
    const canisterId = replica.canisterIds.stream!;
    const actor = upstreamActor(upstream, { ...wsServiceMethods(StreamMessage), ...streamMethods }, canisterId, replica.url.origin);
    const identity = upstream.generateRandomIdentity();
    const ws = new upstream.IcWebSocket(first.url, undefined, upstream.createWsConfig({ canisterId: canisterId.toText(), canisterActor: actor, identity, networkUrl: replica.url.origin }));
    const numbers: bigint[] = [];
    const errors: unknown[] = [];
    ws.onmessage = (event: { data: StreamMessage }) => numbers.push(event.data.n);
    ws.onerror = (event: unknown) => errors.push(event);
    await new Promise<void>((resolve) => (ws.onopen = () => resolve()));
    const principal = Principal.fromText(identity.getPrincipal().toText());
    await push('stream', principal, 1n, 3n);
    ws.send({ n: 0n, text: 'from upstream' });
    await until(async () => numbers.length === 3 && (await received('stream', principal)).length === 1, 'the exchange');
    expect(numbers).toEqual(range(1, 3));
    expect(await received('stream', principal)).toEqual(['from upstream']);
    const closed = new Promise<{ code: number }>((resolve) => (ws.onclose = resolve));
    ws.close();
    expect((await closed).code).toBe(1000);
    expect(errors).toEqual([]);
  });
});
