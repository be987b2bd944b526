/**
 * No message or client stalls a gateway's queue: polls are capped in bytes, a message too large for
 * any poll is refused at `send`, nothing is pruned before its gateway polled it, and a queue full of
 * unpolled messages closes the client that does not fit, with a reason.
 */
import type { Principal } from '@icp-sdk/core/principal';
import { IcwsError } from '@icws/protocol';
import { decodeOutput, newPrincipal, WsTestCanister, type DecodedOutput } from './test-support/ws-test-canister';

const KIB = 1024;
const MIB = 1024 * KIB;

/** Polls `gateway` as a gateway does, from `nonce` until the queue is drained. @returns each batch's messages and reply size. */
function pollAll(harness: WsTestCanister, gateway: Principal, nonce = 0n): Array<{ messages: DecodedOutput[]; replyBytes: number }> {
  const polls: Array<{ messages: DecodedOutput[]; replyBytes: number }> = [];
  for (;;) {
    const replyBytes = harness.getMessagesReplyBytes(gateway, nonce);
    const batch = harness.getMessages(gateway, nonce);
    harness.verify(batch);
    const messages = batch.messages.map(decodeOutput);
    polls.push({ messages, replyBytes });
    if (batch.is_end_of_queue) return polls;
    nonce = messages[messages.length - 1].nonce + 1n;
  }
}

describe('ws_get_messages', () => {
  describe('byte cap', () => {
    it('spreads large messages over polls that each stay within maxReturnedBytes, in order, other clients’ messages included', () => {
      const harness = WsTestCanister.create(); // maxReturnedBytes: 2 MiB
      const [gateway, big, small] = [newPrincipal(), newPrincipal(), newPrincipal()];
      harness.open(big, 1n, gateway);
      harness.open(small, 1n, gateway);
      const texts = ['a', 'b', 'c', 'd', 'e'].map((letter) => letter.repeat(MIB));
      expect(harness.send(newPrincipal(), big, ...texts)).toEqual({ Ok: null });
      expect(harness.send(newPrincipal(), small, 'hi')).toEqual({ Ok: null });

      const polls = pollAll(harness, gateway);
      for (const poll of polls) expect(poll.replyBytes).toBeLessThanOrEqual(2 * MIB);
      expect(polls.length).toBeGreaterThanOrEqual(5); // one 1 MiB message per poll at most
      const delivered = polls.flatMap((poll) => poll.messages);
      expect(delivered.map((m) => m.nonce)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
      expect(delivered.filter((m) => m.app !== undefined).map((m) => m.app!.text.slice(0, 2))).toEqual(['aa', 'bb', 'cc', 'dd', 'ee', 'hi']);
      expect(delivered[7].message.client_key.client_principal.toText()).toBe(small.toText());
    });

    it('fills a poll with small messages up to the byte cap, saying the queue is not drained', () => {
      const harness = WsTestCanister.create({ maxReturnedBytes: 200 * KIB, maxNumberOfReturnedMessages: 1000 });
      const [gateway, client] = [newPrincipal(), newPrincipal()];
      harness.open(client, 1n, gateway);
      harness.sendCopies(client, 40, 'x'.repeat(10 * KIB));
      const polls = pollAll(harness, gateway);
      expect(polls.flatMap((poll) => poll.messages.map((m) => m.nonce))).toEqual(Array.from({ length: 41 }, (_, i) => BigInt(i)));
      // 136 KiB of budget at 10.5 KiB per message, counted from above: 12 or 13 messages a poll.
      for (const poll of polls.slice(0, -1)) expect(poll.messages.length).toBeGreaterThanOrEqual(12);
      for (const poll of polls) expect(poll.replyBytes).toBeLessThanOrEqual(200 * KIB);
    });

    it('returns a message of exactly maxMessageBytes alone, within the cap', () => {
      const harness = WsTestCanister.create({ maxReturnedBytes: 200 * KIB });
      const [gateway, client] = [newPrincipal(), newPrincipal()];
      harness.open(client, 1n, gateway);
      expect(harness.sendRaw(client, new Uint8Array(harness.ws.maxMessageBytes).fill(7))).toEqual({ Ok: null });
      harness.sendCopies(client, 1, 'after');
      const first = harness.getMessages(gateway, 1n);
      expect(first.messages).toHaveLength(1);
      expect(first.is_end_of_queue).toBe(false);
      expect(first.messages[0].content.length).toBeLessThanOrEqual(harness.ws.maxMessageBytes + 256);
      expect(harness.getMessagesReplyBytes(gateway, 1n)).toBeLessThanOrEqual(200 * KIB);
      harness.verify(first);
      expect(harness.getMessages(gateway, 2n)).toMatchObject({ messages: [expect.anything()], is_end_of_queue: true });
    });
  });
});

describe('send', () => {
  it('refuses a message too large to fit a poll reply, naming the limit, and queues nothing', () => {
    const harness = WsTestCanister.create({ maxReturnedBytes: 200 * KIB });
    const [gateway, client] = [newPrincipal(), newPrincipal()];
    harness.open(client, 1n, gateway);
    const max = harness.ws.maxMessageBytes;
    expect(harness.sendRaw(client, new Uint8Array(max + 1))).toEqual({
      Err:
        `Message of ${max + 1} bytes is larger than the ${max} bytes a ws_get_messages reply can carry ` +
        `(maxReturnedBytes ${200 * KIB} less the certificate, witness and key overhead); split it or raise maxReturnedBytes`,
    });
    expect(harness.ws.metrics().gateways[0]).toMatchObject({ queuedMessages: 1, enqueuedTotal: 1 });
    expect(harness.ws.isConnected(client)).toBe(true);
  });

  it('makes broadcast throw ICWS_ERR_WS_MESSAGE_TOO_LARGE before queueing for anyone', () => {
    const harness = WsTestCanister.create({ maxReturnedBytes: 200 * KIB });
    const gateway = newPrincipal();
    harness.open(newPrincipal(), 1n, gateway);
    harness.open(newPrincipal(), 1n, gateway);
    const big = new Uint8Array(harness.ws.maxMessageBytes + 1);
    let thrown: unknown;
    harness.canister.context.execute({ caller: gateway, mode: 'update' }, () => {
      try {
        harness.ws.broadcast(big);
      } catch (err) {
        thrown = err;
      }
    });
    expect(thrown).toBeInstanceOf(IcwsError);
    expect((thrown as IcwsError).code).toBe('ICWS_ERR_WS_MESSAGE_TOO_LARGE');
    expect((thrown as IcwsError).message).toContain(`maxReturnedBytes ${200 * KIB}`);
    expect(harness.ws.metrics().gateways[0].queuedMessages).toBe(2);
    expect(harness.canister.update('broadcast', [new Uint8Array(harness.ws.maxMessageBytes)], { caller: gateway })).toBe(2);
  });
});

describe('pruning', () => {
  it('never drops a message its gateway has not polled, however old', () => {
    const harness = WsTestCanister.create();
    const [gateway, client] = [newPrincipal(), newPrincipal()];
    harness.open(client, 1n, gateway);
    harness.sendCopies(client, 12); // nonces 0 … 12
    harness.advance(300_001); // all older than the ack interval; the ack is nonce 13
    harness.sendCopies(client, 3);
    expect(harness.ws.metrics().gateways[0]).toMatchObject({ firstNonce: 0n, prunedTotal: 0, polledNonce: 0n });

    harness.getMessages(gateway, 3n); // the gateway has 0, 1, 2
    harness.sendCopies(client, 1);
    expect(harness.ws.metrics().gateways[0]).toMatchObject({ firstNonce: 3n, prunedTotal: 3, polledNonce: 3n });
    expect(harness.queued(gateway, 3n).map((m) => m.nonce)).toEqual(Array.from({ length: 15 }, (_, i) => BigInt(i + 3)));
  });

  it('marks at most the queued messages as polled, and never moves the mark back', () => {
    const harness = WsTestCanister.create();
    const [gateway, client] = [newPrincipal(), newPrincipal()];
    harness.open(client, 1n, gateway);
    harness.sendCopies(client, 2);
    harness.getMessages(gateway, 2n ** 40n);
    expect(harness.ws.metrics().gateways[0].polledNonce).toBe(3n);
    harness.getMessages(gateway, 1n); // a restarted gateway reads from an older nonce
    expect(harness.ws.metrics().gateways[0].polledNonce).toBe(3n);
    harness.sendCopies(client, 1);
    harness.advance(300_001);
    harness.sendCopies(client, 1);
    expect(harness.ws.metrics().gateways[0]).toMatchObject({ firstNonce: 3n, prunedTotal: 3 }); // nonce 3 was never polled
  });
});

describe('bounded queue', () => {
  it('closes the client whose message does not fit a queue full of unpolled messages, with a close message after its last one', () => {
    const harness = WsTestCanister.create({ maxQueuedMessages: 10 });
    const [gateway, heavy, other] = [newPrincipal(), newPrincipal(), newPrincipal()];
    harness.open(heavy, 1n, gateway);
    const otherKey = harness.open(other, 1n, gateway);
    harness.sendCopies(heavy, 8); // 10 queued, none polled
    const { queuedBytes } = harness.ws.metrics().gateways[0];
    expect(harness.send(newPrincipal(), other, 'one too many')).toEqual({
      Err:
        `Queue of gateway ${gateway.toText()} is full with 10 messages and ${queuedBytes} bytes it has not polled ` +
        `(maxQueuedMessages 10, maxQueuedBytes ${256 * MIB}); the client with principal ${other.toText()} was closed`,
    });
    expect(harness.events.at(-1)).toEqual({ kind: 'close', client: other.toText(), cause: 'QueueFull' });
    expect(harness.ws.isConnected(other)).toBe(false);

    const forOther = harness.queued(gateway).filter((m) => m.message.client_key.client_principal.toText() === other.toText());
    expect(forOther.map((m) => m.message.sequence_num)).toEqual([1n, 2n]); // no gap: the refused message never got a number
    expect(forOther[1].service).toEqual({ CloseMessage: { reason: { KeepAliveTimeout: null } } });
    expect(forOther[1].message.client_key).toEqual(otherKey);
    expect(harness.ws.metrics().gateways[0]).toMatchObject({ queuedMessages: 11, queueFullClosures: 1, prunedTotal: 0 });
  });

  it('refuses ws_open through a full gateway, and makes room by dropping polled messages, however young', () => {
    const harness = WsTestCanister.create({ maxQueuedMessages: 5 });
    const [gateway, client, late] = [newPrincipal(), newPrincipal(), newPrincipal()];
    harness.open(client, 1n, gateway);
    harness.sendCopies(client, 4);
    expect(harness.wsOpen(late, 1n, gateway)).toEqual({
      Err:
        `Queue of gateway ${gateway.toText()} is full with messages it has not polled ` +
        `(maxQueuedMessages 5, maxQueuedBytes ${256 * MIB}); open the connection through another gateway or later`,
    });
    expect(harness.events.filter((e) => e.client === late.toText())).toEqual([]);

    harness.getMessages(gateway, 5n);
    harness.open(late, 1n, gateway);
    expect(harness.send(newPrincipal(), client, 'fits')).toEqual({ Ok: null });
    expect(harness.ws.metrics().gateways[0]).toMatchObject({ firstNonce: 2n, queuedMessages: 5, prunedTotal: 2, queueFullClosures: 0 });
    expect(harness.ws.isConnected(client)).toBe(true);
  });

  it('bounds the queue in bytes as well', () => {
    const harness = WsTestCanister.create({ maxReturnedBytes: 200 * KIB, maxQueuedBytes: 300 * KIB });
    const [gateway, client] = [newPrincipal(), newPrincipal()];
    harness.open(client, 1n, gateway);
    const chunk = new Uint8Array(120 * KIB);
    expect(harness.sendRaw(client, chunk)).toEqual({ Ok: null });
    expect(harness.sendRaw(client, chunk)).toEqual({ Ok: null });
    expect(harness.sendRaw(client, chunk)).toEqual({ Err: expect.stringContaining(`maxQueuedBytes ${300 * KIB}`) });
    expect(harness.events.at(-1)).toEqual({ kind: 'close', client: client.toText(), cause: 'QueueFull' });
  });

  it('closes a client whose ack does not fit', () => {
    const harness = WsTestCanister.create({ maxQueuedMessages: 3 });
    const [gateway, client] = [newPrincipal(), newPrincipal()];
    harness.open(client, 1n, gateway);
    harness.sendCopies(client, 2);
    harness.advance(300_000);
    expect(harness.events.at(-1)).toEqual({ kind: 'close', client: client.toText(), cause: 'QueueFull' });
    expect(harness.queued(gateway).at(-1)?.service).toEqual({ CloseMessage: { reason: { KeepAliveTimeout: null } } });
  });
});
