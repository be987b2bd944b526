/**
 * Sessions kept in stable memory: after a replica restart (the heap new, stable memory kept) every
 * session the canister knew counts as suspended from the restart, and its client resumes it within
 * the recovery window — missed messages again in order, both sequences going on, onResume — or,
 * past the window, gets a fresh session. Writes belong to their message, as heap changes do.
 */
import type { Principal } from '@icp-sdk/core/principal';
import { newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

let client: Principal;
let gateway: Principal;
beforeEach(() => {
  [client, gateway] = [newPrincipal(), newPrincipal()];
});

describe('createIcWebSocket with durable sessions', () => {
  it('resumes a session after restart(): missed messages again in order, both sequences going on, onResume rather than onOpen', () => {
    const before = WsTestCanister.create();
    const oldKey = before.open(client, 1n, gateway);
    expect(before.appMessage(oldKey, 1n, 'one')).toEqual({ Ok: null });
    before.send(newPrincipal(), client, 'a', 'b', 'c');
    const after = before.restart();
    expect(after.ws.isConnected(client)).toBe(false);
    expect(after.ws.metrics().recovery).toMatchObject({ suspendedSessions: 1, retainedMessages: 3 });
    // Kept for the suspended session, numbered after what it had.
    expect(after.send(newPrincipal(), client, 'd')).toEqual({ Ok: null });

    // The client received the open message and "a" (sequences 1 and 2).
    expect(after.wsResume(client, 2n, gateway, oldKey, 2n)).toEqual({ Ok: null });
    const newKey = { client_principal: client, client_nonce: 2n };
    expect(after.stream(gateway, newKey)).toEqual([
      [3n, 'OpenMessage'],
      [4n, 'b'],
      [5n, 'c'],
      [6n, 'd'],
    ]);
    expect(after.events).toEqual([{ kind: 'resume', client: client.toText(), recovered: 3, gateway: gateway.toText() }]);
    // What the canister received stays counted: a re-sent message is a repeat, the next is taken.
    expect(after.appMessage(newKey, 1n, 'one again')).toEqual({ Ok: null });
    expect(after.appMessage(newKey, 2n, 'two')).toEqual({ Ok: null });
    expect(after.receivedTexts()).toEqual(['two']);
    after.verify(after.getMessages(gateway, 0n));
  });

  it('survives two restarts in a row, the window counted from the first', () => {
    const before = WsTestCanister.create({ recoveryWindowMs: 10_000 });
    const oldKey = before.open(client, 1n, gateway);
    before.send(newPrincipal(), client, 'a');
    const middle = before.restart();
    middle.advance(6_000);
    const after = middle.restart();
    expect(after.wsResume(client, 2n, gateway, oldKey, 1n)).toEqual({ Ok: null });
    expect(after.events).toEqual([{ kind: 'resume', client: client.toText(), recovered: 1, gateway: gateway.toText() }]);

    const other = newPrincipal();
    const otherKey = after.open(other, 1n, gateway);
    const again = after.restart();
    again.advance(6_000);
    const last = again.restart();
    last.advance(6_000);
    expect(last.wsResume(other, 2n, gateway, otherKey, 1n)).toEqual({ Ok: null });
    expect(last.events).toEqual([{ kind: 'open', client: other.toText() }]);
  });

  it('gives a fresh session, and says why, to a client that comes back after the window passed since restart()', () => {
    const before = WsTestCanister.create({ recoveryWindowMs: 5_000 });
    const oldKey = before.open(client, 1n, gateway);
    before.send(newPrincipal(), client, 'a');
    const after = before.restart();
    after.advance(5_001);
    expect(after.wsResume(client, 2n, gateway, oldKey, 1n)).toEqual({ Ok: null });
    expect(after.events).toEqual([{ kind: 'open', client: client.toText() }]);
    expect(after.openMessage(gateway, { client_principal: client, client_nonce: 2n }).OpenMessage.resume).toEqual([{ Fresh: { reason: { UnknownSession: null } } }]);
  });

  it('forgets a session the application closed, and one replaced by a fresh open, across restart()', () => {
    const before = WsTestCanister.create();
    const oldKey = before.open(client, 1n, gateway);
    before.closeClient(newPrincipal(), client);
    const after = before.restart();
    expect(after.ws.metrics().recovery.suspendedSessions).toBe(0);
    expect(after.wsResume(client, 2n, gateway, oldKey, 1n)).toEqual({ Ok: null });
    expect(after.events).toEqual([{ kind: 'open', client: client.toText() }]);
  });

  it('rolls its stable writes back with a message that traps', () => {
    const before = WsTestCanister.create();
    const key = before.open(client, 1n, gateway);
    before.hooks.onMessage = () => {
      throw new Error('the handler fails');
    };
    expect(() => before.appMessage(key, 1n, 'lost')).toThrow(/the handler fails/);
    before.hooks.onMessage = undefined;
    expect(before.appMessage(key, 1n, 'taken')).toEqual({ Ok: null });
    const after = before.restart();
    after.wsResume(client, 2n, gateway, key, 1n);
    expect(after.openMessage(gateway, { client_principal: client, client_nonce: 2n }).OpenMessage.resume).toEqual([{ Resumed: { recovered_messages: 0n, last_incoming_sequence_num: 1n } }]);
  });

  it('keeps sessions in the heap only with durableSessions: false: restart() forgets them', () => {
    const before = WsTestCanister.create({ durableSessions: false });
    const oldKey = before.open(client, 1n, gateway);
    const after = before.restart();
    expect(after.ws.metrics().recovery.suspendedSessions).toBe(0);
    after.wsResume(client, 2n, gateway, oldKey, 1n);
    expect(after.events).toEqual([{ kind: 'open', client: client.toText() }]);
  });
});
