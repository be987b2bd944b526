/** The round scheduler's state machine, driven by a host and a signer that the tests control. */
import { Round, RoundScheduler, yieldToEventLoop, type RoundHost, type RoundState } from './round-scheduler';

/** Executes the calls queued before each round starts; records what every round executed. */
class RecordingHost implements RoundHost {
  readonly queue: string[] = [];
  readonly executed: string[][] = [];
  readonly certified: Array<{ round: number; signature: number }> = [];
  dirty = false;

  hasWork(): boolean {
    return this.queue.length > 0 || this.dirty;
  }

  roundTimeNs(): bigint {
    return BigInt(this.executed.length + 1) * 1_000n;
  }

  async execute(round: Round): Promise<Uint8Array> {
    this.executed.push(this.queue.splice(0));
    this.dirty = false;
    return new Uint8Array([round.number]);
  }

  certify(round: Round, signature: Uint8Array): void {
    this.certified.push({ round: round.number, signature: signature[0] });
  }
}

/** Signs only when the test says so. */
class ManualSigner {
  readonly #requests: Array<{ message: Uint8Array; resolve(signature: Uint8Array): void; reject(err: Error): void }> = [];

  sign(message: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => this.#requests.push({ message, resolve, reject }));
  }

  get pending(): number {
    return this.#requests.length;
  }

  /** Signs the oldest message with a signature that repeats its first byte. */
  signNext(): void {
    const request = this.#requests.shift()!;
    request.resolve(new Uint8Array([request.message[0] + 100]));
  }

  failNext(err: Error): void {
    this.#requests.shift()!.reject(err);
  }
}

function settledState(promise: Promise<unknown>): () => 'pending' | 'resolved' | 'rejected' {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(() => (state = 'resolved'), () => (state = 'rejected'));
  return () => state;
}

describe('RoundScheduler', () => {
  let host: RecordingHost;
  let signer: ManualSigner;
  let states: RoundState[];
  let logged: string[];
  let scheduler: RoundScheduler;

  beforeEach(() => {
    host = new RecordingHost();
    signer = new ManualSigner();
    states = [];
    logged = [];
    scheduler = new RoundScheduler(host, signer, { onStateChange: (state) => states.push(state), log: (line) => logged.push(line) });
  });
  afterEach(() => scheduler.close(new Error('test over')));

  /** Gives the event loop turns until the scheduler is in `state`. */
  async function reach(state: RoundState): Promise<void> {
    for (let turn = 0; turn < 100; turn++) {
      if (scheduler.state === state) return;
      await yieldToEventLoop();
    }
    throw new Error(`the scheduler stayed ${scheduler.state}, never ${state}`);
  }

  /** Gives the event loop turns until a round asks for its signature. */
  async function signingRequested(): Promise<void> {
    for (let turn = 0; turn < 100; turn++) {
      if (signer.pending > 0) return;
      await yieldToEventLoop();
    }
    throw new Error(`no round asked for a signature; the scheduler is ${scheduler.state}`);
  }

  describe('#nextRound', () => {
    it('goes idle → queued → executing → signing → settling → idle, and settles the round after its signature', async () => {
      host.queue.push('a');
      const round = scheduler.nextRound();
      const certified = settledState(round.certified);
      expect(round.number).toBe(1);
      expect(scheduler.state).toBe('queued');

      await signingRequested();
      expect(scheduler.state).toBe('signing');
      expect(host.executed).toEqual([['a']]);
      expect(round.timeNs).toBe(1_000n);
      await yieldToEventLoop();
      expect(certified()).toBe('pending');

      signer.signNext();
      await round.certified;
      expect(host.certified).toEqual([{ round: 1, signature: 101 }]);
      await reach('idle');
      expect(states).toEqual(['queued', 'executing', 'signing', 'settling', 'idle']);
    });

    it('lets calls that arrive in the same turn share one round', async () => {
      host.queue.push('a');
      const first = scheduler.nextRound();
      host.queue.push('b');
      expect(scheduler.nextRound()).toBe(first);
      await signingRequested();
      signer.signNext();
      await first.certified;
      expect(host.executed).toEqual([['a', 'b']]);
    });

    it('puts a call that arrives while a round is signed into the next round', async () => {
      host.queue.push('a');
      const first = scheduler.nextRound();
      await signingRequested();
      host.queue.push('b');
      const second = scheduler.nextRound();
      expect(second).not.toBe(first);
      expect(second.number).toBe(2);
      expect(scheduler.freshRound()).toBe(first);

      signer.signNext();
      await first.certified;
      const secondCertified = settledState(second.certified);
      await signingRequested();
      expect(host.executed).toEqual([['a'], ['b']]);
      expect(secondCertified()).toBe('pending');
      signer.signNext();
      await second.certified;
      expect(host.certified.map((c) => c.round)).toEqual([1, 2]);
      await reach('idle');
      expect(states).toEqual(['queued', 'executing', 'signing', 'settling', 'queued', 'executing', 'signing', 'settling', 'idle']);
    });

    it('runs one round at a time when a waiter of a round, resumed as the round ends, asks for the next', async () => {
      let executing = 0;
      let mostExecuting = 0;
      const execute = host.execute.bind(host);
      host.execute = async (round) => {
        mostExecuting = Math.max(mostExecuting, ++executing);
        await yieldToEventLoop(); // a round gives the event loop turns
        executing--;
        return execute(round);
      };
      const first = scheduler.nextRound();
      // Resumed two microtasks after the round settles: after the round's end made the scheduler
      // idle, before the loop that ran it looked again.
      const asked = first.turn().then(() => undefined).then(() => {
        host.dirty = true;
        return scheduler.nextRound();
      });
      await signingRequested();
      signer.signNext();
      const second = await asked;
      await signingRequested();
      for (let turn = 0; turn < 5; turn++) await yieldToEventLoop();
      expect(signer.pending).toBe(1);
      expect(mostExecuting).toBe(1);
      signer.signNext();
      await second.certified;
      await reach('idle');
      expect(host.certified.map((c) => c.round)).toEqual([1, 2]);
    });

    it('signs ONE message per round however many wait for it', async () => {
      const round = scheduler.nextRound();
      const waiters = Array.from({ length: 50 }, () => round.turn());
      await signingRequested();
      expect(signer.pending).toBe(1);
      signer.signNext();
      await Promise.all(waiters);
      expect(host.certified).toHaveLength(1);
    });
  });

  describe('minIntervalMs', () => {
    /** A clock that moves only when a sleep ends, and records each sleep. */
    function pacedScheduler(minIntervalMs: number) {
      let nowMs = 0;
      const sleeps: number[] = [];
      const paced = new RoundScheduler(host, signer, {
        minIntervalMs,
        now: () => nowMs,
        sleep: async (ms) => {
          sleeps.push(ms);
          nowMs += ms;
        },
      });
      return { paced, sleeps, advance: (ms: number) => (nowMs += ms) };
    }

    /** Queues `calls`, asks `paced` for a round, and signs it once it asks, after `tookMs` of work. */
    async function certifyRound(paced: RoundScheduler, calls: string[], tookMs = 0, advance = (_ms: number) => 0): Promise<void> {
      host.queue.push(...calls);
      const round = paced.nextRound();
      await signingRequested();
      advance(tookMs);
      signer.signNext();
      await round.certified;
    }

    it('starts a round at once, and the next one no sooner than the interval after it started', async () => {
      const { paced, sleeps, advance } = pacedScheduler(5);
      try {
        await certifyRound(paced, ['a'], 2, advance);
        expect(sleeps).toEqual([]);
        await certifyRound(paced, ['b', 'c']);
        expect(sleeps).toEqual([3]);
        expect(host.executed).toEqual([['a'], ['b', 'c']]);
      } finally {
        paced.close(new Error('test over'));
      }
    });

    it('does not wait when the interval has passed since the last round started', async () => {
      const { paced, sleeps, advance } = pacedScheduler(5);
      try {
        await certifyRound(paced, ['a'], 7, advance);
        await certifyRound(paced, ['b']);
        expect(sleeps).toEqual([]);
        expect(host.executed).toEqual([['a'], ['b']]);
      } finally {
        paced.close(new Error('test over'));
      }
    });
  });

  describe('#freshRound', () => {
    it('is the round executing or being signed, else the next one', async () => {
      const next = scheduler.freshRound();
      expect(next.number).toBe(1);
      await signingRequested();
      expect(scheduler.freshRound()).toBe(next);
      signer.signNext();
      await next.certified;
      expect(scheduler.state).toBe('settling');
      expect(scheduler.freshRound().number).toBe(2);
    });
  });

  describe('Round#turn', () => {
    it('lets the waiters of a round pass sixteen per turn of the event loop, before the next round starts', async () => {
      host.queue.push('a');
      const round = scheduler.nextRound();
      const passed: number[] = [];
      for (let i = 0; i < 40; i++) void round.turn().then(() => passed.push(i));
      await signingRequested();
      host.queue.push('b');
      scheduler.nextRound();
      signer.signNext();
      await round.certified;
      await Promise.resolve();
      expect(passed).toHaveLength(16);
      await yieldToEventLoop();
      expect(passed).toHaveLength(32);
      expect(host.executed).toEqual([['a']]);
      await signingRequested();
      expect(passed).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(host.executed).toEqual([['a'], ['b']]);
    });
  });

  describe('#whenIdle', () => {
    it('runs rounds while there is work and resolves when there is none', async () => {
      host.dirty = true;
      const idle = settledState(scheduler.whenIdle());
      await signingRequested();
      host.queue.push('later');
      signer.signNext();
      await signingRequested();
      expect(idle()).toBe('pending');
      signer.signNext();
      await reach('idle');
      await yieldToEventLoop();
      expect(idle()).toBe('resolved');
      expect(host.executed).toEqual([[], ['later']]);
    });
  });

  describe('#close', () => {
    it('rejects the round being signed and the next one with its reason, and refuses new rounds', async () => {
      const first = scheduler.nextRound();
      await signingRequested();
      const second = scheduler.nextRound();
      const reason = new Error('closed');
      scheduler.close(reason);
      await expect(first.certified).rejects.toBe(reason);
      await expect(second.certified).rejects.toBe(reason);
      await expect(first.turn()).rejects.toBe(reason);
      expect(() => scheduler.nextRound()).toThrow(reason);
      signer.signNext();
      await yieldToEventLoop();
      expect(host.certified).toEqual([]);
      expect(states.at(-1)).toBe('closed');
    });
  });

  describe('a failed round', () => {
    it('rejects its waiters and those of the next round, is logged, and leaves the scheduler idle until woken', async () => {
      const first = scheduler.nextRound();
      await signingRequested();
      const second = scheduler.nextRound();
      signer.failNext(new Error('signer gone'));
      await expect(first.certified).rejects.toThrow('signer gone');
      await expect(second.certified).rejects.toThrow('signer gone');
      expect(scheduler.state).toBe('idle');
      expect(logged).toEqual([expect.stringContaining('replica round 1 failed')]);

      const third = scheduler.nextRound();
      await signingRequested();
      signer.signNext();
      await third.certified;
      expect(third.number).toBe(3);
      expect(host.certified).toEqual([{ round: 3, signature: 103 }]);
    });
  });
});
