/** A canister's poller against a fake transport and a fake clock. */
import type { CanisterOutputCertifiedMessages, CanisterOutputMessage } from '@icws/protocol';
import { CanisterPoller, LONG_QUEUE_POLL_MESSAGES } from './poller';
import { RetryPolicy } from './retry-policy';
import { Router, type BatchSink } from './router';
import { FakeClock, settle } from './testing/fake-clock';
import { deferred, FakeTransport, replicaUnavailable } from './testing/fake-transport';
import { errorCount, silentLog, testMetrics } from './testing/gateway-parts';
import { batch, CANISTER_ID, canisterMessage, clientKey } from './testing/frames';

const INTERVAL = 100;

class RecordingSink implements BatchSink {
  nextNonce = 0n;
  rewinds = 0;
  readonly batches: CanisterOutputCertifiedMessages[] = [];
  accept(b: CanisterOutputCertifiedMessages): void {
    this.batches.push(b);
    if (b.messages.length > 0) this.nextNonce += BigInt(b.messages.length);
  }
  rewind(): void {
    this.rewinds++;
    this.nextNonce = 0n;
  }
}

function setup(options: { random?: () => number; sink?: BatchSink; transport?: FakeTransport; clock?: FakeClock } = {}) {
  const clock = options.clock ?? new FakeClock();
  const transport = options.transport ?? new FakeTransport();
  const sink = options.sink ?? new RecordingSink();
  const metrics = testMetrics();
  const poller = new CanisterPoller({
    canisterId: CANISTER_ID,
    source: transport,
    sink,
    intervalMs: INTERVAL,
    timeoutMs: 5_000,
    retry: new RetryPolicy({ minDelayMs: INTERVAL, maxDelayMs: 5_000, random: options.random ?? (() => 1), clock }),
    clock,
    metrics,
    log: silentLog,
  });
  return { clock, transport, sink, poller, metrics };
}

/** A transport whose polls all fail. */
function failingTransport(): FakeTransport {
  const transport = new FakeTransport();
  transport.onPoll = async () => {
    throw replicaUnavailable();
  };
  return transport;
}

/** A transport whose queue holds `messages` and answers at most `limit` of them a poll. */
function queueOf(transport: FakeTransport, messages: CanisterOutputMessage[], limit = Infinity): void {
  transport.onPoll = async (_, nonce) => {
    const rest = messages.filter((m) => BigInt(m.key.slice(-20)) >= nonce);
    const page = rest.slice(0, limit);
    return batch(page, page.length === rest.length);
  };
}

describe('CanisterPoller', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    const stopping = stop;
    stop = undefined;
    await stopping?.();
  });
  const started = (parts: ReturnType<typeof setup>) => {
    parts.poller.start();
    stop = () => parts.poller.stop();
    return parts;
  };

  describe('#start', () => {
    it('polls at once, from the nonce the sink asks for', async () => {
      const sink = new RecordingSink();
      sink.nextNonce = 12n;
      const { transport } = started(setup({ sink }));
      await settle();
      expect(transport.polls).toEqual([{ canisterId: CANISTER_ID, nonce: 12n }]);
    });

    it('starts one loop however often it is called', async () => {
      const parts = started(setup());
      parts.poller.start();
      await settle();
      expect(parts.transport.polls).toHaveLength(1);
    });
  });

  describe('schedule', () => {
    it('polls once per interval while the queue is drained', async () => {
      const { transport, clock } = started(setup());
      await settle();
      await clock.advance(INTERVAL - 1);
      expect(transport.polls).toHaveLength(1);
      await clock.advance(1);
      expect(transport.polls).toHaveLength(2);
      await clock.advance(10 * INTERVAL);
      expect(transport.polls).toHaveLength(12);
    });

    it('counts the time a poll took against the interval', async () => {
      const clock = new FakeClock();
      const transport = new FakeTransport();
      transport.onPoll = () => new Promise((resolve) => clock.setTimer(() => resolve(batch([])), 30));
      started(setup({ clock, transport }));
      await clock.advance(30);
      expect(clock.pendingDelays).toEqual([INTERVAL - 30]);
    });

    it('polls again at once while the queue is not drained', async () => {
      const transport = new FakeTransport();
      queueOf(transport, [0n, 1n, 2n, 3n, 4n].map((n) => canisterMessage(clientKey(), n)), 2);
      const { sink } = started(setup({ transport }));
      await settle();
      expect(transport.polls.map((p) => p.nonce)).toEqual([0n, 2n, 4n]);
      expect((sink as RecordingSink).batches.map((b) => b.messages.length)).toEqual([2, 2, 1]);
    });

    it('asks for LONG_QUEUE_POLL_MESSAGES while the queue is long, and for no count once it is drained', async () => {
      const transport = new FakeTransport();
      queueOf(transport, [0n, 1n, 2n, 3n, 4n].map((n) => canisterMessage(clientKey(), n)), 2);
      const { clock } = started(setup({ transport }));
      await settle();
      await clock.advance(INTERVAL);
      expect(transport.polls.map((p) => p.maxMessages)).toEqual([undefined, LONG_QUEUE_POLL_MESSAGES, LONG_QUEUE_POLL_MESSAGES, undefined]);
    });

    it('sends the next poll before delivering the batch in hand while the queue is long', async () => {
      const transport = new FakeTransport();
      queueOf(transport, [0n, 1n, 2n, 3n, 4n].map((n) => canisterMessage(clientKey(), n)), 2);
      const sink = new RecordingSink();
      const pollsSentAtDelivery: number[] = [];
      const accept = sink.accept.bind(sink);
      sink.accept = (b) => {
        pollsSentAtDelivery.push(transport.polls.length);
        accept(b);
      };
      started(setup({ transport, sink }));
      await settle();
      // Batches 1 and 2 leave the queue long: the polls after them are out when they are delivered.
      expect(pollsSentAtDelivery).toEqual([2, 3, 3]);
      expect(sink.batches.flatMap((b) => b.messages.map((m) => BigInt(m.key.slice(-20))))).toEqual([0n, 1n, 2n, 3n, 4n]);
    });

    it('treats an empty batch as drained even without is_end_of_queue', async () => {
      const transport = new FakeTransport();
      transport.onPoll = async () => batch([], false);
      const { clock } = started(setup({ transport }));
      await settle();
      await clock.advance(INTERVAL - 1);
      expect(transport.polls).toHaveLength(1);
    });
  });

  describe('#pollSoon', () => {
    it('wakes a poller waiting for its interval', async () => {
      const { transport, poller } = started(setup());
      await settle();
      poller.pollSoon();
      await settle();
      expect(transport.polls).toHaveLength(2);
    });

    it('polls again right after a poll in flight', async () => {
      const transport = new FakeTransport();
      const answer = deferred<CanisterOutputCertifiedMessages>();
      transport.onPoll = () => answer.promise;
      const { poller } = started(setup({ transport }));
      await settle();
      poller.pollSoon();
      transport.onPoll = async () => batch([]);
      answer.resolve(batch([]));
      await settle();
      expect(transport.polls).toHaveLength(2);
    });
  });

  describe('failures', () => {
    it('backs off with the retry policy, the delay growing with each failure', async () => {
      const transport = failingTransport();
      const { clock } = started(setup({ transport, random: () => 1 }));
      await settle();
      const delays: number[] = [];
      for (let i = 0; i < 7; i++) {
        delays.push(clock.pendingDelays[0]);
        await clock.advance(clock.pendingDelays[0]);
      }
      expect(delays).toEqual([200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
      expect(transport.polls).toHaveLength(8);
    });

    it('draws each backoff from the policy, at least the interval', async () => {
      const transport = failingTransport();
      const { clock } = started(setup({ transport, random: () => 0 }));
      await settle();
      expect(clock.pendingDelays).toEqual([INTERVAL]);
      await clock.advance(INTERVAL);
      expect(clock.pendingDelays).toEqual([INTERVAL]);
    });

    it('goes back to the interval after a success', async () => {
      const transport = new FakeTransport();
      let failures = 3;
      transport.onPoll = async () => {
        if (failures-- > 0) throw replicaUnavailable();
        return batch([]);
      };
      const { clock } = started(setup({ transport, random: () => 1 }));
      await settle();
      await clock.advance(200 + 400 + 800);
      expect(transport.polls).toHaveLength(4);
      expect(clock.pendingDelays).toEqual([INTERVAL]);
    });

    it('rewinds the sink once per run of failures, on the first', async () => {
      const transport = new FakeTransport();
      let failing = true;
      transport.onPoll = async () => {
        if (failing) throw replicaUnavailable();
        return batch([]);
      };
      const { clock, sink } = started(setup({ transport, random: () => 0 }));
      await settle();
      await clock.advance(5 * INTERVAL);
      expect((sink as RecordingSink).rewinds).toBe(1);
      failing = false;
      await clock.advance(INTERVAL);
      failing = true;
      await clock.advance(3 * INTERVAL);
      expect((sink as RecordingSink).rewinds).toBe(2);
    });

    it('counts each failed poll', async () => {
      const transport = failingTransport();
      const { clock, metrics } = started(setup({ transport, random: () => 0 }));
      await settle();
      await clock.advance(2 * INTERVAL);
      expect(await errorCount(metrics, 'poll')).toBe(3);
    });

    it('abandons a poll that takes longer than its timeout, as a failure', async () => {
      const transport = new FakeTransport();
      transport.onPoll = () => new Promise(() => undefined);
      const { clock, sink, metrics } = started(setup({ transport }));
      await settle();
      await clock.advance(4_999);
      expect(await errorCount(metrics, 'poll')).toBe(0);
      await clock.advance(1);
      expect(await errorCount(metrics, 'poll')).toBe(1);
      expect((sink as RecordingSink).rewinds).toBe(1);
    });
  });

  describe('#stop', () => {
    it('polls no more', async () => {
      const { transport, clock, poller } = setup();
      poller.start();
      await settle();
      await poller.stop();
      await clock.advance(10 * INTERVAL);
      expect(transport.polls).toHaveLength(1);
      expect(clock.pendingTimers).toBe(0);
    });

    it('waits for the poll in flight', async () => {
      const transport = new FakeTransport();
      const answer = deferred<CanisterOutputCertifiedMessages>();
      transport.onPoll = () => answer.promise;
      const { poller } = setup({ transport });
      poller.start();
      await settle();
      let stopped = false;
      void poller.stop().then(() => (stopped = true));
      await settle();
      expect(stopped).toBe(false);
      answer.resolve(batch([]));
      await settle();
      expect(stopped).toBe(true);
    });
  });

  describe('with the router', () => {
    it('hands each batch to the router, which routes it', async () => {
      const clock = new FakeClock();
      const transport = new FakeTransport();
      const received: string[] = [];
      const router = new Router({
        createPoller: (_canisterId, sink) => setup({ clock, transport, sink }).poller,
        metrics: testMetrics(),
        log: silentLog,
      });
      queueOf(transport, [canisterMessage(clientKey(1n), 0n), canisterMessage(clientKey(2n), 1n)]);
      router.bind({ deliver: (m) => received.push(new TextDecoder().decode(m.content)) }, CANISTER_ID, clientKey(1n));
      stop = () => router.stopAll();
      await settle();
      expect(received).toEqual(['message 0']);
      expect(transport.polls.map((p) => p.nonce)).toEqual([0n]);
      await clock.advance(INTERVAL);
      expect(transport.polls.map((p) => p.nonce)).toEqual([0n, 2n]);
    });

    it('re-reads the queue from nonce 0 after a failure without delivering duplicates', async () => {
      const clock = new FakeClock();
      const transport = new FakeTransport();
      const received: string[] = [];
      const router = new Router({
        createPoller: (_canisterId, sink) => setup({ clock, transport, sink, random: () => 0 }).poller,
        metrics: testMetrics(),
        log: silentLog,
      });
      const queue = [canisterMessage(clientKey(), 0n), canisterMessage(clientKey(), 1n)];
      queueOf(transport, queue);
      router.bind({ deliver: (m) => received.push(new TextDecoder().decode(m.content)) }, CANISTER_ID, clientKey());
      stop = () => router.stopAll();
      await settle();
      transport.onPoll = async () => {
        throw replicaUnavailable();
      };
      await clock.advance(INTERVAL);
      queue.push(canisterMessage(clientKey(), 2n));
      queueOf(transport, queue);
      await clock.advance(INTERVAL);
      expect(transport.polls.map((p) => p.nonce)).toEqual([0n, 2n, 0n]);
      expect(received).toEqual(['message 0', 'message 1', 'message 2']);
    });
  });
});
