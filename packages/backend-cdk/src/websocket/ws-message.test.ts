/** `ws_message`: a connected client sends application messages and keep-alives, in sequence. */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { ackMessage, CanisterWsMessageArgumentsIdl, encodeServiceMessage, type ClientKey } from '@icws/protocol';
import { appBytes, message, newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

let harness: WsTestCanister;
let gateway: Principal;
let client: Principal;
let key: ClientKey;
beforeEach(() => {
  harness = WsTestCanister.create();
  [gateway, client] = [newPrincipal(), newPrincipal()];
  key = harness.open(client, 5n, gateway);
});

describe('ws_message', () => {
  it('hands each application message to onMessage, in sequence 1, 2, 3, …', () => {
    for (let seq = 1n; seq <= 3n; seq++) expect(harness.appMessage(key, seq, `hello ${seq}`)).toEqual({ Ok: null });
    expect(harness.events.slice(1)).toEqual([1, 2, 3].map((n) => ({ kind: 'message', client: client.toText(), text: `hello ${n}` })));
    expect(harness.ws.client(client)?.messagesReceived).toBe(3n);
  });

  it('refuses a principal without a connection, the anonymous one included', () => {
    const stranger = newPrincipal();
    const strangerKey = { client_principal: stranger, client_nonce: 1n };
    expect(harness.appMessage(strangerKey, 1n, 'hi')).toEqual({ Err: `Client with principal ${stranger.toText()} doesn't have an open connection` });
    expect(harness.wsMessage(Principal.anonymous(), message(key, 1n, appBytes('hi'), false))).toEqual({
      Err: "Client with principal 2vxsx-fae doesn't have an open connection",
    });
    expect(harness.events).toHaveLength(1);
  });

  it.each([
    ['another principal', () => ({ client_principal: newPrincipal(), client_nonce: 5n })],
    ['another nonce', () => ({ client_principal: client, client_nonce: 6n })],
  ])('refuses a message whose client key has %s, changing nothing', (_name, wrongKey) => {
    const wrong = wrongKey();
    expect(harness.wsMessage(client, message(wrong, 1n, appBytes('hi'), false))).toEqual({
      Err: `Client with principal ${wrong.client_principal.toText()} has a different key than the one used in the message`,
    });
    expect(harness.appMessage(key, 1n, 'still 1')).toEqual({ Ok: null });
  });

  it('closes the client on a wrong sequence number, queueing a WrongSequenceNumber close message', () => {
    expect(harness.appMessage(key, 2n, 'skipped one')).toEqual({ Err: 'Expected incoming sequence number 1 but got 2' });
    expect(harness.ws.isConnected(client)).toBe(false);
    expect(harness.events.at(-1)).toEqual({ kind: 'close', client: client.toText(), cause: 'WrongSequenceNumber' });
    const queued = harness.queued(gateway, 1n);
    expect(queued).toHaveLength(1);
    expect(queued[0].service).toEqual({ CloseMessage: { reason: { WrongSequenceNumber: null } } });
    expect(queued[0].message.sequence_num).toBe(2n);
    // The gateway stays registered, so ws_close now names the missing client.
    expect(harness.wsClose(gateway, key)).toEqual({ Err: `Client with key ${client.toText()}_5 doesn't have an open connection` });
  });

  it('records a keep-alive without calling onMessage', () => {
    harness.advance(1_000);
    expect(harness.keepAlive(key, 1n)).toEqual({ Ok: null });
    expect(harness.events).toHaveLength(1);
    expect(harness.ws.client(client)?.lastKeepAliveNs).toBe(harness.nowNs);
  });

  it('refuses service messages other than KeepAliveMessage, counting them', () => {
    const ack = encodeServiceMessage(ackMessage(0n));
    expect(harness.wsMessage(client, message(key, 1n, ack, true))).toEqual({ Err: 'Invalid service message' });
    expect(harness.keepAlive(key, 2n)).toEqual({ Ok: null });
  });

  it('refuses a service message that is not Candid of WebsocketServiceMessageContent', () => {
    const garbage = new Uint8Array(IDL.encode([IDL.Vec(IDL.Nat8)], [new Uint8Array([1, 2, 3])]));
    const result = harness.wsMessage(client, message(key, 1n, garbage, true));
    expect(result).toEqual({ Err: expect.stringMatching(/^Error decoding service message content: /) });
    expect(harness.ws.isConnected(client)).toBe(true);
  });

  it('accepts the second argument empty, as clients send it, or holding an app message', () => {
    const msg = message(key, 1n, appBytes('typed'), false);
    const withValue = new Uint8Array(IDL.encode([CanisterWsMessageArgumentsIdl, IDL.Opt(IDL.Record({ text: IDL.Text }))], [{ msg }, [{ text: 'ignored' }]]));
    const outcome = harness.canister.call('update', 'ws_message', withValue, { caller: client });
    expect(outcome.status).toBe('replied');
    expect(harness.events.at(-1)).toEqual({ kind: 'message', client: client.toText(), text: 'typed' });
  });

  it('rejects arguments that are not Candid of its signature, leaving the state untouched', () => {
    const outcome = harness.canister.call('update', 'ws_message', new Uint8Array(IDL.encode([IDL.Text], ['nope'])), { caller: client });
    expect(outcome).toMatchObject({ status: 'rejected', code: 'ICWS_ERR_CANISTER_TRAPPED', message: expect.stringContaining("failed to decode the arguments of 'ws_message'") });
    expect(harness.appMessage(key, 1n, 'fine')).toEqual({ Ok: null });
  });
});
