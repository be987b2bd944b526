/** The token bucket that paces the flush after a reconnection. */
import { FlushPacer } from './flush-pacer';

describe('FlushPacer', () => {
  let clock = 0;
  beforeEach(() => (clock = 0));

  it('allows a burst, then one message per 1/rate second', () => {
    const pacer = new FlushPacer(3, 4, () => clock);
    expect([pacer.take(), pacer.take(), pacer.take(), pacer.take()]).toEqual([true, true, true, false]);
    expect(pacer.msUntilNext()).toBe(250);
    clock += 250;
    expect(pacer.take()).toBe(true);
    expect(pacer.take()).toBe(false);
  });

  it('never holds more than its burst, however long it waited', () => {
    const pacer = new FlushPacer(2, 10, () => clock);
    clock += 60_000;
    expect([pacer.take(), pacer.take(), pacer.take()]).toEqual([true, true, false]);
  });

  it('is full again when refilled', () => {
    const pacer = new FlushPacer(2, 0.001, () => clock);
    pacer.take();
    pacer.take();
    expect(pacer.take()).toBe(false);
    pacer.refill();
    expect([pacer.take(), pacer.take(), pacer.take()]).toEqual([true, true, false]);
  });

  it('does not pace at rate Infinity', () => {
    const pacer = new FlushPacer(1, Infinity, () => clock);
    for (let i = 0; i < 100; i++) expect(pacer.take()).toBe(true);
    expect(pacer.msUntilNext()).toBe(0);
  });
});
