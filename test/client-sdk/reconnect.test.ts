/**
 * Reconnection end to end: when a connection ends (gateway restart, misbehaving gateway), an
 * IcWebSocket with `reconnect` opens a new connection — new socket, new client nonce — reporting
 * each step through events, and gives up after `maxAttempts`. With `resume: false` each is a new
 * session, sequence numbers from 1 (resumes are tested in resume.test.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRandomIdentity, IcWebSocket, type IcWebSocketReconnectEvent } from '@icws/client-sdk';
import { decodeWsOpenArgs } from '@icws/protocol';
import { startGateway } from '@icws/gateway';
import { appMessage, nextEvent, startStack, type Stack } from '../support/icws-stack';
import { flipBit, startTamperingGateway, type TamperingGateway } from '../support/tampering-gateway';

let stack: Stack;
let relay: TamperingGateway | undefined;
beforeAll(async () => {
  stack = await startStack({ gateway: false });
});
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});
afterAll(() => stack.close());

describe('IcWebSocket with reconnect', () => {
  it('comes back with a new session after the gateway restarts, with resume off', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'icws-reconnect-gw-'));
    const gatewayOptions = { icNetworkUrl: stack.replica.url.origin, prometheusEndpoint: null, dataDir, logLevel: 'silent' as const };
    let gateway = await startGateway({ ...gatewayOptions, gatewayAddress: '127.0.0.1:0' });
    const port = gateway.url.port;
    const ws = stack.client(generateRandomIdentity(), { reconnect: { minDelayMs: 100, maxDelayMs: 400, resume: false } }, gateway.url);
    const events: string[] = [];
    ws.onopen = () => events.push('open');
    ws.onerror = (event) => events.push(`error ${event.error.code}`);
    ws.addEventListener('reconnecting', (event) => events.push(`reconnecting ${event.attempt}`));
    ws.onmessage = (event) => events.push(`message ${event.data.text}`);

    try {
      await nextEvent(ws, 'message');
      const reconnecting = nextEvent(ws, 'reconnecting');
      await gateway.close(); // the gateway drains: closes every socket with 1001
      expect(await reconnecting).toMatchObject({ attempt: 1, code: 1001 });
      expect(ws.readyState).toBe(IcWebSocket.CONNECTING);

      gateway = await startGateway({ ...gatewayOptions, gatewayAddress: `127.0.0.1:${port}` });
      await nextEvent(ws, 'open');
      expect(await nextEvent(ws, 'message').then((e) => e.data.text)).toBe('ping'); // the canister greets the new session
      const reply = nextEvent(ws, 'message');
      ws.send(appMessage('back'));
      expect((await reply).data.text).toBe('back ping');
      expect(events[0]).toBe('open');
      expect(events).toContain('error ICWS_ERR_CONNECTION_CLOSED');
      expect(events.filter((e) => e === 'open')).toHaveLength(2);
      const closed = nextEvent(ws, 'close');
      ws.close();
      expect((await closed).code).toBe(1000);
    } finally {
      ws.close();
      await gateway.close();
    }
  });

  it('opens each session with a new client nonce after a gateway misbehaved', async () => {
    const nonces: bigint[] = [];
    relay = await startTamperingGateway({
      icNetworkUrl: stack.replica.url.origin,
      canisterId: stack.canisterId,
      hooks: {
        toCanister(request, info) {
          if (info.index === 0) nonces.push(decodeWsOpenArgs(request.envelope.content.arg).client_nonce);
          return true;
        },
        // the first session's "ping" is forged; later sessions are relayed faithfully
        toClient: (m, info) => (info.session === 0 && info.sequenceNum === 2n ? [{ ...m, content: flipBit(m.content, -1) }] : [m]),
      },
    });
    const ws = stack.client(generateRandomIdentity(), { reconnect: { minDelayMs: 50, maxDelayMs: 50 } }, relay.url);
    const error = nextEvent(ws, 'error');
    const reconnecting = nextEvent(ws, 'reconnecting');
    expect((await error).error.code).toBe('ICWS_ERR_INVALID_CONTENT');
    const event: IcWebSocketReconnectEvent = await reconnecting;
    expect(event).toMatchObject({ attempt: 1, code: 4002 });
    expect(event.error?.code).toBe('ICWS_ERR_INVALID_CONTENT');
    await nextEvent(ws, 'open');
    expect((await nextEvent(ws, 'message')).data.text).toBe('ping');
    expect(nonces).toHaveLength(2);
    expect(nonces[0]).not.toBe(nonces[1]);
    ws.close();
    await nextEvent(ws, 'close');
  });

  it('gives up after maxAttempts against a gateway that always misbehaves', async () => {
    relay = await startTamperingGateway({
      icNetworkUrl: stack.replica.url.origin,
      canisterId: stack.canisterId,
      hooks: { toClient: (m, info) => (info.sequenceNum === 1n ? [{ ...m, cert: flipBit(m.cert, -1) }] : [m]) },
    });
    const ws = stack.client(generateRandomIdentity(), { reconnect: { minDelayMs: 20, maxDelayMs: 40, maxAttempts: 2 } }, relay.url);
    const attempts: number[] = [];
    ws.addEventListener('reconnecting', (event) => attempts.push(event.attempt));
    const close = await nextEvent(ws, 'close', 20_000);
    expect(attempts).toEqual([1, 2]);
    expect(close.code).toBe(4002);
    expect(close.error?.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
    await expect(ws.opened).rejects.toBe(close.error);
  });
});
