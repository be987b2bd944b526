/** Routing of certified batches to sessions, with pollers stood in for by the test. */
import type { Principal } from '@icp-sdk/core/principal';
import type { CanisterOutputMessage } from '@icws/protocol';
import { Router, type BatchSink, type PollerHandle, type Recipient } from './router';
import { clientKeyText } from '@icws/protocol';
import { errorCount, silentLog, testMetrics } from './testing/gateway-parts';
import { Cbor } from '@icp-sdk/core/agent';
import { formatMessageKey } from '@icws/protocol';
import { batch, CANISTER_ID, canisterMessage, clientKey, GATEWAY_PRINCIPAL, OTHER_CANISTER_ID } from './testing/frames';

/** The CBOR of a witness of `keys` (in order) under `websocket`, as a canister sends it: a balanced tree of forks. */
function witnessOf(keys: string[]): Uint8Array {
  const build = (from: number, to: number): unknown =>
    to - from === 1 ? [2, new TextEncoder().encode(keys[from]), [3, new Uint8Array(32).fill(from % 256)]] : [1, build(from, (from + to) >> 1), build((from + to) >> 1, to)];
  return Cbor.encode([2, new TextEncoder().encode('websocket'), build(0, keys.length)]);
}

class Inbox implements Recipient {
  readonly received: Array<{ text: string; cert: Uint8Array; tree: Uint8Array }> = [];
  deliver(message: CanisterOutputMessage, cert: Uint8Array, tree: Uint8Array): void {
    this.received.push({ text: new TextDecoder().decode(message.content), cert, tree });
  }
  get texts(): string[] {
    return this.received.map((r) => r.text);
  }
}

interface StubPoller extends PollerHandle {
  readonly canisterId: Principal;
  readonly sink: BatchSink;
  started: number;
  stopped: number;
  soon: number;
}

function setup() {
  const pollers: StubPoller[] = [];
  const metrics = testMetrics();
  const router = new Router({
    createPoller: (canisterId, sink) => {
      const poller: StubPoller = {
        canisterId,
        sink,
        started: 0,
        stopped: 0,
        soon: 0,
        start: () => void poller.started++,
        stop: async () => void poller.stopped++,
        pollSoon: () => void poller.soon++,
      };
      pollers.push(poller);
      return poller;
    },
    metrics,
    log: silentLog,
  });
  return { router, pollers, metrics };
}

describe('Router', () => {
  describe('#bind', () => {
    it('starts one poller per canister, with its first client', () => {
      const { router, pollers } = setup();
      router.bind(new Inbox(), CANISTER_ID, clientKey(1n));
      router.bind(new Inbox(), CANISTER_ID, clientKey(2n));
      router.bind(new Inbox(), OTHER_CANISTER_ID, clientKey(1n));
      expect(pollers.map((p) => [p.canisterId.toText(), p.started])).toEqual([
        [CANISTER_ID.toText(), 1],
        [OTHER_CANISTER_ID.toText(), 1],
      ]);
      expect(router.canisterCount).toBe(2);
    });

    it('refuses a client key that already has a route to the canister', () => {
      const { router } = setup();
      expect(router.bind(new Inbox(), CANISTER_ID, clientKey(1n))).toBeDefined();
      expect(router.bind(new Inbox(), CANISTER_ID, clientKey(1n))).toBeUndefined();
    });

    it('accepts the same client key again once its route is released', () => {
      const { router } = setup();
      router.bind(new Inbox(), CANISTER_ID, clientKey(1n))!.release();
      expect(router.bind(new Inbox(), CANISTER_ID, clientKey(1n))).toBeDefined();
    });
  });

  describe('Route#release', () => {
    it('stops the poller with the last route of its canister', () => {
      const { router, pollers } = setup();
      const a = router.bind(new Inbox(), CANISTER_ID, clientKey(1n))!;
      const b = router.bind(new Inbox(), CANISTER_ID, clientKey(2n))!;
      a.release();
      expect(pollers[0].stopped).toBe(0);
      b.release();
      expect(pollers[0].stopped).toBe(1);
      expect(router.canisterCount).toBe(0);
    });

    it('does nothing the second time', () => {
      const { router, pollers } = setup();
      const a = router.bind(new Inbox(), CANISTER_ID, clientKey(1n))!;
      a.release();
      router.bind(new Inbox(), CANISTER_ID, clientKey(2n));
      a.release();
      expect(router.canisterCount).toBe(1);
      expect(pollers[1].stopped).toBe(0);
    });

    it('stops delivering to the released recipient', () => {
      const { router, pollers } = setup();
      const gone = new Inbox();
      const stays = new Inbox();
      router.bind(gone, CANISTER_ID, clientKey(1n))!.release();
      router.bind(stays, CANISTER_ID, clientKey(2n));
      pollers[1].sink.accept(batch([canisterMessage(clientKey(1n), 0n), canisterMessage(clientKey(2n), 1n)]));
      expect(gone.texts).toEqual([]);
      expect(stays.texts).toEqual(['message 1']);
    });
  });

  describe('routing', () => {
    it('delivers each message to the recipient of its client key, with the batch certificate', () => {
      const { router, pollers } = setup();
      const one = new Inbox();
      const two = new Inbox();
      router.bind(one, CANISTER_ID, clientKey(1n));
      router.bind(two, CANISTER_ID, clientKey(2n));
      const certified = batch([canisterMessage(clientKey(1n), 0n), canisterMessage(clientKey(2n), 1n), canisterMessage(clientKey(1n), 2n)]);
      pollers[0].sink.accept(certified);
      expect(one.texts).toEqual(['message 0', 'message 2']);
      expect(two.texts).toEqual(['message 1']);
      expect(one.received[0].cert).toBe(certified.cert);
      expect(one.received[0].tree).toBe(certified.tree);
    });

    it('gives each message of a large batch its own path of the witness, and a small batch the witness as it came', () => {
      const { router, pollers } = setup();
      const inbox = new Inbox();
      router.bind(inbox, CANISTER_ID, clientKey(1n));
      const messages = Array.from({ length: 200 }, (_, i) => canisterMessage(clientKey(1n), BigInt(i)));
      const large = { ...batch(messages), tree: witnessOf(messages.map((m) => m.key)) };
      pollers[0].sink.accept(large);
      expect(inbox.received).toHaveLength(200);
      expect(new Set(inbox.received.map((r) => Buffer.from(r.tree).toString('hex'))).size).toBe(200);
      expect(Math.max(...inbox.received.map((r) => r.tree.length))).toBeLessThan(large.tree.length / 5);
      const small = { ...batch([canisterMessage(clientKey(1n), 200n)]), tree: witnessOf([formatMessageKey(GATEWAY_PRINCIPAL, 200n)]) };
      pollers[0].sink.accept(small);
      expect(inbox.received[200].tree).toBe(small.tree);
    });

    it('tells principals apart, not only client nonces', () => {
      const { router, pollers } = setup();
      const mine = new Inbox();
      router.bind(mine, CANISTER_ID, clientKey(1n));
      const stranger = clientKey(1n, OTHER_CANISTER_ID);
      pollers[0].sink.accept(batch([canisterMessage(stranger, 0n)]));
      expect(mine.texts).toEqual([]);
      expect(clientKeyText(stranger)).not.toBe(clientKeyText(clientKey(1n)));
    });

    it('ignores messages for client keys it does not know', () => {
      const { router, pollers } = setup();
      const mine = new Inbox();
      router.bind(mine, CANISTER_ID, clientKey(1n));
      expect(() => pollers[0].sink.accept(batch([canisterMessage(clientKey(9n), 0n), canisterMessage(clientKey(1n), 1n)]))).not.toThrow();
      expect(mine.texts).toEqual(['message 1']);
    });

    it('keeps each canister apart', () => {
      const { router, pollers } = setup();
      const here = new Inbox();
      const there = new Inbox();
      router.bind(here, CANISTER_ID, clientKey(1n));
      router.bind(there, OTHER_CANISTER_ID, clientKey(1n));
      pollers[1].sink.accept(batch([canisterMessage(clientKey(1n), 0n, 'from the other')]));
      expect(here.texts).toEqual([]);
      expect(there.texts).toEqual(['from the other']);
      expect(pollers[0].sink.nextNonce).toBe(0n);
      expect(pollers[1].sink.nextNonce).toBe(1n);
    });

    it('moves the read position past every message, routed or not', () => {
      const { router, pollers } = setup();
      router.bind(new Inbox(), CANISTER_ID, clientKey(1n));
      pollers[0].sink.accept(batch([canisterMessage(clientKey(1n), 0n), canisterMessage(clientKey(9n), 1n)]));
      expect(pollers[0].sink.nextNonce).toBe(2n);
    });

    it('skips messages below the read position', () => {
      const { router, pollers } = setup();
      const inbox = new Inbox();
      router.bind(inbox, CANISTER_ID, clientKey(1n));
      pollers[0].sink.accept(batch([canisterMessage(clientKey(1n), 0n), canisterMessage(clientKey(1n), 1n)]));
      pollers[0].sink.accept(batch([canisterMessage(clientKey(1n), 1n), canisterMessage(clientKey(1n), 2n)]));
      expect(inbox.texts).toEqual(['message 0', 'message 1', 'message 2']);
    });

    it('counts a gap in the nonces, and still delivers what came', async () => {
      const { router, pollers, metrics } = setup();
      const inbox = new Inbox();
      router.bind(inbox, CANISTER_ID, clientKey(1n));
      pollers[0].sink.accept(batch([canisterMessage(clientKey(1n), 0n)]));
      pollers[0].sink.accept(batch([canisterMessage(clientKey(1n), 5n)]));
      expect(inbox.texts).toEqual(['message 0', 'message 5']);
      expect(await errorCount(metrics, 'nonce_gap')).toBe(1);
    });

    it('does not call a first message past nonce 0 a gap (the queue may have been trimmed)', async () => {
      const { router, pollers, metrics } = setup();
      router.bind(new Inbox(), CANISTER_ID, clientKey(1n));
      pollers[0].sink.accept(batch([canisterMessage(clientKey(1n), 40n)]));
      expect(await errorCount(metrics, 'nonce_gap')).toBe(0);
    });

    it('passes pollSoon to the poller of the canister, and ignores unknown canisters', () => {
      const { router, pollers } = setup();
      router.bind(new Inbox(), CANISTER_ID, clientKey(1n));
      router.pollSoon(CANISTER_ID);
      router.pollSoon(OTHER_CANISTER_ID);
      expect(pollers[0].soon).toBe(1);
      expect(pollers).toHaveLength(1);
    });
  });

  describe('BatchSink#rewind', () => {
    it('reads from nonce 0 again', () => {
      const { router, pollers } = setup();
      router.bind(new Inbox(), CANISTER_ID, clientKey(1n));
      pollers[0].sink.accept(batch([canisterMessage(clientKey(1n), 0n), canisterMessage(clientKey(1n), 1n)]));
      pollers[0].sink.rewind();
      expect(pollers[0].sink.nextNonce).toBe(0n);
    });

    it('delivers nothing twice when the same queue is read again from nonce 0', () => {
      const { router, pollers } = setup();
      const one = new Inbox();
      const two = new Inbox();
      router.bind(one, CANISTER_ID, clientKey(1n));
      router.bind(two, CANISTER_ID, clientKey(2n));
      const queue = [canisterMessage(clientKey(1n), 0n), canisterMessage(clientKey(2n), 1n), canisterMessage(clientKey(1n), 2n)];
      pollers[0].sink.accept(batch(queue.slice(0, 2)));
      pollers[0].sink.rewind();
      pollers[0].sink.accept(batch([...queue, canisterMessage(clientKey(2n), 3n)]));
      expect(one.texts).toEqual(['message 0', 'message 2']);
      expect(two.texts).toEqual(['message 1', 'message 3']);
    });

    it('delivers a fresh queue to clients that joined after the restart', () => {
      const { router, pollers } = setup();
      const before = new Inbox();
      router.bind(before, CANISTER_ID, clientKey(1n));
      pollers[0].sink.accept(batch([canisterMessage(clientKey(1n), 0n), canisterMessage(clientKey(1n), 1n)]));
      pollers[0].sink.rewind();
      const after = new Inbox();
      router.bind(after, CANISTER_ID, clientKey(2n));
      pollers[0].sink.accept(batch([canisterMessage(clientKey(2n), 0n, 'fresh 0'), canisterMessage(clientKey(2n), 1n, 'fresh 1')]));
      expect(after.texts).toEqual(['fresh 0', 'fresh 1']);
      expect(before.texts).toEqual(['message 0', 'message 1']);
    });
  });

  describe('#stopAll', () => {
    it('stops every poller and forgets the canisters', async () => {
      const { router, pollers } = setup();
      router.bind(new Inbox(), CANISTER_ID, clientKey(1n));
      router.bind(new Inbox(), OTHER_CANISTER_ID, clientKey(1n));
      await router.stopAll();
      expect(pollers.map((p) => p.stopped)).toEqual([1, 1]);
      expect(router.canisterCount).toBe(0);
    });
  });
});
