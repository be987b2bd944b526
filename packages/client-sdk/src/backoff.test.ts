import { backoff, overloadBackoff } from './backoff';

describe('backoff', () => {
  it('draws below a ceiling that doubles with each attempt', () => {
    const top = () => 0.999999;
    expect(backoff(0, 500, 30_000, top)).toBe(499);
    expect(backoff(1, 500, 30_000, top)).toBe(999);
    expect(backoff(3, 500, 30_000, top)).toBe(3_999);
  });

  it('never exceeds the largest ceiling, even for huge attempts', () => {
    const top = () => 0.999999;
    expect(backoff(10, 500, 30_000, top)).toBe(29_999);
    expect(backoff(5_000, 500, 30_000, top)).toBe(29_999);
  });

  it('may draw anything from zero up (full jitter)', () => {
    const bottom = () => 0;
    expect(backoff(0, 500, 30_000, bottom)).toBe(0);
    expect(backoff(8, 500, 30_000, bottom)).toBe(0);
    expect(backoff(2, 500, 30_000, () => 0.5)).toBe(1_000);
  });

  it('spreads draws over the range (jitter)', () => {
    const draws = new Set(Array.from({ length: 200 }, () => backoff(4, 500, 30_000)));
    expect(draws.size).toBeGreaterThan(100);
    for (const d of draws) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(8_000);
    }
  });

  it('is zero when both bounds are zero', () => {
    expect(backoff(3, 0, 0)).toBe(0);
  });

  it.each([
    [-1, 500, 1000],
    [1.5, 500, 1000],
    [0, -1, 1000],
    [0, 500, 100],
    [0, 500, Infinity],
  ])('refuses attempt=%p min=%p max=%p', (attempt, min, max) => {
    expect(() => backoff(attempt, min, max)).toThrow(RangeError);
  });
});

describe('overloadBackoff', () => {
  it('draws in the upper half of a ceiling that doubles with each overload close in a row', () => {
    const bottom = () => 0;
    const top = () => 0.999999;
    expect(overloadBackoff(1, 10_000, 60_000, bottom)).toBe(5_000);
    expect(overloadBackoff(1, 10_000, 60_000, top)).toBe(9_999);
    expect(overloadBackoff(2, 10_000, 60_000, bottom)).toBe(10_000);
    expect(overloadBackoff(3, 10_000, 60_000, top)).toBe(39_999);
  });

  it('stops growing at the largest ceiling', () => {
    expect(overloadBackoff(4, 10_000, 60_000, () => 0)).toBe(30_000);
    expect(overloadBackoff(5_000, 10_000, 60_000, () => 0.999999)).toBe(59_999);
  });

  it('waits longer than the ordinary backoff would at its most', () => {
    for (let i = 0; i < 100; i++) expect(overloadBackoff(1, 10_000, 60_000)).toBeGreaterThan(backoff(0, 500, 30_000));
  });

  it('refuses a streak below 1', () => {
    expect(() => overloadBackoff(0, 10_000, 60_000)).toThrow(/streak must be an integer >= 1/);
  });
});
