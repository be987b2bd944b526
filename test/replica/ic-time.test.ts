/**
 * Time as on the IC, seen through the canister kit: a due timer runs in the next round at that
 * round's time, so the first ack prunes the messages older than the ack interval, as upstream's
 * `c_ws_get_messages.rs` test 5 checks on PocketIC. Unlike upstream, the kit prunes only what the
 * gateway has already polled, so here the gateway polls everything before the ack.
 */
import { MESSAGES_TO_DELETE_COUNT } from '@icws/protocol';
import { newPrincipal, WsHarness } from '../support/ws-harness';

const SEND_ACK_INTERVAL_MS = 300_000;

describe('a canister with IC WebSockets on the replica clock', () => {
  describe('the first ack', () => {
    // Upstream draws the count from 1..100; these cover below, at and above the pruning batch.
    it.each([1, 3, 4, 5, 6, 10, 99])('prunes the oldest messages once they are older than the ack interval (%i sent)', async (count) => {
      const harness = await WsHarness.create({ maxNumberOfReturnedMessages: 1_000, sendAckIntervalMs: SEND_ACK_INTERVAL_MS });
      try {
        const gateway = newPrincipal();
        const client = newPrincipal();
        const key = await harness.open(client, 0n, gateway);
        const texts = Array.from({ length: count }, (_, i) => `test${i + 1}`);
        expect(await harness.send(client, client, ...texts)).toEqual({ Ok: null });
        // The gateway fetched the open message and every app message, and asks for what follows.
        expect((await harness.getMessages(gateway, 0n)).messages).toHaveLength(count + 1);
        await harness.getMessages(gateway, BigInt(count + 1));

        await harness.clock.advance(SEND_ACK_INTERVAL_MS + 1);

        const batch = await harness.getMessages(gateway, 0n);
        const queued = await harness.queued(gateway);
        // The open message and `count` app messages, less one pruning batch, then the ack.
        const kept = Math.max(count + 1 - MESSAGES_TO_DELETE_COUNT, 0);
        expect(queued).toHaveLength(kept + 1);
        const firstSequenceNumber = BigInt(Math.min(count + 1, MESSAGES_TO_DELETE_COUNT) + 1);
        expect(queued.map((m) => m.message.sequence_num)).toEqual(Array.from({ length: kept + 1 }, (_, i) => firstSequenceNumber + BigInt(i)));
        expect(queued.every((m) => m.message.client_key.client_principal.compareTo(key.client_principal) === 'eq')).toBe(true);
        expect(queued.at(-1)?.service).toEqual({ AckMessage: { last_incoming_sequence_num: 0n } });
        await harness.verify(batch, { disableTimeVerification: true });
      } finally {
        await harness.close();
      }
    });
  });
});
