/** Several gateways at once: one queue each, contiguous nonces each, one certification tree. */
import { decodeOutput, newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

let harness: WsTestCanister;
beforeEach(() => {
  harness = WsTestCanister.create();
});

describe('several gateways', () => {
  it('each poll only their own queue, numbered from 0, and every batch verifies', () => {
    const gateways = [newPrincipal(), newPrincipal(), newPrincipal()];
    const clients = gateways.map(() => [newPrincipal(), newPrincipal()]);
    for (const [g, pair] of clients.entries()) for (const client of pair) harness.open(client, 1n, gateways[g]);
    for (const [g, pair] of clients.entries()) for (const client of pair) harness.send(newPrincipal(), client, `for ${g}`);
    for (const [g, gateway] of gateways.entries()) {
      const batch = harness.getMessages(gateway, 0n);
      const decoded = batch.messages.map(decodeOutput);
      expect(decoded.map((m) => m.nonce)).toEqual([0n, 1n, 2n, 3n]);
      expect(batch.messages.every((m) => m.key.startsWith(`${gateway.toText()}_`))).toBe(true);
      expect(new Set(decoded.map((m) => m.message.client_key.client_principal.toText()))).toEqual(new Set(clients[g].map((c) => c.toText())));
      expect(decoded.filter((m) => m.app).map((m) => m.app?.text)).toEqual([`for ${g}`, `for ${g}`]);
      harness.verify(batch);
    }
    expect(harness.ws.metrics().certifiedMessages).toBe(12);
  });

  it('let a client move to another gateway: the new one gets its open message and later messages', () => {
    const [client, first, second] = [newPrincipal(), newPrincipal(), newPrincipal()];
    const key1 = harness.open(client, 1n, first);
    harness.send(newPrincipal(), client, 'test1', 'test2', 'test3', 'test4', 'test5');
    let batch = harness.getMessages(first, 0n);
    expect(batch).toMatchObject({ is_end_of_queue: true });
    expect(batch.messages).toHaveLength(6);
    harness.verify(batch);
    expect(harness.getMessages(second, 0n).messages).toHaveLength(0);

    expect(harness.wsClose(first, key1)).toEqual({ Ok: null });
    const key2 = harness.open(client, 2n, second);
    batch = harness.getMessages(second, 0n);
    expect(batch.messages.map(decodeOutput).map((m) => [m.nonce, m.message.sequence_num, m.service])).toEqual([[0n, 1n, { OpenMessage: { client_key: key2 } }]]);
    harness.verify(batch);

    harness.send(newPrincipal(), client, 'test1', 'test2', 'test3', 'test4', 'test5');
    batch = harness.getMessages(second, 0n);
    expect(batch.messages.map((m) => decodeOutput(m).message.sequence_num)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    harness.verify(batch);
    // The first gateway's queue is unchanged and still verifies against the new certified data.
    batch = harness.getMessages(first, 0n);
    expect(batch.messages).toHaveLength(6);
    harness.verify(batch);
  });

  it('refuse a gateway closing another gateway’s client', () => {
    const [client, first, second] = [newPrincipal(), newPrincipal(), newPrincipal()];
    harness.open(newPrincipal(), 1n, second);
    const key = harness.open(client, 1n, first);
    expect(harness.wsClose(second, key)).toEqual({ Err: `Client with key ${client.toText()}_1 was not registered to gateway ${second.toText()}` });
  });
});
