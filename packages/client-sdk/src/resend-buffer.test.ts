/** The sent, unacknowledged messages a resume re-sends: acks drop them, bounds let the oldest go. */
import { ResendBuffer } from './resend-buffer';

const message = (seq: bigint, size = 1) => ({ sequenceNum: seq, content: new Uint8Array(size).fill(Number(seq)) });

describe('ResendBuffer', () => {
  describe('#takeAfter', () => {
    it('returns the messages the canister did not receive, oldest first, and empties the buffer', () => {
      const buffer = new ResendBuffer(10, 100);
      for (const seq of [1n, 2n, 4n]) buffer.record(message(seq));
      expect(buffer.takeAfter(1n)).toEqual({ messages: [message(2n).content, message(4n).content], lost: 0 });
      expect(buffer.length).toBe(0);
    });

    it('counts as lost the ones it let go over its bounds that the canister did not receive', () => {
      const buffer = new ResendBuffer(2, 100);
      for (const seq of [1n, 2n, 3n, 4n]) buffer.record(message(seq));
      expect(buffer.takeAfter(1n)).toEqual({ messages: [message(3n).content, message(4n).content], lost: 1 });
    });
  });

  describe('#record', () => {
    it('lets the oldest go past the bytes allowed', () => {
      const buffer = new ResendBuffer(10, 5);
      buffer.record(message(1n, 3));
      buffer.record(message(2n, 3));
      expect(buffer.length).toBe(1);
    });
  });

  describe('#acknowledge', () => {
    it('drops what the ack covers, let-go ones included', () => {
      const buffer = new ResendBuffer(1, 100);
      for (const seq of [1n, 2n, 3n]) buffer.record(message(seq));
      buffer.acknowledge(2n);
      expect(buffer.takeAfter(0n)).toEqual({ messages: [message(3n).content], lost: 0 });
    });
  });

  describe('#clear', () => {
    it('says how many messages had an unknown fate', () => {
      const buffer = new ResendBuffer(1, 100);
      for (const seq of [1n, 2n]) buffer.record(message(seq));
      expect(buffer.clear()).toBe(2);
      expect(buffer.clear()).toBe(0);
    });
  });
});
