/** The gateway's load shedding, against stand-in sessions and a fake clock. */
import { OverloadGuard, type SheddableSession } from './overload-guard';
import { FakeClock } from './testing/fake-clock';

class StandIn implements SheddableSession {
  shedCount = 0;
  constructor(
    readonly name: string,
    public relayWaitMs: number,
  ) {}

  shed(): void {
    this.shedCount++;
  }
}

function setup(waits: number[]) {
  const clock = new FakeClock();
  const sessions = waits.map((wait, i) => new StandIn(`s${i}`, wait));
  const guard = new OverloadGuard({ clock, intervalMs: 1_000, lateAfterMs: 2_500, sessions: () => sessions });
  const count = (arrived: number, relayed: number) => {
    for (let i = 0; i < arrived; i++) guard.arrived();
    for (let i = 0; i < relayed; i++) guard.relayed();
  };
  const shed = () => sessions.filter((s) => s.shedCount > 0).map((s) => s.name);
  return { clock, sessions, guard, count, shed };
}

describe('OverloadGuard', () => {
  describe('#judge', () => {
    it('closes nothing while calls are relayed as fast as they arrive, however long they wait', () => {
      const { guard, count, shed } = setup([9_000, 9_000, 9_000]);
      count(100, 100);
      expect(guard.judge()).toBe(0);
      expect(shed()).toEqual([]);
    });

    it('closes nothing while more arrive than are relayed but no call is late', () => {
      const { guard, count, shed } = setup([2_500, 1_000, 100]);
      count(200, 100);
      expect(guard.judge()).toBe(0);
      expect(shed()).toEqual([]);
    });

    it('closes the newest sessions with calls waiting, as many as the share of arrivals not relayed and a margin', () => {
      // 10 senders: 100 calls arrived, 50 relayed, so the replica keeps up with half of them; 45 leaves the backlog room to drain.
      const { guard, count, shed } = setup([3_000, 3_000, 3_000, 3_000, 3_000, 3_000, 3_000, 3_000, 3_000, 3_000]);
      count(100, 50);
      expect(guard.judge()).toBe(6);
      expect(shed()).toEqual(['s4', 's5', 's6', 's7', 's8', 's9']);
    });

    it('leaves idle sessions alone: only sessions with calls waiting add load', () => {
      const { guard, count, shed } = setup([3_000, 0, 3_000, 0, 0]);
      count(40, 0);
      expect(guard.judge()).toBe(2);
      expect(shed()).toEqual(['s0', 's2']);
    });

    it('waits one interval after closing sessions before it judges again, then judges that interval anew', () => {
      const { guard, count } = setup([3_000, 3_000, 3_000, 3_000]);
      count(100, 50);
      expect(guard.judge()).toBe(3);
      count(100, 50);
      expect(guard.judge()).toBe(0); // the closes have not shown yet
      count(100, 50);
      expect(guard.judge()).toBe(3);
    });

    it('closes none when no session has calls waiting', () => {
      const { guard, count, sessions } = setup([0, 0]);
      count(10, 0);
      expect(guard.judge()).toBe(0);
      expect(sessions.every((s) => s.shedCount === 0)).toBe(true);
    });
  });

  describe('#start', () => {
    it('judges every interval until stopped', async () => {
      const { clock, guard, count, sessions } = setup([3_000, 3_000]);
      guard.start();
      count(10, 0);
      await clock.advance(1_000);
      expect(sessions.map((s) => s.shedCount)).toEqual([1, 1]);
      guard.stop();
      count(10, 0);
      await clock.advance(5_000);
      expect(sessions.map((s) => s.shedCount)).toEqual([1, 1]);
      expect(clock.pendingTimers).toBe(0);
    });
  });
});
