/** `ws_close`: the gateway reports that a client's WebSocket closed. */
import { newPrincipal, WsHarness } from '../../../../test/support/ws-harness';

let harness: WsHarness;
beforeEach(async () => {
  harness = await WsHarness.create();
});
afterEach(() => harness.close());

describe('ws_close', () => {
  it('refuses a caller that is not a registered gateway', async () => {
    const [client, gateway, stranger] = [newPrincipal(), newPrincipal(), newPrincipal()];
    const key = await harness.open(client, 1n, gateway);
    expect(await harness.wsClose(stranger, key)).toEqual({ Err: `Gateway with principal ${stranger.toText()} is not registered` });
    expect(harness.ws.isConnected(client)).toBe(true);
  });

  it('refuses a client key without a connection', async () => {
    const [client, gateway, other] = [newPrincipal(), newPrincipal(), newPrincipal()];
    await harness.open(client, 1n, gateway);
    expect(await harness.wsClose(gateway, { client_principal: other, client_nonce: 1n })).toEqual({
      Err: `Client with key ${other.toText()}_1 doesn't have an open connection`,
    });
    expect(await harness.wsClose(gateway, { client_principal: client, client_nonce: 2n })).toEqual({
      Err: `Client with key ${client.toText()}_2 doesn't have an open connection`,
    });
    expect(harness.ws.isConnected(client)).toBe(true);
  });

  it('refuses a gateway closing a client that connected through another gateway', async () => {
    const [client1, client2, gateway1, gateway2] = [newPrincipal(), newPrincipal(), newPrincipal(), newPrincipal()];
    const key1 = await harness.open(client1, 1n, gateway1);
    await harness.open(client2, 1n, gateway2);
    expect(await harness.wsClose(gateway2, key1)).toEqual({
      Err: `Client with key ${client1.toText()}_1 was not registered to gateway ${gateway2.toText()}`,
    });
    expect(harness.ws.isConnected(client1)).toBe(true);
  });

  it('removes the client, calls onClose, and refuses a second close', async () => {
    const [client, gateway] = [newPrincipal(), newPrincipal()];
    const key = await harness.open(client, 1n, gateway);
    expect(await harness.wsClose(gateway, key)).toEqual({ Ok: null });
    expect(harness.ws.isConnected(client)).toBe(false);
    expect(harness.events.at(-1)).toEqual({ kind: 'close', client: client.toText(), cause: 'ClosedByGateway' });
    expect(await harness.wsClose(gateway, key)).toEqual({ Err: `Client with key ${client.toText()}_1 doesn't have an open connection` });
    // No close message: the client is gone already. Its queued messages stay pollable.
    expect((await harness.queued(gateway)).map((m) => Object.keys(m.service ?? {}))).toEqual([['OpenMessage']]);
    expect(harness.ws.metrics().gateways[0]).toMatchObject({ connectedClients: 0, idleSinceNs: expect.any(BigInt) });
  });
});
