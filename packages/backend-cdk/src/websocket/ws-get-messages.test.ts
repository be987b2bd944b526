/** `ws_get_messages`: a gateway polls its queue; every batch comes certified. */
import { Cbor, lookup_path, LookupPathStatus, type HashTree } from '@icp-sdk/core/agent';
import type { Principal } from '@icp-sdk/core/principal';
import { IDL } from '@icp-sdk/core/candid';
import { CanisterWsGetMessagesResultIdl, type CanisterWsGetMessagesResult, type ClientKey } from '@icws/protocol';
import { decodeOutput, newPrincipal, WsTestCanister } from './test-support/ws-test-canister';

const MAX = 10;

let harness: WsTestCanister;
let gateway: Principal;
let client: Principal;
let key: ClientKey;
beforeEach(() => {
  harness = WsTestCanister.create({ maxNumberOfReturnedMessages: MAX });
  [gateway, client] = [newPrincipal(), newPrincipal()];
  key = harness.open(client, 1n, gateway);
});

/** Queues `count` app messages test1 … testN for the client (in one update). */
function sendMany(count: number): void {
  const texts = Array.from({ length: count }, (_, i) => `test${i + 1}`);
  expect(harness.send(newPrincipal(), client, ...texts)).toEqual({ Ok: null });
}

describe('ws_get_messages', () => {
  it('answers a gateway no client connected through with an empty result', () => {
    expect(harness.getMessagesResult(newPrincipal(), 0n)).toEqual({
      Ok: { messages: [], cert: new Uint8Array(), tree: new Uint8Array(), is_end_of_queue: true },
    });
  });

  it('returns at most the maximum from the given nonce, saying whether the queue is drained', () => {
    sendMany(24); // 25 messages with the open message
    for (let nonce = 0; nonce <= 25; nonce++) {
      const batch = harness.getMessages(gateway, BigInt(nonce));
      const left = 25 - nonce;
      expect(batch.messages.map((m) => decodeOutput(m).nonce)).toEqual(Array.from({ length: Math.min(left, MAX) }, (_, i) => BigInt(nonce + i)));
      expect(batch.is_end_of_queue).toBe(left <= MAX);
    }
  });

  it('returns up to the count the gateway asks for, within maxRequestedMessages and at least one', () => {
    harness = WsTestCanister.create({ maxNumberOfReturnedMessages: MAX, maxRequestedMessages: 3 * MAX });
    harness.open(client, 1n, gateway);
    sendMany(49); // 50 messages with the open message
    expect(harness.getMessages(gateway, 0n, 25n).messages).toHaveLength(25);
    expect(harness.getMessages(gateway, 0n, 2n).messages).toHaveLength(2);
    expect(harness.getMessages(gateway, 0n, 0n).messages).toHaveLength(1);
    const capped = harness.getMessages(gateway, 0n, 1_000n);
    expect(capped.messages).toHaveLength(3 * MAX);
    expect(capped.is_end_of_queue).toBe(false);
    expect(harness.getMessages(gateway, 30n, 1_000n).is_end_of_queue).toBe(true);
  });

  it('answers upstream-shaped arguments, record { nonce }, with maxNumberOfReturnedMessages', () => {
    sendMany(24);
    const upstream = new Uint8Array(IDL.encode([IDL.Record({ nonce: IDL.Nat64 })], [{ nonce: 0n }]));
    const outcome = harness.canister.call('query', 'ws_get_messages', upstream, { caller: gateway });
    if (outcome.status !== 'replied') throw new Error(outcome.message);
    const [result] = IDL.decode([CanisterWsGetMessagesResultIdl], outcome.reply) as [CanisterWsGetMessagesResult];
    if (!('Ok' in result)) throw new Error(result.Err);
    expect(result.Ok.messages).toHaveLength(MAX);
    expect(result.Ok.messages.map((m) => decodeOutput(m).nonce)).toEqual(Array.from({ length: MAX }, (_, i) => BigInt(i)));
  });

  it('returns an empty result from a nonce past the end of the queue', () => {
    sendMany(3);
    expect(harness.getMessagesResult(gateway, 4n)).toEqual({
      Ok: { messages: [], cert: new Uint8Array(), tree: new Uint8Array(), is_end_of_queue: true },
    });
    expect(harness.getMessages(gateway, 2n ** 64n - 1n).messages).toEqual([]);
  });

  it('numbers each client’s messages 1, 2, 3, … with the app content in order', () => {
    sendMany(12);
    const queued = harness.queued(gateway);
    expect(queued.map((m) => m.message.sequence_num)).toEqual(Array.from({ length: 13 }, (_, i) => BigInt(i + 1)));
    expect(queued.slice(1).map((m) => m.app?.text)).toEqual(Array.from({ length: 12 }, (_, i) => `test${i + 1}`));
    for (const m of queued) {
      expect(m.message.client_key).toEqual(key);
      expect(m.message.timestamp).toBe(harness.nowNs); // the canister's time when queued
    }
  });

  it('certifies every batch: the witness reconstructs to the certified data and each content hashes to its leaf', () => {
    sendMany(29);
    for (let nonce = 0n; nonce < 30n; nonce += BigInt(MAX)) {
      const batch = harness.getMessages(gateway, nonce);
      expect(() => harness.verify(batch)).not.toThrow();
    }
  });

  it('witnesses exactly the returned messages', () => {
    sendMany(29);
    const batch = harness.getMessages(gateway, 10n);
    const tree = Cbor.decode<HashTree>(batch.tree);
    expect(lookup_path(['websocket', batch.messages[0].key], tree).status).toBe(LookupPathStatus.Found);
    for (const outside of [9n, 20n]) {
      const key = `${gateway.toText()}_${outside.toString().padStart(20, '0')}`;
      expect(lookup_path(['websocket', key], tree).status).not.toBe(LookupPathStatus.Found);
    }
  });

  it('yields batches that fail verification when content, tree or certified data do not match', () => {
    sendMany(3);
    const batch = harness.getMessages(gateway, 0n);
    const content = batch.messages[2].content.slice();
    content[content.length - 1] ^= 1;
    const tamperedContent = { ...batch, messages: [{ ...batch.messages[2], content }] };
    expect(() => harness.verify(tamperedContent)).toThrow(/does not hash to its leaf/);
    const tree = batch.tree.slice();
    tree[tree.length - 1] ^= 1;
    expect(() => harness.verify({ ...batch, tree })).toThrow(/does not match the certified data/);
    // A witness only proves what the certified data it reconstructs to certifies.
    harness.send(newPrincipal(), client, 'later');
    const later = harness.getMessages(gateway, 0n);
    expect(() => harness.verify({ ...batch, cert: later.cert })).toThrow(/does not match the certified data/);
    expect(() => harness.verify(later)).not.toThrow();
  });

  it('answers Err when called as an update, where no data certificate exists', () => {
    expect(harness.getMessagesResult(gateway, 0n, 'update')).toEqual({
      Err: 'ws_get_messages must be called as a query: a data certificate is only available in queries',
    });
  });

  it('drops polled messages older than the ack interval, up to 5 per new message, and polls from the oldest kept', () => {
    sendMany(12); // nonces 0 … 12
    harness.getMessages(gateway, 13n); // the gateway has fetched nonces 0 … 12
    harness.advance(300_000); // the ack (nonce 13) is sent exactly one interval later
    harness.advance(1);
    expect(harness.send(newPrincipal(), client, 'fresh')).toEqual({ Ok: null }); // drops nonces 0 … 4
    let batch = harness.getMessages(gateway, 0n);
    expect(decodeOutput(batch.messages[0]).nonce).toBe(5n);
    harness.verify(batch);
    expect(harness.send(newPrincipal(), client, 'fresher')).toEqual({ Ok: null }); // drops 5 … 9
    batch = harness.getMessages(gateway, 0n);
    expect(decodeOutput(batch.messages[0]).nonce).toBe(10n);
    const metrics = harness.ws.metrics().gateways[0];
    expect(metrics).toMatchObject({ queuedMessages: 6, firstNonce: 10n, nextNonce: 16n, polledNonce: 13n, prunedTotal: 10, enqueuedTotal: 16 });
    expect(harness.ws.metrics().certifiedMessages).toBe(6);
    harness.verify(batch);
  });

  it('keeps polled messages until they are old: a gateway can poll the same nonce again', () => {
    sendMany(2);
    const first = harness.getMessages(gateway, 1n);
    const again = harness.getMessages(gateway, 1n);
    expect(again.messages).toEqual(first.messages);
  });

  it('interleaves the clients of one gateway in one queue, each with its own sequence numbers', () => {
    const other = newPrincipal();
    const otherKey = harness.open(other, 9n, gateway);
    harness.send(newPrincipal(), other, 'for other');
    sendMany(1);
    const queued = harness.queued(gateway);
    expect(queued.map((m) => [m.message.client_key.client_nonce, m.message.sequence_num])).toEqual([
      [1n, 1n],
      [9n, 1n],
      [9n, 2n],
      [1n, 2n],
    ]);
    expect(queued[2].message.client_key).toEqual(otherKey);
  });
});
