/**
 * A message that traps changes nothing: when an application handler (or the application after a
 * `send`) throws, the replica rejects the call and the CDK's queues, clients and certification are
 * as before, so the next poll still verifies.
 */
import { IDL } from '@dfinity/candid';
import type { Principal } from '@dfinity/principal';
import type { ClientKey } from '@icws/protocol';
import { appBytes, newPrincipal, WsHarness } from '../../../../test/support/ws-harness';

let harness: WsHarness;
let gateway: Principal;
let client: Principal;
let key: ClientKey;
beforeEach(async () => {
  harness = await WsHarness.create();
  [gateway, client] = [newPrincipal(), newPrincipal()];
  key = await harness.open(client, 1n, gateway);
  await harness.send(newPrincipal(), client, 'before');
});
afterEach(() => harness.close());

/** The observable state: queue, clients, certification. */
async function snapshot() {
  return { queued: await harness.queued(gateway), clients: harness.ws.clients(), metrics: harness.ws.metrics() };
}

describe('a trap', () => {
  it('in onMessage, after sending, rejects the call and undoes the send and the sequence number', async () => {
    const before = await snapshot();
    harness.hooks.onMessage = ({ clientPrincipal }) => {
      harness.ws.sendMessage(clientPrincipal, { text: 'reply' });
      throw new Error('handler bug');
    };
    await expect(harness.appMessage(key, 1n, 'boom')).rejects.toThrow(/ws_message rejected: .*trapped: handler bug/);
    expect(await snapshot()).toEqual(before);
    await harness.verify(await harness.getMessages(gateway, 0n));
    harness.hooks.onMessage = undefined;
    expect(await harness.appMessage(key, 1n, 'retry')).toEqual({ Ok: null }); // 1 is still expected
  });

  it('in onMessage decoding a malformed app message leaves the connection as it was', async () => {
    const before = await snapshot();
    const outcome = await harness.wsMessage(client, { client_key: key, sequence_num: 1n, timestamp: 0n, is_service_message: false, content: new Uint8Array([7]) }).catch((err: Error) => err);
    expect(String(outcome)).toMatch(/not an app message of type record \{text:text\}/);
    expect(await snapshot()).toEqual(before);
  });

  it('in onOpen leaves the client unregistered and the gateway unknown', async () => {
    const newcomer = newPrincipal();
    const otherGateway = newPrincipal();
    harness.hooks.onOpen = () => {
      throw new Error('no entry');
    };
    await expect(harness.wsOpen(newcomer, 1n, otherGateway)).rejects.toThrow(/trapped: no entry/);
    expect(harness.ws.isConnected(newcomer)).toBe(false);
    expect(harness.ws.metrics().registeredGateways).toBe(1);
    expect((await harness.getMessages(otherGateway, 0n)).messages).toEqual([]);
  });

  it('in onOpen of a reconnecting principal restores its previous connection', async () => {
    const before = await snapshot();
    harness.hooks.onOpen = () => {
      throw new Error('no reconnect');
    };
    await expect(harness.wsOpen(client, 2n, gateway)).rejects.toThrow(/trapped/);
    expect(await snapshot()).toEqual(before);
    harness.hooks.onOpen = undefined;
    expect(await harness.appMessage(key, 1n, 'still connected')).toEqual({ Ok: null });
  });

  it('in onClose keeps the client connected', async () => {
    harness.hooks.onClose = () => {
      throw new Error('cannot let go');
    };
    await expect(harness.wsClose(gateway, key)).rejects.toThrow(/trapped: cannot let go/);
    expect(harness.ws.isConnected(client)).toBe(true);
  });

  it('in the application after ws.send drops the queued message and keeps the certification valid', async () => {
    const before = await snapshot();
    const arg = new Uint8Array(IDL.encode([IDL.Principal, IDL.Vec(IDL.Nat8)], [client, appBytes('lost')]));
    expect(await harness.raw(newPrincipal(), 'send_then_trap', arg)).toMatchObject({ status: 'rejected', errorCode: 'IC0503' });
    expect(await snapshot()).toEqual(before);
    await harness.send(newPrincipal(), client, 'after');
    const batch = await harness.getMessages(gateway, 0n);
    await harness.verify(batch);
    expect(batch.messages).toHaveLength(3);
  });

  it('does not happen for ws.send in a query, whose effects are discarded as on the IC', async () => {
    const before = await snapshot();
    const arg = new Uint8Array(IDL.encode([IDL.Principal, IDL.Vec(IDL.Nat8)], [client, appBytes('ephemeral')]));
    const outcome = await harness.replica.query(harness.canisterId, 'send_in_query', arg, newPrincipal());
    expect(outcome.status).toBe('replied');
    expect(await snapshot()).toEqual(before);
    await harness.verify(await harness.getMessages(gateway, 0n));
  });
});
