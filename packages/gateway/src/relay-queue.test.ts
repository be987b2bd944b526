/** A session's relay queue against a fake transport and a fake clock. */
import type { RelayOutcome } from './ic-transport';
import { RelayQueue, type RelayQueueLimits, type RelayQueueOptions } from './relay-queue';
import { RetryPolicy } from './retry-policy';
import { FakeClock, settle } from './testing/fake-clock';
import { deferred, envelopeRefused, FakeTransport, replicaOverloaded, replicaUnavailable } from './testing/fake-transport';
import { CANISTER_ID, messageCall, WS_OPEN_OK } from './testing/frames';

function setup(limits: Partial<RelayQueueLimits> = {}, options: Partial<RelayQueueOptions> = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const failures: unknown[] = [];
  const relayed: RelayOutcome[] = [];
  const stalls: number[] = [];
  const queue = new RelayQueue({
    canisterId: CANISTER_ID,
    transport,
    retry: new RetryPolicy({ minDelayMs: 200, maxDelayMs: 2_000, windowMs: 30_000, random: () => 0, clock }),
    limits: { maxFrames: 64, maxBytes: 1024 * 1024, maxWaitMs: 5_000, ...limits },
    clock,
    onRelayed: (outcome) => relayed.push(outcome),
    onFailed: (err) => failures.push(err),
    onStalled: () => stalls.push(clock.now()),
    ...options,
  });
  return { clock, transport, queue, failures, relayed, stalls };
}

/** Makes every relay wait until the test lets it finish. */
function gated(transport: FakeTransport) {
  const gates: Array<() => void> = [];
  transport.onRelay = () => new Promise<RelayOutcome>((resolve) => gates.push(() => resolve({ status: 'executed' })));
  return {
    /** Lets the oldest relay waiting finish. */
    async next(): Promise<void> {
      gates.shift()!();
      await settle();
    },
    get waiting(): number {
      return gates.length;
    },
  };
}

describe('RelayQueue', () => {
  describe('#push', () => {
    it('relays a call at once when nothing is in flight', () => {
      const { queue, transport } = setup();
      expect(queue.push({ request: messageCall('a') })).toBeUndefined();
      expect(transport.relayedArgs).toEqual(['a']);
    });

    it('relays calls in the order they were pushed', async () => {
      const { queue, transport } = setup();
      for (const text of ['a', 'b', 'c', 'd']) queue.push({ request: messageCall(text) });
      await settle();
      expect(transport.relayedArgs).toEqual(['a', 'b', 'c', 'd']);
    });

    it('keeps one call in flight at a time', async () => {
      const { queue, transport } = setup();
      const gate = gated(transport);
      for (const text of ['a', 'b', 'c']) queue.push({ request: messageCall(text) });
      await settle();
      expect(transport.relayedArgs).toEqual(['a']);
      await gate.next();
      expect(transport.relayedArgs).toEqual(['a', 'b']);
      await gate.next();
      await gate.next();
      expect(transport.relayedArgs).toEqual(['a', 'b', 'c']);
      expect(transport.mostRelaysInFlight).toBe(1);
    });

    it('relays to the canister it was made for, the envelope byte for byte', async () => {
      const { queue, transport } = setup();
      const request = messageCall('a');
      queue.push({ request });
      await settle();
      expect(transport.relayed[0].canisterId.toText()).toBe(CANISTER_ID.toText());
      expect(transport.relayed[0].envelopeCbor).toEqual(request.envelopeCbor);
    });

    it('counts the calls and bytes queued and in flight, and frees them once relayed', async () => {
      const { queue, transport } = setup();
      const gate = gated(transport);
      const a = messageCall('a');
      const b = messageCall('b', { padding: 100 });
      queue.push({ request: a });
      queue.push({ request: b });
      expect(queue.frames).toBe(2);
      expect(queue.bytes).toBe(a.envelopeCbor.length + b.envelopeCbor.length);
      await gate.next();
      expect(queue.frames).toBe(1);
      expect(queue.bytes).toBe(b.envelopeCbor.length);
      await gate.next();
      expect([queue.frames, queue.bytes]).toEqual([0, 0]);
    });
  });

  describe('bounds', () => {
    it('refuses the call past the frame bound, in flight included', () => {
      const { queue, transport } = setup({ maxFrames: 3 });
      gated(transport);
      for (const text of ['a', 'b', 'c']) expect(queue.push({ request: messageCall(text) })).toBeUndefined();
      expect(queue.push({ request: messageCall('d') })).toBe('frames');
      expect(queue.frames).toBe(3);
    });

    it('accepts calls again once the ones before are relayed', async () => {
      const { queue, transport } = setup({ maxFrames: 2 });
      const gate = gated(transport);
      queue.push({ request: messageCall('a') });
      queue.push({ request: messageCall('b') });
      expect(queue.push({ request: messageCall('c') })).toBe('frames');
      await gate.next();
      expect(queue.push({ request: messageCall('c') })).toBeUndefined();
    });

    it('refuses the call that would pass the byte bound', () => {
      const one = messageCall('a', { padding: 300 }).envelopeCbor.length;
      const { queue, transport } = setup({ maxBytes: 2 * one + 10 });
      gated(transport);
      expect(queue.push({ request: messageCall('a', { padding: 300 }) })).toBeUndefined();
      expect(queue.push({ request: messageCall('b', { padding: 300 }) })).toBeUndefined();
      expect(queue.push({ request: messageCall('c', { padding: 300 }) })).toBe('bytes');
      expect(queue.bytes).toBe(2 * one);
    });

    it('tells which of the two bounds a call would pass', () => {
      const { queue, transport } = setup({ maxFrames: 1, maxBytes: 1 });
      gated(transport);
      expect(queue.push({ request: messageCall('a') })).toBe('bytes');
      const roomy = setup({ maxFrames: 1 });
      gated(roomy.transport);
      roomy.queue.push({ request: messageCall('a') });
      expect(roomy.queue.push({ request: messageCall('b') })).toBe('frames');
    });

    describe('the wait bound', () => {
      it('refuses a call that arrives once the call in flight has waited longer than the bound, and takes one that arrives before', async () => {
        const { queue, transport, clock } = setup({ maxWaitMs: 5_000 });
        gated(transport);
        queue.push({ request: messageCall('a') });
        await clock.advance(5_000);
        expect(queue.push({ request: messageCall('b') })).toBeUndefined();
        expect(queue.oldestWaitMs).toBe(5_000);
        await clock.advance(1);
        expect(queue.push({ request: messageCall('c') })).toBe('wait');
        expect(queue.frames).toBe(2);
      });

      it('measures from the oldest call not yet relayed: once it is, from the next', async () => {
        const { queue, transport, clock } = setup({ maxWaitMs: 5_000 });
        const gate = gated(transport);
        queue.push({ request: messageCall('a') });
        await clock.advance(3_000);
        queue.push({ request: messageCall('b') });
        await clock.advance(2_001);
        expect(queue.push({ request: messageCall('c') })).toBe('wait');
        await gate.next(); // a relayed; b, 2,001 ms old, in flight
        expect(queue.push({ request: messageCall('c') })).toBeUndefined();
        expect(transport.relayedArgs).toEqual(['a', 'b']);
      });

      it('counts the time the replica refused the call as overloaded', async () => {
        const { queue, transport, clock } = setup({ maxWaitMs: 5_000 });
        transport.onRelay = async () => {
          throw replicaOverloaded();
        };
        queue.push({ request: messageCall('a') });
        await clock.advance(5_001);
        expect(queue.push({ request: messageCall('b') })).toBe('wait');
      });

      it('leaves out the time the replica could not be reached: the retry window covers that', async () => {
        const { queue, transport, clock } = setup({ maxWaitMs: 5_000 });
        let down = true;
        const answers: Array<() => void> = [];
        transport.onRelay = () => {
          if (down) return Promise.reject(replicaUnavailable());
          return new Promise<RelayOutcome>((resolve) => answers.push(() => resolve({ status: 'executed' })));
        };
        queue.push({ request: messageCall('a') });
        await clock.advance(10_000);
        down = false;
        await clock.advance(2_000); // the next attempt reaches the replica, which takes its time
        expect(answers).toHaveLength(1);
        expect(queue.push({ request: messageCall('b') })).toBeUndefined();
        await clock.advance(5_000);
        expect(queue.push({ request: messageCall('c') })).toBe('wait');
      });

      it('ends the queue when the next call waited longer than the bound before it could start, relaying none after', async () => {
        const { queue, transport, clock, stalls, failures } = setup({ maxWaitMs: 5_000 });
        const gate = gated(transport);
        queue.push({ request: messageCall('a') });
        await clock.advance(1_000);
        queue.push({ request: messageCall('b') });
        queue.push({ request: messageCall('c') });
        await clock.advance(5_001);
        await gate.next();
        expect(transport.relayedArgs).toEqual(['a']);
        expect(stalls).toHaveLength(1);
        expect(failures).toEqual([]);
        expect(queue.frames).toBe(0);
      });

      it('starts a call that waited up to the bound', async () => {
        const { queue, transport, clock, stalls } = setup({ maxWaitMs: 5_000 });
        const gate = gated(transport);
        queue.push({ request: messageCall('a') });
        queue.push({ request: messageCall('b') });
        await clock.advance(5_000);
        await gate.next();
        expect(transport.relayedArgs).toEqual(['a', 'b']);
        expect(stalls).toEqual([]);
      });

      it('takes any call while nothing waits, however long ago the last one came', async () => {
        const { queue, clock } = setup({ maxWaitMs: 5_000 });
        queue.push({ request: messageCall('a') });
        await clock.advance(60_000);
        expect(queue.frames).toBe(0);
        expect(queue.push({ request: messageCall('b') })).toBeUndefined();
      });
    });

    it('does not relay a refused call', async () => {
      const { queue, transport } = setup({ maxFrames: 1 });
      queue.push({ request: messageCall('a') });
      queue.push({ request: messageCall('b') });
      await settle();
      expect(transport.relayedArgs).toEqual(['a']);
    });
  });

  describe('#hold and #release', () => {
    it('keeps the call in flight going and holds the ones after it', async () => {
      const { queue, transport } = setup();
      queue.push({ request: messageCall('open') });
      queue.hold();
      queue.push({ request: messageCall('a') });
      queue.push({ request: messageCall('b') });
      await settle();
      expect(transport.relayedArgs).toEqual(['open']);
      expect(queue.frames).toBe(2);
      queue.release();
      await settle();
      expect(transport.relayedArgs).toEqual(['open', 'a', 'b']);
    });

    it('counts held calls against the bounds', () => {
      const { queue } = setup({ maxFrames: 2 });
      queue.hold();
      queue.push({ request: messageCall('a') });
      queue.push({ request: messageCall('b') });
      expect(queue.push({ request: messageCall('c') })).toBe('frames');
    });
  });

  describe('outcomes', () => {
    it('reads the outcome, with the request id, only of calls that ask for it', async () => {
      const { queue, transport } = setup();
      transport.onRelay = async () => WS_OPEN_OK;
      const onOutcome = jest.fn();
      queue.push({ request: messageCall('asks'), onOutcome });
      queue.push({ request: messageCall('does not') });
      await settle();
      expect(onOutcome).toHaveBeenCalledWith(WS_OPEN_OK);
      expect(transport.relayed[0].requestId).toHaveLength(32);
      expect(transport.relayed[1].requestId).toBeUndefined();
    });

    it('tells of every relayed call in order', async () => {
      const { queue, transport, relayed } = setup();
      const outcomes: RelayOutcome[] = [{ status: 'executed' }, { status: 'accepted' }, { status: 'rejected', message: 'no' }];
      let i = 0;
      transport.onRelay = async () => outcomes[i++];
      for (const text of ['a', 'b', 'c']) queue.push({ request: messageCall(text) });
      await settle();
      expect(relayed).toEqual(outcomes);
    });
  });

  describe('retries', () => {
    it('retries a call while the replica is unavailable, with the policy, before the next call', async () => {
      const { queue, transport, clock, failures } = setup();
      let down = 2;
      transport.onRelay = async () => {
        if (down-- > 0) throw replicaUnavailable();
        return { status: 'executed' };
      };
      queue.push({ request: messageCall('a') });
      queue.push({ request: messageCall('b') });
      await settle();
      expect(transport.relayedArgs).toEqual(['a']);
      expect(clock.pendingDelays).toEqual([200]);
      await clock.advance(200);
      await clock.advance(200);
      expect(transport.relayedArgs).toEqual(['a', 'a', 'a', 'b']);
      expect(failures).toEqual([]);
    });

    it('gives up after the retry window and fails the queue', async () => {
      const { queue, transport, clock, failures } = setup();
      transport.onRelay = async () => {
        throw replicaUnavailable();
      };
      queue.push({ request: messageCall('a') });
      queue.push({ request: messageCall('b') });
      await clock.advance(60_000);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ code: 'ICWS_ERR_REPLICA_UNAVAILABLE' });
      expect(transport.relayedArgs.every((arg) => arg === 'a')).toBe(true);
      expect(transport.relayed.length).toBeGreaterThan(2);
      expect(queue.frames).toBe(0);
    });

    it('does not retry past the envelope expiry', async () => {
      const { queue, transport, clock, failures } = setup();
      transport.onRelay = async () => {
        throw replicaUnavailable();
      };
      queue.push({ request: messageCall('a', { expiryMs: clock.now() + 500 }) });
      await clock.advance(60_000);
      expect(failures).toHaveLength(1);
      // Attempts at 0, 200 and 400 ms; the next would start past the expiry.
      expect(transport.relayed).toHaveLength(3);
    });

    it('fails at once on an envelope the replica refuses, dropping the calls after it', async () => {
      const { queue, transport, failures } = setup();
      transport.onRelay = async () => {
        throw envelopeRefused();
      };
      queue.push({ request: messageCall('a') });
      queue.push({ request: messageCall('b') });
      await settle();
      expect(transport.relayedArgs).toEqual(['a']);
      expect(failures).toEqual([expect.objectContaining({ code: 'ICWS_ERR_ENVELOPE_REFUSED' })]);
    });

    it('stops retrying once closed, without reporting a failure', async () => {
      const { queue, transport, clock, failures } = setup();
      transport.onRelay = async () => {
        throw replicaUnavailable();
      };
      queue.push({ request: messageCall('a') });
      await settle();
      queue.close();
      await clock.advance(60_000);
      expect(transport.relayed).toHaveLength(1);
      expect(failures).toEqual([]);
    });
  });

  describe('#close and #idle', () => {
    it('drops the waiting calls and lets the one in flight finish', async () => {
      const { queue, transport } = setup();
      const gate = gated(transport);
      for (const text of ['a', 'b', 'c']) queue.push({ request: messageCall(text) });
      queue.close();
      expect(queue.frames).toBe(1);
      let idle = false;
      void queue.idle().then(() => (idle = true));
      await settle();
      expect(idle).toBe(false);
      await gate.next();
      expect(idle).toBe(true);
      expect(transport.relayedArgs).toEqual(['a']);
      expect(queue.push({ request: messageCall('d') })).toBeUndefined();
      expect(queue.frames).toBe(0);
    });

    it('is idle at once with nothing in flight', async () => {
      const { queue } = setup();
      await expect(queue.idle()).resolves.toBeUndefined();
    });

    it('becomes idle only once every call queued before has been relayed', async () => {
      const { queue, transport } = setup();
      const answer = deferred<RelayOutcome>();
      transport.onRelay = (call) => (call.arg === 'b' ? answer.promise : Promise.resolve({ status: 'executed' }));
      for (const text of ['a', 'b', 'c']) queue.push({ request: messageCall(text) });
      let idle = false;
      void queue.idle().then(() => (idle = true));
      await settle();
      expect(idle).toBe(false);
      answer.resolve({ status: 'executed' });
      await settle();
      expect(idle).toBe(true);
      expect(transport.relayedArgs).toEqual(['a', 'b', 'c']);
    });
  });

  it('fails the queue rather than leaving a rejection when a callback throws', async () => {
    const { queue, failures } = setup({}, {});
    queue.push({
      request: messageCall('a'),
      onOutcome: () => {
        throw new Error('callback bug');
      },
    });
    queue.push({ request: messageCall('b') });
    await settle();
    expect(failures).toEqual([new Error('callback bug')]);
    expect(queue.frames).toBe(0);
  });
});
