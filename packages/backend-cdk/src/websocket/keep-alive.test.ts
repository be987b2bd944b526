/**
 * Acks and keep-alives on the replica's test clock: every ack interval each client is acked, and
 * one keep-alive timeout later the silent ones are closed and client-less gateways dropped.
 */
import type { Principal } from '@dfinity/principal';
import type { ClientKey } from '@icws/protocol';
import { decodeOutput, newPrincipal, WsHarness } from '../../../../test/support/ws-harness';

const ACK_MS = 300_000;
const KEEP_ALIVE_MS = 60_000;
const START_MS = Date.now() - 3 * 60_000; // certificates stay within the agent's ±5 minutes

let harness: WsHarness;
let gateway: Principal;
let client: Principal;
beforeEach(async () => {
  harness = await WsHarness.create({}, START_MS);
  [gateway, client] = [newPrincipal(), newPrincipal()];
});
afterEach(() => harness.close());

/** Checks that the poll from `nonce` returns exactly one certified ack. */
async function expectAck(from: bigint, key: ClientKey, lastIncoming: bigint, sequenceNum: bigint): Promise<void> {
  const batch = await harness.getMessages(gateway, from);
  expect(batch.messages).toHaveLength(1);
  const ack = decodeOutput(batch.messages[0]);
  expect(ack.message).toMatchObject({ client_key: key, sequence_num: sequenceNum, is_service_message: true });
  expect(ack.service).toEqual({ AckMessage: { last_incoming_sequence_num: lastIncoming } });
  await harness.verify(batch, { disableTimeVerification: true });
}

describe('acks and keep-alives', () => {
  it('ack each client every interval with the last sequence number received from it', async () => {
    const key = await harness.open(client, 1n, gateway);
    expect(await harness.getMessages(gateway, 1n)).toMatchObject({ messages: [] });
    await harness.appMessage(key, 1n, 'one');
    await harness.clock.advance(ACK_MS);
    await expectAck(1n, key, 1n, 2n);
  });

  it('close a client that sends no keep-alive within the timeout after an ack', async () => {
    const key = await harness.open(client, 1n, gateway);
    await harness.clock.advance(ACK_MS);
    await expectAck(1n, key, 0n, 2n);
    await harness.clock.advance(KEEP_ALIVE_MS - 1);
    expect(harness.ws.isConnected(client)).toBe(true);
    await harness.clock.advance(1);
    expect(harness.ws.isConnected(client)).toBe(false);
    expect(harness.events.at(-1)).toEqual({ kind: 'close', client: client.toText(), cause: 'KeepAliveTimeout' });
    const queued = await harness.queued(gateway, 1n);
    expect(queued[1].service).toEqual({ CloseMessage: { reason: { KeepAliveTimeout: null } } });
    expect(queued[1].message.sequence_num).toBe(3n);
    // The gateway stays registered for now.
    expect(await harness.wsClose(gateway, key)).toEqual({ Err: `Client with key ${client.toText()}_1 doesn't have an open connection` });
  });

  it('keep a client that answers the ack with a keep-alive in time', async () => {
    const key = await harness.open(client, 1n, gateway);
    await harness.clock.advance(ACK_MS);
    await expectAck(1n, key, 0n, 2n);
    await harness.clock.advance(KEEP_ALIVE_MS / 2);
    expect(await harness.keepAlive(key, 1n, 2n)).toEqual({ Ok: null });
    await harness.clock.advance(KEEP_ALIVE_MS / 2);
    expect(harness.ws.isConnected(client)).toBe(true);
    expect(await harness.appMessage(key, 2n, 'two')).toEqual({ Ok: null });
    await harness.clock.advance(ACK_MS - KEEP_ALIVE_MS);
    await expectAck(2n, key, 2n, 3n);
  });

  it('judge only clients that were acked: one connecting during the wait is kept', async () => {
    await harness.clock.advance(ACK_MS); // acks nobody, starts the keep-alive wait
    const key = await harness.open(client, 1n, gateway);
    expect(await harness.appMessage(key, 1n, 'one')).toEqual({ Ok: null });
    await harness.clock.advance(KEEP_ALIVE_MS);
    expect(harness.ws.isConnected(client)).toBe(true);
    await harness.clock.advance(ACK_MS - KEEP_ALIVE_MS);
    await expectAck(1n, key, 1n, 2n);
  });

  it('close the silent clients and keep the live ones, each check', async () => {
    const quiet = newPrincipal();
    const liveKey = await harness.open(client, 1n, gateway);
    await harness.open(quiet, 1n, gateway);
    await harness.clock.advance(ACK_MS);
    await harness.keepAlive(liveKey, 1n);
    await harness.clock.advance(KEEP_ALIVE_MS);
    expect(harness.ws.clients().map((c) => c.clientPrincipal.toText())).toEqual([client.toText()]);
    await harness.clock.advance(ACK_MS - KEEP_ALIVE_MS);
    await harness.clock.advance(KEEP_ALIVE_MS);
    expect(harness.ws.clientCount).toBe(0);
    expect(harness.events.filter((e) => e.kind === 'close').map((e) => e.client)).toEqual([quiet.toText(), client.toText()]);
  });

  it('close each silent client once, even when an onClose handler closes another first', async () => {
    const other = newPrincipal();
    await harness.open(client, 1n, gateway);
    await harness.open(other, 1n, gateway);
    harness.hooks.onClose = ({ clientPrincipal }) => {
      for (const c of harness.ws.clients()) if (c.clientPrincipal.toText() !== clientPrincipal.toText()) harness.ws.close(c.clientPrincipal);
    };
    await harness.clock.advance(ACK_MS + KEEP_ALIVE_MS);
    expect(harness.events.filter((e) => e.kind === 'close').map((e) => e.kind === 'close' && e.cause)).toEqual(['KeepAliveTimeout', 'ClosedByApplication']);
    expect(harness.ws.metrics().gateways[0].connectedClients).toBe(0);
  });

  it('keep a gateway without clients, and its queue, until the first check an ack interval later', async () => {
    const key = await harness.open(client, 1n, gateway);
    await harness.send(newPrincipal(), client, ...Array.from({ length: 10 }, (_, i) => `test${i}`));
    await harness.clock.advance(ACK_MS - 10_000);
    expect(await harness.wsClose(gateway, key)).toEqual({ Ok: null }); // idle from here
    await harness.clock.advance(10_000); // ack interval: nobody to ack
    await harness.clock.advance(KEEP_ALIVE_MS); // first check: idle for 60 s only
    expect(await harness.queued(gateway)).toHaveLength(11);
    await harness.clock.advance(ACK_MS - KEEP_ALIVE_MS);
    expect(await harness.queued(gateway)).toHaveLength(11);
    await harness.clock.advance(KEEP_ALIVE_MS); // second check: idle for more than an interval
    expect(await harness.getMessagesResult(gateway, 0n)).toEqual({
      Ok: { messages: [], cert: new Uint8Array(), tree: new Uint8Array(), is_end_of_queue: true },
    });
    expect(harness.ws.metrics()).toMatchObject({ registeredGateways: 0, certifiedMessages: 0 });
    expect(await harness.wsClose(gateway, key)).toEqual({ Err: `Gateway with principal ${gateway.toText()} is not registered` });
  });

  it('restart a dropped gateway’s queue at nonce 0 when a client connects through it again', async () => {
    const key = await harness.open(client, 1n, gateway);
    await harness.wsClose(gateway, key);
    await harness.clock.advance(2 * ACK_MS + KEEP_ALIVE_MS);
    expect(harness.ws.metrics().registeredGateways).toBe(0);
    await harness.open(client, 2n, gateway);
    const batch = await harness.getMessages(gateway, 0n);
    expect(batch.messages.map((m) => m.key)).toEqual([`${gateway.toText()}_00000000000000000000`]);
    await harness.verify(batch, { disableTimeVerification: true });
  });

  it('follow the configured timings', async () => {
    const custom = await WsHarness.create({ sendAckIntervalMs: 20_000, keepAliveTimeoutMs: 5_000 });
    const key = await custom.open(client, 1n, gateway);
    await custom.clock.advance(20_000);
    expect(decodeOutput((await custom.getMessages(gateway, 1n)).messages[0]).service).toHaveProperty('AckMessage');
    await custom.clock.advance(5_000);
    expect(custom.ws.isConnected(key.client_principal)).toBe(false);
    await custom.close();
  });
});
