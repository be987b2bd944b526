/**
 * Acks and keep-alives on the fake context's time: every ack interval each client is acked, and
 * one keep-alive timeout later the silent ones are closed and client-less gateways dropped.
 */
import type { Principal } from '@icp-sdk/core/principal';
import type { ClientKey } from '@icws/protocol';
import { decodeOutput, newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

const ACK_MS = 300_000;
const KEEP_ALIVE_MS = 60_000;

let harness: WsTestCanister;
let gateway: Principal;
let client: Principal;
beforeEach(() => {
  harness = WsTestCanister.create();
  [gateway, client] = [newPrincipal(), newPrincipal()];
});

/** Checks that the poll from `nonce` returns exactly one certified ack. */
function expectAck(from: bigint, key: ClientKey, lastIncoming: bigint, sequenceNum: bigint): void {
  const batch = harness.getMessages(gateway, from);
  expect(batch.messages).toHaveLength(1);
  const ack = decodeOutput(batch.messages[0]);
  expect(ack.message).toMatchObject({ client_key: key, sequence_num: sequenceNum, is_service_message: true });
  expect(ack.service).toEqual({ AckMessage: { last_incoming_sequence_num: lastIncoming } });
  harness.verify(batch);
}

describe('acks and keep-alives', () => {
  it('ack each client every interval with the last sequence number received from it', () => {
    const key = harness.open(client, 1n, gateway);
    expect(harness.getMessages(gateway, 1n)).toMatchObject({ messages: [] });
    harness.appMessage(key, 1n, 'one');
    harness.advance(ACK_MS);
    expectAck(1n, key, 1n, 2n);
  });

  it('close a client that sends no keep-alive within the timeout after an ack', () => {
    const key = harness.open(client, 1n, gateway);
    harness.advance(ACK_MS);
    expectAck(1n, key, 0n, 2n);
    harness.advance(KEEP_ALIVE_MS - 1);
    expect(harness.ws.isConnected(client)).toBe(true);
    harness.advance(1);
    expect(harness.ws.isConnected(client)).toBe(false);
    expect(harness.events.at(-1)).toEqual({ kind: 'close', client: client.toText(), cause: 'KeepAliveTimeout' });
    const queued = harness.queued(gateway, 1n);
    expect(queued[1].service).toEqual({ CloseMessage: { reason: { KeepAliveTimeout: null } } });
    expect(queued[1].message.sequence_num).toBe(3n);
    // The gateway stays registered for now.
    expect(harness.wsClose(gateway, key)).toEqual({ Err: `Client with key ${client.toText()}_1 doesn't have an open connection` });
  });

  it('keep a client that answers the ack with a keep-alive in time', () => {
    const key = harness.open(client, 1n, gateway);
    harness.advance(ACK_MS);
    expectAck(1n, key, 0n, 2n);
    harness.advance(KEEP_ALIVE_MS / 2);
    expect(harness.keepAlive(key, 1n, 2n)).toEqual({ Ok: null });
    harness.advance(KEEP_ALIVE_MS / 2);
    expect(harness.ws.isConnected(client)).toBe(true);
    expect(harness.appMessage(key, 2n, 'two')).toEqual({ Ok: null });
    harness.advance(ACK_MS - KEEP_ALIVE_MS);
    expectAck(2n, key, 2n, 3n);
  });

  it('judge only clients that were acked: one connecting during the wait is kept', () => {
    harness.advance(ACK_MS); // acks nobody, starts the keep-alive wait
    const key = harness.open(client, 1n, gateway);
    expect(harness.appMessage(key, 1n, 'one')).toEqual({ Ok: null });
    harness.advance(KEEP_ALIVE_MS);
    expect(harness.ws.isConnected(client)).toBe(true);
    harness.advance(ACK_MS - KEEP_ALIVE_MS);
    expectAck(1n, key, 1n, 2n);
  });

  it('close the silent clients and keep the live ones, each check', () => {
    const quiet = newPrincipal();
    const liveKey = harness.open(client, 1n, gateway);
    harness.open(quiet, 1n, gateway);
    harness.advance(ACK_MS);
    harness.keepAlive(liveKey, 1n);
    harness.advance(KEEP_ALIVE_MS);
    expect(harness.ws.clients().map((c) => c.clientPrincipal.toText())).toEqual([client.toText()]);
    harness.advance(ACK_MS - KEEP_ALIVE_MS);
    harness.advance(KEEP_ALIVE_MS);
    expect(harness.ws.clientCount).toBe(0);
    expect(harness.events.filter((e) => e.kind === 'close').map((e) => e.client)).toEqual([quiet.toText(), client.toText()]);
  });

  it('close each silent client once, even when an onClose handler closes another first', () => {
    const other = newPrincipal();
    harness.open(client, 1n, gateway);
    harness.open(other, 1n, gateway);
    harness.hooks.onClose = ({ clientPrincipal }) => {
      for (const c of harness.ws.clients()) if (c.clientPrincipal.toText() !== clientPrincipal.toText()) harness.ws.close(c.clientPrincipal);
    };
    harness.advance(ACK_MS + KEEP_ALIVE_MS);
    expect(harness.events.filter((e) => e.kind === 'close').map((e) => e.kind === 'close' && e.cause)).toEqual(['KeepAliveTimeout', 'ClosedByApplication']);
    expect(harness.ws.metrics().gateways[0].connectedClients).toBe(0);
  });

  it('keep a gateway without clients, and its queue, until the first check an ack interval later', () => {
    const key = harness.open(client, 1n, gateway);
    harness.send(newPrincipal(), client, ...Array.from({ length: 10 }, (_, i) => `test${i}`));
    harness.advance(ACK_MS - 10_000);
    expect(harness.wsClose(gateway, key)).toEqual({ Ok: null }); // idle from here
    harness.advance(10_000); // ack interval: nobody to ack
    harness.advance(KEEP_ALIVE_MS); // first check: idle for 60 s only
    expect(harness.queued(gateway)).toHaveLength(11);
    harness.advance(ACK_MS - KEEP_ALIVE_MS);
    expect(harness.queued(gateway)).toHaveLength(11);
    harness.advance(KEEP_ALIVE_MS); // second check: idle for more than an interval
    expect(harness.getMessagesResult(gateway, 0n)).toEqual({
      Ok: { messages: [], cert: new Uint8Array(), tree: new Uint8Array(), is_end_of_queue: true },
    });
    expect(harness.ws.metrics()).toMatchObject({ registeredGateways: 0, certifiedMessages: 0 });
    expect(harness.wsClose(gateway, key)).toEqual({ Err: `Gateway with principal ${gateway.toText()} is not registered` });
  });

  it('restart a dropped gateway’s queue at nonce 0 when a client connects through it again', () => {
    const key = harness.open(client, 1n, gateway);
    harness.wsClose(gateway, key);
    harness.advance(2 * ACK_MS + KEEP_ALIVE_MS);
    expect(harness.ws.metrics().registeredGateways).toBe(0);
    harness.open(client, 2n, gateway);
    const batch = harness.getMessages(gateway, 0n);
    expect(batch.messages.map((m) => m.key)).toEqual([`${gateway.toText()}_00000000000000000000`]);
    harness.verify(batch);
  });

  it('follow the configured timings', () => {
    const custom = WsTestCanister.create({ sendAckIntervalMs: 20_000, keepAliveTimeoutMs: 5_000 });
    const key = custom.open(client, 1n, gateway);
    custom.advance(20_000);
    expect(decodeOutput(custom.getMessages(gateway, 1n).messages[0]).service).toHaveProperty('AckMessage');
    custom.advance(5_000);
    expect(custom.ws.isConnected(key.client_principal)).toBe(false);
  });
});
