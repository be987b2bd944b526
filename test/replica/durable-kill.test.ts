/**
 * Nothing acknowledged is lost: a replica killed with SIGKILL while callers increment the counter,
 * then started again on the same state directory, counts at least every value it certified.
 */
import { startCli, stop } from '../support/replica-cli';
import { actorOf, COUNTER, counterIdl, temporaryDir, type Counter } from './durable-support';

const CALLERS = 8;
/** Acknowledged increments before the kill: enough rounds that the kill lands amid them. */
const ACKNOWLEDGED_BEFORE_KILL = 64;

describe('icws-replica --state-dir, killed with SIGKILL', () => {
  const state = temporaryDir('icws-durable-kill-');
  afterAll(() => state.remove());

  test('keeps every increment it acknowledged to concurrent callers', async () => {
    const args = ['--listen', '127.0.0.1:0', '--state-dir', state.dir, '--canister', `counter=${COUNTER}`];
    const first = await startCli(args);
    const canisterId = /^canister counter (\S+)$/.exec(first.lines[0])![1];
    const callers = await Promise.all(Array.from({ length: CALLERS }, () => actorOf<Counter>(first.url, canisterId, counterIdl)));

    let acknowledged = 0;
    let highest = 0n;
    let killed = false;
    let onEnough!: () => void;
    const enough = new Promise<void>((resolve) => (onEnough = resolve));
    const exited = new Promise<void>((resolve) => first.child.once('exit', () => resolve()));
    const loops = callers.map(async (counter) => {
      while (!killed) {
        let value: bigint;
        try {
          value = await counter.increment();
        } catch {
          // The replica died under this call: it was not acknowledged.
          return;
        }
        acknowledged++;
        if (value > highest) highest = value;
        if (acknowledged >= ACKNOWLEDGED_BEFORE_KILL) onEnough();
      }
    });
    await enough;
    first.child.kill('SIGKILL');
    killed = true;
    await exited;
    await Promise.all(loops);
    expect(acknowledged).toBeGreaterThanOrEqual(ACKNOWLEDGED_BEFORE_KILL);

    const second = await startCli(args);
    try {
      expect(second.lines[0]).toBe(`canister counter ${canisterId}`);
      const counter = await actorOf<Counter>(second.url, canisterId, counterIdl);
      const count = await counter.get();
      expect(count).toBeGreaterThanOrEqual(highest);
      // Each acknowledged value is a distinct increment, so at least that many happened.
      expect(count).toBeGreaterThanOrEqual(BigInt(acknowledged));
      expect(await counter.increment()).toBe(count + 1n);
    } finally {
      await stop(second.child);
    }
  }, 60_000);
});
