/** `ws_close`: the gateway reports that a client's WebSocket closed. */
import { newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

let harness: WsTestCanister;
beforeEach(() => {
  harness = WsTestCanister.create();
});

describe('ws_close', () => {
  it('refuses a caller that is not a registered gateway', () => {
    const [client, gateway, stranger] = [newPrincipal(), newPrincipal(), newPrincipal()];
    const key = harness.open(client, 1n, gateway);
    expect(harness.wsClose(stranger, key)).toEqual({ Err: `Gateway with principal ${stranger.toText()} is not registered` });
    expect(harness.ws.isConnected(client)).toBe(true);
  });

  it('refuses a client key without a connection', () => {
    const [client, gateway, other] = [newPrincipal(), newPrincipal(), newPrincipal()];
    harness.open(client, 1n, gateway);
    expect(harness.wsClose(gateway, { client_principal: other, client_nonce: 1n })).toEqual({
      Err: `Client with key ${other.toText()}_1 doesn't have an open connection`,
    });
    expect(harness.wsClose(gateway, { client_principal: client, client_nonce: 2n })).toEqual({
      Err: `Client with key ${client.toText()}_2 doesn't have an open connection`,
    });
    expect(harness.ws.isConnected(client)).toBe(true);
  });

  it('refuses a gateway closing a client that connected through another gateway', () => {
    const [client1, client2, gateway1, gateway2] = [newPrincipal(), newPrincipal(), newPrincipal(), newPrincipal()];
    const key1 = harness.open(client1, 1n, gateway1);
    harness.open(client2, 1n, gateway2);
    expect(harness.wsClose(gateway2, key1)).toEqual({
      Err: `Client with key ${client1.toText()}_1 was not registered to gateway ${gateway2.toText()}`,
    });
    expect(harness.ws.isConnected(client1)).toBe(true);
  });

  it('removes the client, calls onClose, and refuses a second close', () => {
    const [client, gateway] = [newPrincipal(), newPrincipal()];
    const key = harness.open(client, 1n, gateway);
    expect(harness.wsClose(gateway, key)).toEqual({ Ok: null });
    expect(harness.ws.isConnected(client)).toBe(false);
    expect(harness.events.at(-1)).toEqual({ kind: 'close', client: client.toText(), cause: 'ClosedByGateway' });
    expect(harness.wsClose(gateway, key)).toEqual({ Err: `Client with key ${client.toText()}_1 doesn't have an open connection` });
    // No close message: the client is gone already. Its queued messages stay pollable.
    expect(harness.queued(gateway).map((m) => Object.keys(m.service ?? {}))).toEqual([['OpenMessage']]);
    expect(harness.ws.metrics().gateways[0]).toMatchObject({ connectedClients: 0, idleSinceNs: expect.any(BigInt) });
  });
});
