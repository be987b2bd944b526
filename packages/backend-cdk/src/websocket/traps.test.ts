/**
 * A message that traps changes nothing: when an application handler (or the application after a
 * `send`) throws, the call is rejected and the CDK's queues, clients and certification are as
 * before, so the next poll still verifies.
 */
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import type { ClientKey } from '@icws/protocol';
import { appBytes, newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

let harness: WsTestCanister;
let gateway: Principal;
let client: Principal;
let key: ClientKey;
beforeEach(() => {
  harness = WsTestCanister.create();
  [gateway, client] = [newPrincipal(), newPrincipal()];
  key = harness.open(client, 1n, gateway);
  harness.send(newPrincipal(), client, 'before');
});

/** The observable state: queue, clients, certification. */
function snapshot() {
  return { queued: harness.queued(gateway), clients: harness.ws.clients(), metrics: harness.ws.metrics() };
}

describe('a trap', () => {
  it('in onMessage, after sending, rejects the call and undoes the send and the sequence number', () => {
    const before = snapshot();
    harness.hooks.onMessage = ({ clientPrincipal }) => {
      harness.ws.sendMessage(clientPrincipal, { text: 'reply' });
      throw new Error('handler bug');
    };
    expect(() => harness.appMessage(key, 1n, 'boom')).toThrow(/ws_message rejected: .*trapped: handler bug/);
    expect(snapshot()).toEqual(before);
    harness.verify(harness.getMessages(gateway, 0n));
    harness.hooks.onMessage = undefined;
    expect(harness.appMessage(key, 1n, 'retry')).toEqual({ Ok: null }); // 1 is still expected
  });

  it('in onMessage decoding a malformed app message leaves the connection as it was', () => {
    const before = snapshot();
    expect(() => harness.wsMessage(client, { client_key: key, sequence_num: 1n, timestamp: 0n, is_service_message: false, content: new Uint8Array([7]) })).toThrow(/not an app message of type record \{text:text\}/);
    expect(snapshot()).toEqual(before);
  });

  it('in onOpen leaves the client unregistered and the gateway unknown', () => {
    const newcomer = newPrincipal();
    const otherGateway = newPrincipal();
    harness.hooks.onOpen = () => {
      throw new Error('no entry');
    };
    expect(() => harness.wsOpen(newcomer, 1n, otherGateway)).toThrow(/trapped: no entry/);
    expect(harness.ws.isConnected(newcomer)).toBe(false);
    expect(harness.ws.metrics().registeredGateways).toBe(1);
    expect(harness.getMessages(otherGateway, 0n).messages).toEqual([]);
  });

  it('in onOpen of a reconnecting principal restores its previous connection', () => {
    const before = snapshot();
    harness.hooks.onOpen = () => {
      throw new Error('no reconnect');
    };
    expect(() => harness.wsOpen(client, 2n, gateway)).toThrow(/trapped/);
    expect(snapshot()).toEqual(before);
    harness.hooks.onOpen = undefined;
    expect(harness.appMessage(key, 1n, 'still connected')).toEqual({ Ok: null });
  });

  it('in onClose keeps the client connected', () => {
    harness.hooks.onClose = () => {
      throw new Error('cannot let go');
    };
    expect(() => harness.wsClose(gateway, key)).toThrow(/trapped: cannot let go/);
    expect(harness.ws.isConnected(client)).toBe(true);
  });

  it('in the application after ws.send drops the queued message and keeps the certification valid', () => {
    const before = snapshot();
    const arg = new Uint8Array(IDL.encode([IDL.Principal, IDL.Vec(IDL.Nat8)], [client, appBytes('lost')]));
    expect(harness.canister.call('update', 'send_then_trap', arg, { caller: newPrincipal() })).toMatchObject({ status: 'rejected', code: 'ICWS_ERR_CANISTER_TRAPPED' });
    expect(snapshot()).toEqual(before);
    harness.send(newPrincipal(), client, 'after');
    const batch = harness.getMessages(gateway, 0n);
    harness.verify(batch);
    expect(batch.messages).toHaveLength(3);
  });

  it('does not happen for ws.send in a query, whose effects are discarded as on the IC', () => {
    const before = snapshot();
    const arg = new Uint8Array(IDL.encode([IDL.Principal, IDL.Vec(IDL.Nat8)], [client, appBytes('ephemeral')]));
    const outcome = harness.canister.call('query', 'send_in_query', arg, { caller: newPrincipal() });
    expect(outcome.status).toBe('replied');
    expect(snapshot()).toEqual(before);
    harness.verify(harness.getMessages(gateway, 0n));
  });
});
