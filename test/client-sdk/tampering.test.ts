/**
 * The gateway is trusted with nothing: a gateway that changes the content, the certificate or the
 * tree of a message, reorders, repeats or drops messages, hands one client another's messages,
 * drops or blocks a client's messages, or never relays ws_open is caught, and the client reports an
 * error that says what happened and closes.
 */
import { generateRandomIdentity, IcWebSocket, IcWebSocketError } from '@icws/client-sdk';
import type { CanisterToClientMessage } from '@icws/protocol';
import type { AppMessage } from '../../examples/ping-pong/idl';
import { appMessage, nextEvent, startStack, type PingPongService, type Stack } from '../support/icws-stack';
import { flipBit, startTamperingGateway, type RelayHooks, type TamperingGateway } from '../support/tampering-gateway';

/** The canister acks every 2 s and wants a keep-alive within 1 s of each ack. */
const ACK_INTERVAL_MS = 2_000;

let stack: Stack;
let relay: TamperingGateway | undefined;
beforeAll(async () => {
  stack = await startStack({ gateway: false, init: { sendAckIntervalMs: ACK_INTERVAL_MS, keepAliveTimeoutMs: 1_000 } });
});
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});
afterAll(() => stack.close());

async function clientThrough(hooks: RelayHooks, extra: Parameters<Stack['config']>[1] = {}): Promise<IcWebSocket<PingPongService>> {
  relay = await startTamperingGateway({ icNetworkUrl: stack.replica.url.origin, canisterId: stack.canisterId, hooks });
  return stack.client(generateRandomIdentity(), { ackMessageIntervalMs: ACK_INTERVAL_MS, ...extra }, relay.url);
}

/** Waits for the error and close events that end `ws`; asserts the close code and returns the error. */
async function failure(ws: IcWebSocket<PingPongService>, closeCode: number, timeoutMs = 10_000): Promise<IcWebSocketError> {
  const errorEvent = nextEvent(ws, 'error', timeoutMs);
  const closeEvent = nextEvent(ws, 'close', timeoutMs);
  const { error } = await errorEvent;
  const close = await closeEvent;
  expect(error).toBeInstanceOf(IcWebSocketError);
  expect(close.code).toBe(closeCode);
  expect(close.error).toBe(error);
  expect(ws.readyState).toBe(IcWebSocket.CLOSED);
  return error;
}

/** Collects the texts `ws` delivers. */
function texts(ws: IcWebSocket<PingPongService>): string[] {
  const seen: string[] = [];
  ws.addEventListener('message', (event) => seen.push(event.data.text));
  return seen;
}

/** A hook that changes the canister's first application message (sequence number 2, "ping"). */
function onPing(change: (message: CanisterToClientMessage) => CanisterToClientMessage[]): RelayHooks {
  return { toClient: (message, info) => (info.sequenceNum === 2n ? change(message) : [message]) };
}

describe('IcWebSocket through a gateway', () => {
  it('that relays faithfully plays ping-pong (the relay itself is sound)', async () => {
    const ws = await clientThrough({});
    const seen = texts(ws);
    await nextEvent(ws, 'message');
    for (let round = 1; round <= 5; round++) {
      const reply = nextEvent(ws, 'message');
      ws.send(appMessage(`hello ${round}`));
      expect((await reply).data.text).toBe(`hello ${round} ping`);
    }
    expect(seen[0]).toBe('ping');
    ws.close();
    expect((await nextEvent(ws, 'close')).code).toBe(1000);
  });

  describe('that tampers with a message', () => {
    it('is caught when it changes the content', async () => {
      const ws = await clientThrough(onPing((m) => [{ ...m, content: flipBit(m.content, -3) }]));
      const seen = texts(ws);
      const error = await failure(ws, 4002);
      expect(error.code).toBe('ICWS_ERR_INVALID_CONTENT');
      expect(error.kind).toBe('trust');
      expect(error.message).toMatch(/^the content of message \S+_00000000000000000001 is not the content the canister certified/);
      expect(seen).toEqual([]);
    });

    it('is caught when it changes the certificate', async () => {
      const ws = await clientThrough(onPing((m) => [{ ...m, cert: flipBit(m.cert, -1) }]));
      const error = await failure(ws, 4002);
      expect(error.code).toBe('ICWS_ERR_INVALID_CERTIFICATE');
      expect(error.message).toContain('does not verify against the root key');
    });

    it('is caught when it changes the tree', async () => {
      const ws = await clientThrough(onPing((m) => [{ ...m, tree: flipBit(m.tree, -1) }]));
      const error = await failure(ws, 4002);
      expect(error.code).toBe('ICWS_ERR_INVALID_TREE');
      expect(error.message).toContain("differs from the canister's certified data");
    });

    it('is caught when it presents a message under another key', async () => {
      const ws = await clientThrough(onPing((m) => [{ ...m, key: m.key.replace(/1$/, '0') }]));
      expect((await failure(ws, 4002)).code).toBe('ICWS_ERR_INVALID_CONTENT');
    });
  });

  describe('that reorders, repeats or drops messages', () => {
    it('is caught when it swaps two messages', async () => {
      let held: CanisterToClientMessage | undefined;
      const ws = await clientThrough({
        toClient(message, info) {
          if (info.sequenceNum === 2n) return (held = message), [];
          if (info.sequenceNum === 3n && held) return [message, held];
          return [message];
        },
      });
      await ws.opened;
      ws.send(appMessage('after ping'));
      const error = await failure(ws, 4000);
      expect(error.code).toBe('ICWS_ERR_SEQUENCE_MISMATCH');
      expect(error.message).toBe('expected message 2 from the canister, got message 3: the gateway dropped or reordered message 2');
    });

    it('is caught when it repeats a message', async () => {
      const ws = await clientThrough(onPing((m) => [m, m]));
      const seen = texts(ws);
      const error = await failure(ws, 4000);
      expect(error.code).toBe('ICWS_ERR_SEQUENCE_MISMATCH');
      expect(error.message).toBe('expected message 3 from the canister, got message 2: the gateway repeated or reordered message 2');
      expect(seen).toEqual(['ping']);
    });

    it("is caught when it drops one of the canister's messages", async () => {
      const ws = await clientThrough(onPing(() => []));
      const seen = texts(ws);
      await ws.opened;
      ws.send(appMessage('anyone there?'));
      const error = await failure(ws, 4000);
      expect(error.code).toBe('ICWS_ERR_SEQUENCE_MISMATCH');
      expect(error.message).toContain('got message 3: the gateway dropped or reordered message 2');
      expect(seen).toEqual([]);
    });

    it("is caught when it hands a client another client's certified message", async () => {
      let stolen: CanisterToClientMessage | undefined;
      const ws1 = await clientThrough({
        toClient(message, info) {
          if (info.session === 0 && info.sequenceNum === 2n) stolen = message;
          if (info.session === 1 && info.sequenceNum === 2n && stolen) return [stolen];
          return [message];
        },
      });
      await nextEvent(ws1, 'message');
      const ws2 = stack.client(generateRandomIdentity(), { ackMessageIntervalMs: ACK_INTERVAL_MS }, relay!.url);
      const error = await failure(ws2, 4002);
      expect(error.code).toBe('ICWS_ERR_WRONG_CLIENT_KEY');
      expect(error.message).toContain(`is certified for client ${ws1.getPrincipal().toText()}_`);
      ws1.close();
    });
  });

  describe("that drops or blocks the client's messages", () => {
    it('is caught by the canister when it drops one (WrongSequenceNumber)', async () => {
      const ws = await clientThrough({ toCanister: (_request, info) => info.index !== 1 });
      await ws.opened;
      ws.send(appMessage('dropped'));
      ws.send(appMessage('relayed'));
      const error = await failure(ws, 4005);
      expect(error.code).toBe('ICWS_ERR_CANISTER_CLOSED');
      expect(error.message).toBe('the canister closed the connection: WrongSequenceNumber');
    });

    it('is caught by the silence of the canister when it blackholes the connection once open', async () => {
      // the canister notices the missing keep-alives, but its close message is blocked too; the
      // client's sent message is never acknowledged, and no ack nor any other message comes in
      const ws = await clientThrough(
        { toCanister: (_request, info) => info.index === 0, toClient: (m, info) => (info.sequenceNum === 1n ? [m] : []) },
        { latencyBoundMs: 1_000 },
      );
      await ws.opened;
      ws.send(appMessage('blocked'));
      const error = await failure(ws, 4007);
      expect(error.code).toBe('ICWS_ERR_CANISTER_SILENT');
      expect(error.message).toMatch(/^no ack nor other message from the canister for 3000 ms/);
    });

    it('is caught by the open timeout when it never relays ws_open', async () => {
      const ws = await clientThrough({ toCanister: () => false }, { openTimeoutMs: 1_500 });
      const opened = ws.opened;
      const error = await failure(ws, 4003);
      expect(error.code).toBe('ICWS_ERR_OPEN_TIMEOUT');
      expect(error.message).toMatch(/^the canister's open message did not arrive within 1500 ms/);
      await expect(opened).rejects.toBe(error);
    });
  });

  it('keeps the connection through acks and keep-alives while it relays faithfully', async () => {
    const ws = await clientThrough({});
    await nextEvent(ws, 'message');
    for (let i = 0; i < 4; i++) {
      const reply = nextEvent(ws, 'message');
      ws.send(appMessage(`tick ${i}`));
      expect((await reply).data.text).toBe(`tick ${i} ping`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    // 4 s at a 2 s ack interval: the canister acked and got keep-alives; nothing closed
    expect(ws.readyState).toBe(IcWebSocket.OPEN);
    ws.close();
    expect((await nextEvent(ws, 'close')).code).toBe(1000);
  }, 20_000);
});

export type { AppMessage };
