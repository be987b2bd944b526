/**
 * The round scheduler's `persist` hook, which makes a round's state durable before its certificate
 * exists, and its one-round-at-a-time rule under callers that ask for the next round at once.
 */
import { RoundScheduler, yieldToEventLoop, type Round, type RoundHost } from './round-scheduler';

/**
 * Records the order of execute, persist, sign and certify; fails where told. Like the replica, it
 * has work from a call until a round certifies it.
 */
class JournalHost implements RoundHost {
  readonly journal: string[] = [];
  executing = 0;
  mostExecutingAtOnce = 0;
  work = 0;
  failPersist = false;

  hasWork(): boolean {
    return this.work > 0;
  }

  roundTimeNs(): bigint {
    return 1n;
  }

  async execute(round: Round): Promise<Uint8Array> {
    this.executing++;
    this.mostExecutingAtOnce = Math.max(this.mostExecutingAtOnce, this.executing);
    this.journal.push(`execute ${round.number}`);
    await yieldToEventLoop();
    this.executing--;
    return new Uint8Array([round.number]);
  }

  persist(round: Round): void {
    this.journal.push(`persist ${round.number}`);
    if (this.failPersist) throw new Error('disk full');
  }

  certify(round: Round): void {
    this.journal.push(`certify ${round.number}`);
    this.work = 0;
  }
}

/** Signs after a turn of the event loop, as a worker thread does, and notes when. */
function journalSigner(host: JournalHost) {
  return {
    async sign(message: Uint8Array): Promise<Uint8Array> {
      host.journal.push(`sign ${message[0]}`);
      await yieldToEventLoop();
      return message;
    },
  };
}

describe('RoundScheduler persist hook', () => {
  it('persists each round after it executes and before its message is signed', async () => {
    const host = new JournalHost();
    const scheduler = new RoundScheduler(host, journalSigner(host), { log: () => undefined });
    await scheduler.nextRound().certified;
    await scheduler.nextRound().certified;
    expect(host.journal).toEqual(['execute 1', 'persist 1', 'sign 1', 'certify 1', 'execute 2', 'persist 2', 'sign 2', 'certify 2']);
  });

  it('fails the round when persisting fails: nothing is signed, its waiters are rejected', async () => {
    const host = new JournalHost();
    const scheduler = new RoundScheduler(host, journalSigner(host), { log: () => undefined });
    host.failPersist = true;
    await expect(scheduler.nextRound().certified).rejects.toThrow('disk full');
    expect(host.journal).toEqual(['execute 1', 'persist 1']);
    expect(scheduler.state).toBe('idle');
  });

  it('runs one round at a time when every caller asks for the next round as soon as its own passes', async () => {
    const host = new JournalHost();
    const scheduler = new RoundScheduler(host, journalSigner(host), { log: () => undefined });
    // Callers come back after a few turns of the microtask queue (Replica.update() adds some of
    // its own): one of them lands where a round has just left the scheduler idle.
    const call = async (hops: number) => {
      await scheduler.nextRound().turn();
      for (let i = 0; i < hops; i++) await Promise.resolve();
      host.work = 1;
      scheduler.wake();
    };
    for (let hops = 0; hops < 8; hops++) for (let i = 0; i < 3; i++) await call(hops);
    await scheduler.whenIdle();
    expect(host.mostExecutingAtOnce).toBe(1);
    const order = host.journal.filter((entry) => entry.startsWith('execute') || entry.startsWith('certify'));
    for (let i = 0; i < order.length; i += 2) expect([order[i].split(' ')[0], order[i + 1]?.split(' ')[0]]).toEqual(['execute', 'certify']);
  });
});
