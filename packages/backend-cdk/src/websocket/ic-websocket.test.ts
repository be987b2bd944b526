/** `createIcWebSocket`: the developer-facing API beside the protocol methods. */
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { wsServiceMethods } from '@icws/protocol';
import { defineCanister } from '../canister/define';
import { IcwsError } from '@icws/protocol';
import { TestCanister } from '../testing/test-canister';
import { createIcWebSocket, type IcWebSocketOptions } from './ic-websocket';
import { newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

/** @returns what installing a canister made with `options` throws, if anything. */
function installError(options: IcWebSocketOptions): unknown {
  try {
    TestCanister.install(defineCanister((ic) => createIcWebSocket(ic, options).methods), undefined);
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('createIcWebSocket', () => {
  describe('settings', () => {
    it('default to the upstream values, with replies capped at 2 MiB, queues at 100,000 messages or 256 MiB, and sessions resumable for 2 minutes', () => {
      const harness = WsTestCanister.create();
      expect(harness.ws.settings).toEqual({
        sendAckIntervalMs: 300_000,
        keepAliveTimeoutMs: 60_000,
        maxNumberOfReturnedMessages: 50,
        maxRequestedMessages: 1_000,
        maxReturnedBytes: 2 * 1024 * 1024,
        maxQueuedMessages: 100_000,
        maxQueuedBytes: 256 * 1024 * 1024,
        recoveryWindowMs: 120_000,
        maxRecoveryMessages: 1_000,
        maxRecoveryBytes: 1024 * 1024,
      });
      expect(harness.ws.maxMessageBytes).toBe(2 * 1024 * 1024 - 64 * 1024 - 512 - 256);
    });

    it('let gateways ask for at least maxNumberOfReturnedMessages per poll by default', () => {
      expect(WsTestCanister.create({ maxNumberOfReturnedMessages: 2_000 }).ws.settings.maxRequestedMessages).toBe(2_000);
    });

    it.each([
      [{ sendAckIntervalMs: 60_000 }, 'sendAckIntervalMs (60000) must be greater than keepAliveTimeoutMs (60000)'],
      [{ sendAckIntervalMs: 10_000, keepAliveTimeoutMs: 20_000 }, 'must be greater than keepAliveTimeoutMs'],
      [{ maxNumberOfReturnedMessages: 0 }, 'maxNumberOfReturnedMessages must be a positive integer, got 0'],
      [{ recoveryWindowMs: -1 }, 'recoveryWindowMs must be an integer >= 0 (0 keeps no sessions to resume), got -1'],
      [{ maxRecoveryMessages: 0 }, 'maxRecoveryMessages must be a positive integer, got 0'],
      [{ keepAliveTimeoutMs: 1.5 }, 'keepAliveTimeoutMs must be a positive integer, got 1.5'],
      [{ maxReturnedBytes: 4 * 1024 * 1024 }, 'maxReturnedBytes (4194304) must be at most 3145728: the IC refuses a larger query reply'],
      [{ maxReturnedBytes: 65_000 }, 'maxReturnedBytes (65000) leaves no room for a message'],
      [{ maxQueuedBytes: 1024 * 1024 }, 'maxQueuedBytes (1048576) must be at least maxReturnedBytes (2097152)'],
      [{ maxQueuedMessages: -1 }, 'maxQueuedMessages must be a positive integer, got -1'],
      [{ maxNumberOfReturnedMessages: 100, maxRequestedMessages: 99 }, 'maxRequestedMessages (99) must be at least maxNumberOfReturnedMessages (100)'],
    ])('refuse %j', (options, message) => {
      const err = installError(options);
      expect(err).toBeInstanceOf(IcwsError);
      expect((err as IcwsError).code).toBe('ICWS_ERR_WS_CONFIG');
      expect((err as IcwsError).message).toContain(message);
    });
  });

  describe('#methods', () => {
    it('have exactly the Candid signatures of the protocol, with the app message type in ws_message', () => {
      const App = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64 });
      const { methods } = TestCanister.install(defineCanister((ic) => createIcWebSocket(ic, { appMessage: App }).methods), undefined);
      const expected = wsServiceMethods(App);
      for (const name of ['ws_open', 'ws_close', 'ws_message', 'ws_get_messages'] as const) {
        const { argTypes, retTypes, mode } = methods[name];
        expect(IDL.Func([...argTypes] as [IDL.Type], [...retTypes] as [IDL.Type], mode === 'query' ? ['query'] : []).display()).toBe(
          expected[name].display(),
        );
      }
      expect(methods.ws_message.argTypes[1].display()).toBe('opt record {text:text; timestamp:nat64}');
      expect(methods.ws_get_messages.mode).toBe('query');
    });
  });

  describe('#send, #sendMessage, #close', () => {
    let harness: WsTestCanister;
    let gateway: Principal;
    beforeEach(() => {
      harness = WsTestCanister.create();
      gateway = newPrincipal();
    });

    it('refuse a principal without a connection with Err', () => {
      const stranger = newPrincipal();
      const err = `Client with principal ${stranger.toText()} doesn't have an open connection`;
      expect(harness.send(newPrincipal(), stranger, 'hi')).toEqual({ Err: err });
      expect(harness.closeClient(newPrincipal(), stranger)).toEqual({ Err: err });
    });

    it('queue a certified app message for the client', () => {
      const client = newPrincipal();
      harness.open(client, 1n, gateway);
      expect(harness.send(newPrincipal(), client, 'one', 'two')).toEqual({ Ok: null });
      const queued = harness.queued(gateway);
      expect(queued.map((m) => m.app?.text)).toEqual([undefined, 'one', 'two']);
      harness.verify(harness.getMessages(gateway, 0n));
    });

    it('close a connection with a ClosedByApplication close message, calling onClose', () => {
      const client = newPrincipal();
      harness.open(client, 1n, gateway);
      expect(harness.closeClient(newPrincipal(), client)).toEqual({ Ok: null });
      expect(harness.ws.isConnected(client)).toBe(false);
      expect(harness.events.at(-1)).toEqual({ kind: 'close', client: client.toText(), cause: 'ClosedByApplication' });
      const queued = harness.queued(gateway);
      expect(queued.at(-1)?.service).toEqual({ CloseMessage: { reason: { ClosedByApplication: null } } });
      expect(harness.closeClient(newPrincipal(), client)).toEqual({ Err: `Client with principal ${client.toText()} doesn't have an open connection` });
    });

    it('encode and decode app messages with the canister type, refusing what does not fit', () => {
      expect(harness.ws.decodeMessage(harness.ws.encodeMessage({ text: 'round trip' }))).toEqual({ text: 'round trip' });
      expect(() => harness.ws.encodeMessage({ wrong: 1 } as never)).toThrow(expect.objectContaining({ code: 'ICWS_ERR_WS_APP_MESSAGE' }));
      expect(() => harness.ws.decodeMessage(new Uint8Array([1, 2, 3]))).toThrow(/not an app message of type record \{text:text\}/);
      expect(() => harness.ws.send(newPrincipal(), 'text' as never)).toThrow(/expected the message as a Uint8Array, got string/);
    });
  });

  describe('#broadcast, #clients, #metrics', () => {
    it('broadcast to every client or a filtered few, each with its own sequence number', () => {
      const harness = WsTestCanister.create();
      const [g1, g2] = [newPrincipal(), newPrincipal()];
      const clients = [newPrincipal(), newPrincipal(), newPrincipal()];
      harness.open(clients[0], 1n, g1);
      harness.open(clients[1], 1n, g1);
      harness.open(clients[2], 1n, g2);
      harness.hooks.onMessage = ({ message }) => {
        harness.ws.broadcast(message);
        harness.ws.broadcastMessage({ text: 'not to 0' }, (p) => p.toText() !== clients[0].toText());
      };
      expect(harness.appMessage({ client_principal: clients[0], client_nonce: 1n }, 1n, 'to all')).toEqual({ Ok: null });
      const all = [...harness.queued(g1), ...harness.queued(g2)].filter((m) => m.app !== undefined);
      const received = (p: Principal) => all.filter((m) => m.message.client_key.client_principal.toText() === p.toText()).map((m) => [m.app?.text, m.message.sequence_num]);
      expect(received(clients[0])).toEqual([['to all', 2n]]);
      expect(received(clients[1])).toEqual([['to all', 2n], ['not to 0', 3n]]);
      expect(received(clients[2])).toEqual([['to all', 2n], ['not to 0', 3n]]);
      harness.verify(harness.getMessages(g1, 0n));
      harness.verify(harness.getMessages(g2, 0n));

      expect(harness.ws.clientCount).toBe(3);
      expect(harness.ws.clients().map((c) => c.clientPrincipal.toText())).toEqual(clients.map((c) => c.toText()));
      expect(harness.ws.isConnected(newPrincipal())).toBe(false);
      const metrics = harness.ws.metrics();
      expect(metrics).toMatchObject({ connectedClients: 3, registeredGateways: 2, certifiedMessages: 8 });
      expect(metrics.gateways.map((g) => [g.gatewayPrincipal.toText(), g.connectedClients, g.queuedMessages, g.nextNonce])).toEqual([
        [g1.toText(), 2, 5, 5n],
        [g2.toText(), 1, 3, 3n],
      ]);
      expect(metrics.gateways[0].queuedBytes).toBeGreaterThan(0);
    });
  });
});
