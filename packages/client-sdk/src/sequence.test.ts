import { IcWebSocketError } from './errors';
import { AckTracker, IncomingSequence } from './sequence';

function mismatch(fn: () => void): IcWebSocketError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IcWebSocketError);
    return err as IcWebSocketError;
  }
  throw new Error('expected a sequence mismatch');
}

describe('IncomingSequence', () => {
  describe('#accept', () => {
    it('accepts 1, 2, 3, … and remembers the last', () => {
      const seq = new IncomingSequence();
      expect(seq.last).toBe(0n);
      for (const n of [1n, 2n, 3n]) seq.accept(n);
      expect(seq.last).toBe(3n);
    });

    it('refuses a gap, naming the dropped messages', () => {
      const seq = new IncomingSequence();
      seq.accept(1n);
      const err = mismatch(() => seq.accept(4n));
      expect(err.code).toBe('ICWS_ERR_SEQUENCE_MISMATCH');
      expect(err.kind).toBe('protocol');
      expect(err.message).toBe('expected message 2 from the canister, got message 4: the gateway dropped or reordered messages 2..3');
      expect(mismatch(() => seq.accept(3n)).message).toContain('dropped or reordered message 2');
    });

    it('refuses a repeat', () => {
      const seq = new IncomingSequence();
      seq.accept(1n);
      seq.accept(2n);
      expect(mismatch(() => seq.accept(2n)).message).toBe(
        'expected message 3 from the canister, got message 2: the gateway repeated or reordered message 2',
      );
    });

    it('does not advance after a refusal', () => {
      const seq = new IncomingSequence();
      mismatch(() => seq.accept(2n));
      seq.accept(1n);
      expect(seq.last).toBe(1n);
    });
  });
});

describe('AckTracker', () => {
  describe('#add', () => {
    it('numbers messages from 1 and refuses numbers out of turn', () => {
      const acks = new AckTracker(1_000);
      expect(acks.nextSequenceNum).toBe(1n);
      acks.add(1n, 0);
      acks.add(2n, 10);
      expect(acks.lastSent).toBe(2n);
      expect(acks.unacknowledged).toEqual([1n, 2n]);
      expect(() => acks.add(4n, 20)).toThrow(RangeError);
    });
  });

  describe('#ack', () => {
    it('forgets every message up to the acknowledged one', () => {
      const acks = new AckTracker(1_000);
      for (let i = 1n; i <= 4n; i++) acks.add(i, Number(i));
      expect(acks.ack(2n, 100)).toEqual({ status: 'ok' });
      expect(acks.unacknowledged).toEqual([3n, 4n]);
      expect(acks.ack(4n, 100)).toEqual({ status: 'ok' });
      expect(acks.unacknowledged).toEqual([]);
      expect(acks.nextDeadlineMs()).toBeUndefined();
    });

    it('accepts an ack of nothing new (the canister acks on a timer)', () => {
      const acks = new AckTracker(1_000);
      expect(acks.ack(0n, 0)).toEqual({ status: 'ok' });
      acks.add(1n, 0);
      expect(acks.ack(0n, 10)).toEqual({ status: 'ok' });
      expect(acks.unacknowledged).toEqual([1n]);
    });

    it('reports an ack of a message never sent', () => {
      const acks = new AckTracker(1_000);
      acks.add(1n, 0);
      expect(acks.ack(2n, 10)).toEqual({ status: 'ahead', lastSent: 1n });
    });

    it('reports messages still unacknowledged past the timeout', () => {
      const acks = new AckTracker(1_000);
      acks.add(1n, 0);
      acks.add(2n, 500);
      acks.add(3n, 900);
      expect(acks.ack(1n, 1_500)).toEqual({ status: 'overdue', overdue: [2n] });
    });
  });

  describe('#nextDeadlineMs', () => {
    it('is when the oldest unacknowledged message becomes overdue', () => {
      const acks = new AckTracker(1_000);
      acks.add(1n, 100);
      acks.add(2n, 300);
      expect(acks.nextDeadlineMs()).toBe(1_100);
      acks.ack(1n, 400);
      expect(acks.nextDeadlineMs()).toBe(1_300);
      expect(acks.overdue(1_299)).toEqual([]);
      expect(acks.overdue(1_300)).toEqual([2n]);
    });
  });
});
