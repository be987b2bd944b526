/** `ws_open`: a client opens a connection through a gateway. */
import { Principal } from '@icp-sdk/core/principal';
import { decodeServiceMessage } from '@icws/protocol';
import { appBytes, decodeOutput, newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

let harness: WsTestCanister;
beforeEach(() => {
  harness = WsTestCanister.create();
});

describe('ws_open', () => {
  it('refuses the anonymous principal, changing nothing', () => {
    const gateway = newPrincipal();
    expect(harness.wsOpen(Principal.anonymous(), 1n, gateway)).toEqual({ Err: 'Anonymous principal is not allowed' });
    expect(harness.ws.clientCount).toBe(0);
    expect(harness.events).toEqual([]);
    expect(harness.ws.metrics().registeredGateways).toBe(0);
  });

  it('registers the client and queues a certified open message with its key for the gateway', () => {
    const [client, gateway] = [newPrincipal(), newPrincipal()];
    const key = harness.open(client, 42n, gateway);
    const batch = harness.getMessages(gateway, 0n);
    expect(batch.messages).toHaveLength(1);
    const [output] = batch.messages;
    expect(output.key).toBe(`${gateway.toText()}_00000000000000000000`);
    expect(output.client_key).toEqual(key);
    expect(harness.queued(gateway)[0]).toMatchObject({
      message: { client_key: key, sequence_num: 1n, is_service_message: true },
      service: { OpenMessage: { client_key: key } },
    });
    harness.verify(batch);
    expect(harness.ws.isConnected(client)).toBe(true);
    expect(harness.ws.client(client)).toMatchObject({ clientPrincipal: client, clientNonce: 42n, gatewayPrincipal: gateway, messagesSent: 1n });
  });

  it('calls onOpen with the client principal, after the open message is queued', () => {
    const [client, gateway] = [newPrincipal(), newPrincipal()];
    harness.hooks.onOpen = ({ clientPrincipal }) => {
      expect(harness.ws.send(clientPrincipal, appBytes('welcome'))).toEqual({ Ok: null });
    };
    harness.open(client, 1n, gateway);
    expect(harness.events).toEqual([{ kind: 'open', client: client.toText() }]);
    const queued = harness.queued(gateway);
    expect(queued.map((m) => m.message.sequence_num)).toEqual([1n, 2n]);
    expect(queued[0].service).toHaveProperty('OpenMessage');
    expect(queued[1].app).toEqual({ text: 'welcome' });
  });

  it('refuses a client key (principal and nonce) that is connected already', () => {
    const [client, gateway] = [newPrincipal(), newPrincipal()];
    harness.open(client, 7n, gateway);
    expect(harness.wsOpen(client, 7n, gateway)).toEqual({
      Err: `Client with key ${client.toText()}_7 already has an open connection`,
    });
    expect(harness.queued(gateway)).toHaveLength(1);
    expect(harness.events).toHaveLength(1);
  });

  it('replaces the connection of a principal that opens again with another nonce', () => {
    const [client, gateway] = [newPrincipal(), newPrincipal()];
    harness.open(client, 1n, gateway);
    const key = harness.open(client, 2n, gateway);
    expect(harness.events).toEqual([
      { kind: 'open', client: client.toText() },
      { kind: 'close', client: client.toText(), cause: 'Reopened' },
      { kind: 'open', client: client.toText() },
    ]);
    expect(harness.ws.clients()).toEqual([expect.objectContaining({ clientNonce: 2n })]);
    const queued = harness.queued(gateway);
    // The old connection is told at once, in sequence; the new one starts at sequence 1.
    expect(queued.map((m) => [m.message.client_key.client_nonce, m.message.sequence_num])).toEqual([
      [1n, 1n],
      [1n, 2n],
      [2n, 1n],
    ]);
    expect(queued[1].service).toEqual({ CloseMessage: { reason: { ClosedByApplication: null } } });
    expect(queued[2].service).toEqual({ OpenMessage: { client_key: key } });
    expect(harness.ws.metrics().gateways[0].connectedClients).toBe(1);
  });

  it('lets the new connection use another gateway, leaving the old gateway without clients', () => {
    const [client, first, second] = [newPrincipal(), newPrincipal(), newPrincipal()];
    harness.open(client, 1n, first);
    harness.open(client, 2n, second);
    const byGateway = Object.fromEntries(harness.ws.metrics().gateways.map((g) => [g.gatewayPrincipal.toText(), g.connectedClients]));
    expect(byGateway).toEqual({ [first.toText()]: 0, [second.toText()]: 1 });
    expect(decodeServiceMessage(harness.queued(second)[0].message.content.slice())).toHaveProperty('OpenMessage');
  });

  it('tells the replaced connection through its own gateway, in its next poll', () => {
    const [client, first, second] = [newPrincipal(), newPrincipal(), newPrincipal()];
    const oldKey = harness.open(client, 1n, first);
    harness.getMessages(first, 1n); // the first gateway has the open message
    harness.open(client, 2n, second);
    const next = harness.getMessages(first, 1n);
    expect(next.messages).toHaveLength(1);
    harness.verify(next);
    const closing = decodeOutput(next.messages[0]);
    expect(closing.message.client_key).toEqual(oldKey);
    expect(closing.message.sequence_num).toBe(2n);
    expect(closing.service).toEqual({ CloseMessage: { reason: { ClosedByApplication: null } } });
    expect(harness.events.filter((e) => e.kind === 'close')).toEqual([{ kind: 'close', client: client.toText(), cause: 'Reopened' }]);
  });
});
