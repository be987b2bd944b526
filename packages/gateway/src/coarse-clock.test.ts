/** CoarseClock over a fake clock: timers on a grid, one timer beneath per step. */
import { CoarseClock } from './coarse-clock';
import { FakeClock } from './testing/fake-clock';

describe('CoarseClock', () => {
  describe('#setTimer', () => {
    it('runs the timers due in one step together, with one timer beneath', async () => {
      const base = new FakeClock(1_000);
      const clock = new CoarseClock(base, 10);
      const ran: string[] = [];
      clock.setTimer(() => ran.push('a'), 97);
      clock.setTimer(() => ran.push('b'), 100);
      clock.setTimer(() => ran.push('c'), 104);
      expect(base.pendingTimers).toBe(1);
      expect(base.pendingDelays).toEqual([100]);
      await base.advance(99);
      expect(ran).toEqual([]);
      await base.advance(1);
      expect(ran).toEqual(['a', 'b', 'c']);
      expect(clock.pendingTimers).toBe(0);
    });

    it('puts each timer at the step nearest its time, half a step early or late at most', async () => {
      const base = new FakeClock(1_000);
      const clock = new CoarseClock(base, 10);
      for (const ms of [0, 4, 5, 14, 15, 96]) clock.setTimer(() => undefined, ms);
      expect(base.pendingDelays).toEqual([0, 10, 20, 100]);
    });

    it('cancels one timer of a step without the others, and the timer beneath with the last', async () => {
      const base = new FakeClock(0);
      const clock = new CoarseClock(base, 10);
      const ran: string[] = [];
      const a = clock.setTimer(() => ran.push('a'), 50);
      const b = clock.setTimer(() => ran.push('b'), 50);
      a.cancel();
      expect(base.pendingTimers).toBe(1);
      b.cancel();
      expect(base.pendingTimers).toBe(0);
      clock.setTimer(() => ran.push('c'), 50);
      await base.advance(50);
      expect(ran).toEqual(['c']);
      b.cancel();
      expect(clock.pendingTimers).toBe(0);
    });

    it('runs the same callback set twice twice', async () => {
      const base = new FakeClock(0);
      const clock = new CoarseClock(base, 10);
      let runs = 0;
      const callback = () => void runs++;
      clock.setTimer(callback, 20);
      clock.setTimer(callback, 20);
      await base.advance(20);
      expect(runs).toBe(2);
    });

    it('keeps timers that do not keep the process alive on steps of their own', () => {
      const base = new FakeClock(0);
      const setTimer = jest.spyOn(base, 'setTimer');
      const clock = new CoarseClock(base, 10);
      clock.setTimer(() => undefined, 30, { unref: true });
      clock.setTimer(() => undefined, 30);
      expect(setTimer.mock.calls.map((call) => ((call as unknown[])[2] as { unref?: boolean } | undefined)?.unref)).toEqual([true, false]);
    });

    it('runs every callback of a step when one throws, then throws its error', async () => {
      const base = new FakeClock(0);
      const clock = new CoarseClock(base, 10);
      const ran: string[] = [];
      clock.setTimer(() => {
        throw new Error('first');
      }, 10);
      clock.setTimer(() => ran.push('second'), 10);
      await expect(base.advance(10)).rejects.toThrow('first');
      expect(ran).toEqual(['second']);
    });

    it('refuses a resolution that is not above 0', () => {
      expect(() => new CoarseClock(new FakeClock(), 0)).toThrow(RangeError);
    });
  });
});
