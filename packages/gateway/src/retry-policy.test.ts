/** The gateway's one retry schedule, with injected randomness and a fake clock. */
import { FakeClock } from './testing/fake-clock';
import { RetryPolicy } from './retry-policy';

const fixed = (value: number) => () => value;

describe('RetryPolicy', () => {
  describe('#delayMs', () => {
    it('waits the floor when the draw is 0', () => {
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 5_000, random: fixed(0) });
      for (const retry of [0, 1, 5, 50]) expect(policy.delayMs(retry)).toBe(100);
    });

    it('doubles the ceiling with each retry when the draw is at its top', () => {
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 100_000, random: fixed(1) });
      expect([0, 1, 2, 3].map((retry) => policy.delayMs(retry))).toEqual([200, 400, 800, 1_600]);
    });

    it('never exceeds the ceiling, however many retries', () => {
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 5_000, random: fixed(1) });
      expect(policy.delayMs(10)).toBe(5_000);
      expect(policy.delayMs(5_000)).toBe(5_000);
    });

    it('draws uniformly between the floor and the ceiling (full jitter)', () => {
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 5_000, random: fixed(0.5) });
      expect(policy.delayMs(0)).toBe(150);
      expect(policy.delayMs(2)).toBe(450);
    });

    it('stays within [min, max] for any draw', () => {
      let seed = 1;
      const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
      const policy = new RetryPolicy({ minDelayMs: 200, maxDelayMs: 2_000, random });
      for (let retry = 0; retry < 200; retry++) {
        const delay = policy.delayMs(retry % 12);
        expect(delay).toBeGreaterThanOrEqual(200);
        expect(delay).toBeLessThanOrEqual(2_000);
      }
    });

    it('spreads its draws over the whole range', () => {
      const draws = [0, 0.25, 0.5, 0.75, 0.999];
      const delays = draws.map((draw) => new RetryPolicy({ minDelayMs: 100, maxDelayMs: 5_000, random: fixed(draw) }).delayMs(3));
      expect(new Set(delays).size).toBe(draws.length);
      expect(Math.min(...delays)).toBe(100);
      expect(Math.max(...delays)).toBeCloseTo(1_598.5, 6);
    });

    it('refuses a retry number that is not a whole number >= 0', () => {
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 5_000 });
      expect(() => policy.delayMs(-1)).toThrow(RangeError);
      expect(() => policy.delayMs(1.5)).toThrow('retry must be an integer >= 0, got 1.5');
    });
  });

  describe('constructor', () => {
    it.each([
      [{ minDelayMs: -1, maxDelayMs: 10 }, 'minDelayMs must be finite and >= 0, got -1'],
      [{ minDelayMs: 10, maxDelayMs: 5 }, 'maxDelayMs must be finite and >= minDelayMs (10), got 5'],
      [{ minDelayMs: 10, maxDelayMs: Infinity }, 'maxDelayMs must be finite'],
      [{ minDelayMs: 10, maxDelayMs: 20, windowMs: -1 }, 'windowMs must be >= 0, got -1'],
    ])('refuses %j naming the problem', (options, message) => {
      expect(() => new RetryPolicy(options)).toThrow(message);
    });
  });

  describe('#run', () => {
    const failing = (failures: number, error = new Error('down')) => {
      let calls = 0;
      const operation = jest.fn(async (_attempt: number) => {
        if (calls++ < failures) throw error;
        return 'done';
      });
      return operation;
    };

    it('returns at once what a first successful attempt gives', async () => {
      const clock = new FakeClock();
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 1_000, clock });
      await expect(policy.run(async () => 42)).resolves.toBe(42);
      expect(clock.pendingTimers).toBe(0);
    });

    it('retries after the drawn delay until the operation succeeds', async () => {
      const clock = new FakeClock();
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 1_000, random: fixed(0), clock });
      const operation = failing(2);
      const result = policy.run(operation);
      await clock.advance(99);
      expect(operation).toHaveBeenCalledTimes(1);
      await clock.advance(1);
      expect(operation).toHaveBeenCalledTimes(2);
      await clock.advance(100);
      await expect(result).resolves.toBe('done');
      expect(operation.mock.calls.map(([attempt]) => attempt)).toEqual([0, 1, 2]);
    });

    it('rethrows at once a failure that is not retriable', async () => {
      const clock = new FakeClock();
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 1_000, clock });
      const operation = failing(5, new Error('refused'));
      await expect(policy.run(operation, { retriable: () => false })).rejects.toThrow('refused');
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it('gives up with the last failure when the next attempt would start past the deadline', async () => {
      const clock = new FakeClock();
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 100, random: fixed(0), clock });
      const operation = failing(100);
      const result = policy.run(operation, { deadlineAt: clock.now() + 250 });
      const settled = expect(result).rejects.toThrow('down');
      await clock.advance(1_000);
      await settled;
      // Attempts at 0, 100 and 200 ms; one at 300 ms would be past the deadline.
      expect(operation).toHaveBeenCalledTimes(3);
    });

    it('gives up when its window has passed, whichever deadline comes first', async () => {
      const clock = new FakeClock();
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 100, windowMs: 150, random: fixed(0), clock });
      const operation = failing(100);
      const settled = expect(policy.run(operation, { deadlineAt: clock.now() + 10_000 })).rejects.toThrow('down');
      await clock.advance(1_000);
      await settled;
      expect(operation).toHaveBeenCalledTimes(2);
    });

    it('stops retrying once cancelled, during a delay too', async () => {
      const clock = new FakeClock();
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 100, clock });
      let cancelled = false;
      const operation = failing(100);
      const settled = expect(policy.run(operation, { cancelled: () => cancelled })).rejects.toThrow('down');
      await clock.advance(50);
      cancelled = true;
      await clock.advance(1_000);
      await settled;
      expect(operation).toHaveBeenCalledTimes(1);
    });

    it('tells of each retry with its attempt number and delay', async () => {
      const clock = new FakeClock();
      const policy = new RetryPolicy({ minDelayMs: 100, maxDelayMs: 1_000, random: fixed(1), clock });
      const onRetry = jest.fn();
      const result = policy.run(failing(2), { onRetry });
      await clock.advance(1_000);
      await expect(result).resolves.toBe('done');
      expect(onRetry.mock.calls.map(([, attempt, delay]) => [attempt, delay])).toEqual([
        [1, 200],
        [2, 400],
      ]);
    });
  });
});
