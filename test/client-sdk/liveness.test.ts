/**
 * The client finds out on its own, whether it sends or not: a gateway that withholds every message,
 * a replica that stops, or a newer connection of the same identity that replaced this one shows as
 * a silent canister within the ack interval plus the latency bound; a refusal that a new connection
 * would meet again (an expired delegation) ends the client once, with no reconnection loop.
 */
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { CloseCode, generateRandomIdentity, IcWebSocket, IcWebSocketError, type SocketConstructor } from '@icws/client-sdk';
import WebSocket from 'ws';
import { appMessage, nextEvent, startStack, type PingPongService, type Stack } from '../support/icws-stack';
import { startTamperingGateway, type TamperingGateway } from '../support/tampering-gateway';

/** The canister acks every 2 s and wants a keep-alive within 1 s of each ack. */
const ACK_INTERVAL_MS = 2_000;
const LATENCY_BOUND_MS = 1_000;
/** How long an open client waits for the canister's next message. */
const BOUND_MS = ACK_INTERVAL_MS + LATENCY_BOUND_MS;
const CANISTER_SETTINGS = { sendAckIntervalMs: ACK_INTERVAL_MS, keepAliveTimeoutMs: 1_000 };
const CLIENT_SETTINGS = { ackMessageIntervalMs: ACK_INTERVAL_MS, latencyBoundMs: LATENCY_BOUND_MS };

/** Waits for the error and close events that end `ws` for good; returns both. */
async function ending(ws: IcWebSocket<PingPongService>, timeoutMs: number) {
  const [error, close] = await Promise.all([nextEvent(ws, 'error', timeoutMs), nextEvent(ws, 'close', timeoutMs)]);
  expect(error.error).toBeInstanceOf(IcWebSocketError);
  expect(close.error).toBe(error.error);
  expect(ws.readyState).toBe(IcWebSocket.CLOSED);
  return { error: error.error, close };
}

/** @returns how long `promise` took, in milliseconds, with its value. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await promise;
  return { ms: performance.now() - start, value };
}

describe('an idle IcWebSocket', () => {
  let stack: Stack;
  let relay: TamperingGateway | undefined;
  beforeAll(async () => {
    stack = await startStack({ init: CANISTER_SETTINGS });
  });
  afterEach(async () => {
    await relay?.close();
    relay = undefined;
  });
  afterAll(() => stack.close());

  it('detects a gateway that starts withholding every message within the bound', async () => {
    let withhold = false;
    relay = await startTamperingGateway({
      icNetworkUrl: stack.replica.url.origin,
      canisterId: stack.canisterId,
      hooks: { toClient: (message) => (withhold ? [] : [message]) },
    });
    const ws = stack.client(generateRandomIdentity(), CLIENT_SETTINGS, relay.url);
    expect((await nextEvent(ws, 'message')).data.text).toBe('ping');
    // a few acks come through and are answered: the connection is healthy while idle
    for (let ack = 0; ack < 2; ack++) await new Promise((resolve) => setTimeout(resolve, ACK_INTERVAL_MS));
    expect(ws.readyState).toBe(IcWebSocket.OPEN);

    withhold = true;
    const { ms, value } = await timed(ending(ws, 4 * BOUND_MS));
    expect(value.close.code).toBe(4007);
    expect(value.error.code).toBe('ICWS_ERR_CANISTER_SILENT');
    expect(value.error.message).toContain(`for ${BOUND_MS} ms`);
    // from the last message heard, so within one bound of the start of the withholding
    expect(ms / BOUND_MS).toBeLessThan(1.25);
  });

  it('learns at the next poll that a newer connection of the same identity replaced it, and the newer one keeps working', async () => {
    const identity = Ed25519KeyIdentity.generate();
    const first = stack.client(identity, CLIENT_SETTINGS);
    await nextEvent(first, 'message');
    const firstCloses = nextEvent(first, 'close', 4 * BOUND_MS);
    const second = stack.client(identity, CLIENT_SETTINGS);
    await nextEvent(second, 'message');
    // The canister tells the replaced key with a close message, which ends it for good (4001).
    const { ms, value } = await timed(firstCloses);
    expect(value.code).toBe(CloseCode.CLOSED_BY_APPLICATION);
    expect(ms / BOUND_MS).toBeLessThan(0.5);
    expect(first.readyState).toBe(IcWebSocket.CLOSED);
    const reply = nextEvent(second, 'message');
    second.send(appMessage('still here'));
    expect((await reply).data.text).toBe('still here ping');
    second.close();
    await nextEvent(second, 'close');
  });

  it('refuses an oversized message before sending it and stays open', async () => {
    const ws = stack.client(generateRandomIdentity(), { ...CLIENT_SETTINGS, maxMessageBytes: 64 * 1024 });
    await nextEvent(ws, 'message');
    expect(() => ws.send(appMessage('x'.repeat(2 * 1024 * 1024)))).toThrow(
      expect.objectContaining({ code: 'ICWS_ERR_MESSAGE_TOO_LARGE', message: expect.stringContaining('over the limit of 65536 bytes') }),
    );
    const reply = nextEvent(ws, 'message');
    ws.send(appMessage('small'));
    expect((await reply).data.text).toBe('small ping');
    ws.close();
    await nextEvent(ws, 'close');
  });
});

describe('an idle IcWebSocket whose replica stops', () => {
  it('detects it within the bound and, with reconnect, tries again', async () => {
    const stack = await startStack({ init: CANISTER_SETTINGS });
    const ws = stack.client(generateRandomIdentity(), { ...CLIENT_SETTINGS, reconnect: { minDelayMs: 50, maxDelayMs: 50 } });
    try {
      await nextEvent(ws, 'message');
      const reconnecting = nextEvent(ws, 'reconnecting', 4 * BOUND_MS);
      await stack.replica.close();
      const { ms, value } = await timed(reconnecting);
      expect(value.code).toBe(4007);
      expect(value.error?.code).toBe('ICWS_ERR_CANISTER_SILENT');
      expect(ms / BOUND_MS).toBeLessThan(1.25);
    } finally {
      ws.close();
      await stack.gateway.close();
    }
  });
});

describe('an IcWebSocket with an expired delegation', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  it('ends with one error and one close, and opens no second connection', async () => {
    const root = Ed25519KeyIdentity.generate();
    const session = Ed25519KeyIdentity.generate();
    const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() - 60_000), { targets: [stack.canisterId] });
    const identity = DelegationIdentity.fromDelegation(session, chain);
    let sockets = 0;
    class CountingSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets++;
      }
    }
    const ws = stack.client(identity, { reconnect: { minDelayMs: 10, maxDelayMs: 20 }, WebSocket: CountingSocket as unknown as SocketConstructor });
    const events: string[] = [];
    ws.addEventListener('error', (event) => events.push(`error ${event.error.code}`));
    ws.addEventListener('reconnecting', () => events.push('reconnecting'));
    ws.addEventListener('close', (event) => events.push(`close ${event.code}`));
    const { error, close } = await ending(ws, 10_000);
    expect(error.code).toBe('ICWS_ERR_CONNECTION_REFUSED');
    expect(error.message).toContain('ICWS_ERR_ENVELOPE_REFUSED');
    expect(error.message).toMatch(/delegation/);
    expect(close.reason).toMatch(/^ICWS_ERR_ENVELOPE_REFUSED: /);
    // long enough for several reconnections at 10-20 ms if one had been scheduled
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(events).toEqual([`error ICWS_ERR_CONNECTION_REFUSED`, `close ${close.code}`]);
    expect(sockets).toBe(1);
  });
});
