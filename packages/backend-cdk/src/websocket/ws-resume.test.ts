/**
 * `ws_open` with a resume request: a client that lost its connection gets its session back through
 * any gateway within the recovery window — the messages it missed queued again in order, both
 * sequences going on — or a fresh session that says why; only its own principal may ask.
 */
import type { Principal } from '@icp-sdk/core/principal';
import type { WsCloseEvent } from './types';
import { newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

let harness: WsTestCanister;
let client: Principal;
let gateway1: Principal;
let gateway2: Principal;
beforeEach(() => {
  harness = WsTestCanister.create();
  [client, gateway1, gateway2] = [newPrincipal(), newPrincipal(), newPrincipal()];
});

describe('ws_open with a resume request', () => {
  it('gives a client whose gateway died its session through another gateway: missed messages again, in order, numbering going on, onResume rather than onOpen', () => {
    const oldKey = harness.open(client, 1n, gateway1);
    harness.send(newPrincipal(), client, 'a', 'b', 'c');
    // The client received the open message and "a" (sequence 1 and 2), then its gateway died.
    expect(harness.wsResume(client, 2n, gateway2, oldKey, 2n)).toEqual({ Ok: null });
    const newKey = { client_principal: client, client_nonce: 2n };
    expect(harness.stream(gateway2, newKey)).toEqual([
      [3n, 'OpenMessage'],
      [4n, 'b'],
      [5n, 'c'],
    ]);
    expect(harness.openMessage(gateway2, newKey).OpenMessage.resume).toEqual([{ Resumed: { recovered_messages: 2n, last_incoming_sequence_num: 0n } }]);
    expect(harness.events).toEqual([
      { kind: 'open', client: client.toText() },
      { kind: 'resume', client: client.toText(), recovered: 2, gateway: gateway2.toText() },
    ]);
    expect(harness.ws.client(client)).toMatchObject({ clientNonce: 2n, gatewayPrincipal: gateway2, messagesSent: 5n });
    const byGateway = Object.fromEntries(harness.ws.metrics().gateways.map((g) => [g.gatewayPrincipal.toText(), g.connectedClients]));
    expect(byGateway).toEqual({ [gateway1.toText()]: 0, [gateway2.toText()]: 1 });
    harness.send(newPrincipal(), client, 'd');
    expect(harness.stream(gateway2, newKey).at(-1)).toEqual([6n, 'd']);
    harness.verify(harness.getMessages(gateway2, 0n));
  });

  it('keeps counting what the canister received: a message re-sent after the resume is dropped as a repeat, the next one is taken', () => {
    const oldKey = harness.open(client, 1n, gateway1);
    expect(harness.appMessage(oldKey, 1n, 'one')).toEqual({ Ok: null });
    expect(harness.appMessage(oldKey, 2n, 'two')).toEqual({ Ok: null });
    harness.wsResume(client, 2n, gateway2, oldKey, 1n);
    const newKey = { client_principal: client, client_nonce: 2n };
    expect(harness.openMessage(gateway2, newKey).OpenMessage.resume).toEqual([{ Resumed: { recovered_messages: 0n, last_incoming_sequence_num: 2n } }]);
    expect(harness.appMessage(newKey, 2n, 'two again')).toEqual({ Ok: null });
    expect(harness.appMessage(newKey, 3n, 'three')).toEqual({ Ok: null });
    expect(harness.receivedTexts()).toEqual(['one', 'two', 'three']);
    // The old key is refused: a late message of the dead connection cannot count twice.
    expect(harness.appMessage(oldKey, 3n, 'late')).toEqual({ Err: expect.stringContaining('has a different key') });
  });

  it('gives back a session whose connection the gateway reported closed, with what was sent to it while away', () => {
    const closes: WsCloseEvent[] = [];
    harness.hooks.onClose = (event) => closes.push(event);
    const oldKey = harness.open(client, 1n, gateway1);
    const other = newPrincipal();
    harness.open(other, 1n, gateway1);
    harness.wsClose(gateway1, oldKey);
    expect(closes).toEqual([{ clientPrincipal: client, cause: 'ClosedByGateway', resumable: true }]);
    expect(harness.ws.isConnected(client)).toBe(false);
    expect(harness.send(newPrincipal(), client, 'while away')).toEqual({ Ok: null });
    expect(harness.canister.update('broadcast', [new Uint8Array(harness.ws.encodeMessage({ text: 'to all' }))], { caller: other })).toBe(2);
    expect(harness.ws.metrics().recovery).toMatchObject({ suspendedSessions: 1, retainedMessages: 3 });
    harness.wsResume(client, 2n, gateway1, oldKey, 1n);
    expect(harness.stream(gateway1, { client_principal: client, client_nonce: 2n })).toEqual([
      [2n, 'OpenMessage'],
      [3n, 'while away'],
      [4n, 'to all'],
    ]);
    expect(harness.ws.metrics().recovery).toMatchObject({ suspendedSessions: 0, resumedTotal: 1 });
  });

  it('takes the request again with the older nonce when the answer to the first never reached the client', () => {
    const oldKey = harness.open(client, 1n, gateway1);
    harness.send(newPrincipal(), client, 'a', 'b');
    harness.wsResume(client, 2n, gateway2, oldKey, 1n); // executed; its gateway died before relaying it
    const gateway3 = newPrincipal();
    expect(harness.wsResume(client, 3n, gateway3, oldKey, 1n)).toEqual({ Ok: null });
    expect(harness.stream(gateway3, { client_principal: client, client_nonce: 3n })).toEqual([
      [2n, 'OpenMessage'],
      [3n, 'a'],
      [4n, 'b'],
    ]);
    expect(harness.events.filter((e) => e.kind === 'resume')).toHaveLength(2);
  });

  it('gives a fresh session, and says so, once the recovery window has passed', () => {
    harness = WsTestCanister.create({ recoveryWindowMs: 1_000 });
    const oldKey = harness.open(client, 1n, gateway1);
    harness.wsClose(gateway1, oldKey);
    harness.advance(1_500);
    expect(harness.send(newPrincipal(), client, 'too late')).toEqual({ Err: `Client with principal ${client.toText()} doesn't have an open connection` });
    harness.advance(1_000); // the sweep, every window, forgets it
    expect(harness.ws.metrics().recovery.suspendedSessions).toBe(0);
    expect(harness.wsResume(client, 2n, gateway1, oldKey, 1n)).toEqual({ Ok: null });
    const newKey = { client_principal: client, client_nonce: 2n };
    expect(harness.stream(gateway1, newKey)).toEqual([[1n, 'OpenMessage']]);
    expect(harness.openMessage(gateway1, newKey).OpenMessage.resume).toEqual([{ Fresh: { reason: { UnknownSession: null } } }]);
    expect(harness.events.at(-1)).toEqual({ kind: 'open', client: client.toText() });
    expect(harness.ws.metrics().recovery.freshSessionsTotal).toBe(1);
  });

  it('gives a fresh session (MessagesDropped) when not every message the client missed was kept', () => {
    harness = WsTestCanister.create({ maxRecoveryMessages: 2 });
    const oldKey = harness.open(client, 1n, gateway2);
    harness.send(newPrincipal(), client, 'a', 'b', 'c');
    // The client received only the open message; "a" is no longer kept.
    harness.wsResume(client, 2n, gateway1, oldKey, 1n);
    const newKey = { client_principal: client, client_nonce: 2n };
    expect(harness.openMessage(gateway1, newKey).OpenMessage.resume).toEqual([{ Fresh: { reason: { MessagesDropped: null } } }]);
    expect(harness.stream(gateway1, newKey)).toEqual([[1n, 'OpenMessage']]);
    expect(harness.events.map((e) => e.kind)).toEqual(['open', 'close', 'open']);
    // Having received "a" as well, it would have got "b" and "c" back.
    const other = newPrincipal();
    const otherKey = harness.open(other, 1n, gateway2);
    harness.send(newPrincipal(), other, 'a', 'b', 'c');
    harness.wsResume(other, 2n, gateway1, otherKey, 2n);
    expect(harness.stream(gateway1, { client_principal: other, client_nonce: 2n }).map(([, what]) => what)).toEqual(['OpenMessage', 'b', 'c']);
  });

  it('gives a fresh session for a nonce the canister never knew, and for a session the application closed', () => {
    harness.open(client, 1n, gateway1);
    harness.wsResume(client, 2n, gateway1, { client_principal: client, client_nonce: 99n }, 0n);
    expect(harness.openMessage(gateway1, { client_principal: client, client_nonce: 2n }).OpenMessage.resume).toEqual([{ Fresh: { reason: { UnknownSession: null } } }]);
    expect(harness.closeClient(newPrincipal(), client)).toEqual({ Ok: null });
    harness.wsResume(client, 3n, gateway1, { client_principal: client, client_nonce: 2n }, 1n);
    expect(harness.openMessage(gateway1, { client_principal: client, client_nonce: 3n }).OpenMessage.resume).toEqual([{ Fresh: { reason: { UnknownSession: null } } }]);
  });

  it('refuses a request naming the session of another principal, changing nothing, so the owner can still resume it', () => {
    const victimKey = harness.open(client, 1n, gateway1);
    harness.send(newPrincipal(), client, 'private');
    const thief = newPrincipal();
    const before = harness.events.length;
    expect(harness.wsResume(thief, 5n, gateway2, victimKey, 1n)).toEqual({
      Err:
        `Resume refused: only the session's own principal may resume it; principal ${thief.toText()} ` +
        `asked for the session of client ${client.toText()}_1, and can resume only its own with its own signed ws_open`,
    });
    // A gateway signing ws_open itself is refused the same way.
    expect(harness.wsResume(gateway2, 6n, gateway2, victimKey, 1n)).toHaveProperty('Err');
    expect(harness.events.length).toBe(before);
    expect(harness.ws.metrics().registeredGateways).toBe(1);
    expect(harness.wsResume(client, 2n, gateway2, victimKey, 1n)).toEqual({ Ok: null });
    expect(harness.stream(gateway2, { client_principal: client, client_nonce: 2n }).map(([, what]) => what)).toEqual(['OpenMessage', 'private']);
  });

  it('refuses a request claiming more messages than the session sent', () => {
    const oldKey = harness.open(client, 1n, gateway1);
    expect(harness.wsResume(client, 2n, gateway2, oldKey, 7n)).toEqual({
      Err: `Resume refused: it claims to have received message 7, but the session sent it only 1 under nonce 1 (session of client ${client.toText()}_1)`,
    });
    expect(harness.ws.client(client)).toMatchObject({ clientNonce: 1n });
  });

  it('answers ResumeDisabled and keeps nothing when recoveryWindowMs is 0, as upstream', () => {
    harness = WsTestCanister.create({ recoveryWindowMs: 0 });
    const closes: WsCloseEvent[] = [];
    harness.hooks.onClose = (event) => closes.push(event);
    const oldKey = harness.open(client, 1n, gateway1);
    harness.send(newPrincipal(), client, 'a');
    harness.wsClose(gateway1, oldKey);
    expect(closes[0]).toMatchObject({ resumable: false });
    expect(harness.send(newPrincipal(), client, 'b')).toHaveProperty('Err');
    harness.wsResume(client, 2n, gateway1, oldKey, 1n);
    expect(harness.openMessage(gateway1, { client_principal: client, client_nonce: 2n }).OpenMessage.resume).toEqual([{ Fresh: { reason: { ResumeDisabled: null } } }]);
    expect(harness.ws.metrics().recovery).toMatchObject({ retainedMessages: 0, suspendedSessions: 0 });
  });

  it('sends upstream clients, which never ask, the upstream open message', () => {
    const key = harness.open(client, 1n, gateway1);
    expect(harness.openMessage(gateway1, key)).toEqual({ OpenMessage: { client_key: key } });
  });

  it('forgets what the client confirmed having in a keep-alive', () => {
    const key = harness.open(client, 1n, gateway1);
    harness.send(newPrincipal(), client, 'a', 'b', 'c');
    expect(harness.ws.metrics().recovery.retainedMessages).toBe(3);
    expect(harness.keepAlive(key, 1n, 3n)).toEqual({ Ok: null });
    expect(harness.ws.metrics().recovery.retainedMessages).toBe(1);
  });

  it('undoes the resume when onResume traps: the old connection stays as it was', () => {
    const oldKey = harness.open(client, 1n, gateway1);
    harness.send(newPrincipal(), client, 'a');
    const before = { clients: harness.ws.clients(), metrics: harness.ws.metrics(), queued: harness.queued(gateway1) };
    harness.hooks.onResume = () => {
      throw new Error('handler bug');
    };
    expect(() => harness.wsResume(client, 2n, gateway2, oldKey, 1n)).toThrow(/trapped: handler bug/);
    expect({ clients: harness.ws.clients(), metrics: harness.ws.metrics(), queued: harness.queued(gateway1) }).toEqual(before);
    harness.hooks.onResume = undefined;
    expect(harness.wsResume(client, 2n, gateway2, oldKey, 1n)).toEqual({ Ok: null });
    expect(harness.stream(gateway2, { client_principal: client, client_nonce: 2n })).toEqual([
      [2n, 'OpenMessage'],
      [3n, 'a'],
    ]);
  });
});
