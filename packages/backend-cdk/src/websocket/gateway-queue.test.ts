import { Principal } from '@icp-sdk/core/principal';
import { GatewayQueue, queueRange, type QueuedMessage } from './gateway-queue';

const clientKey = { client_principal: Principal.anonymous(), client_nonce: 0n };

function queued(nonce: number, size = 3): QueuedMessage {
  return { nonce, clientKey, content: new Uint8Array(size), timestampNs: BigInt(nonce) };
}

const nonces = (messages: Iterable<QueuedMessage>) => [...messages].map((m) => m.nonce);

describe('GatewayQueue', () => {
  describe('#push', () => {
    it('appends messages with contiguous nonces from the first one', () => {
      const queue = new GatewayQueue(0);
      for (let n = 0; n < 40; n++) queue.push(queued(n));
      expect(queue.length).toBe(40);
      expect(queue.firstNonce).toBe(0);
      expect(queue.nextNonce).toBe(40);
      expect(queue.bytes).toBe(120);
      expect(nonces(queue)).toEqual([...Array(40).keys()]);
    });

    it('refuses a nonce that is not the next one', () => {
      const queue = new GatewayQueue(5);
      expect(() => queue.push(queued(4))).toThrow('GatewayQueue.push: expected nonce 5, got 4');
      expect(() => queue.push(queued(6))).toThrow(RangeError);
      expect(queue.length).toBe(0);
    });
  });

  describe('#at', () => {
    it('finds a message by nonce, and nothing outside the queue', () => {
      const queue = new GatewayQueue(10);
      for (let n = 10; n < 20; n++) queue.push(queued(n));
      queue.shift();
      expect(queue.at(15)?.nonce).toBe(15);
      expect(queue.at(10)).toBeUndefined();
      expect(queue.at(20)).toBeUndefined();
      expect(queue.at(11.5)).toBeUndefined();
    });
  });

  describe('#shift and #unshift', () => {
    it('remove from the front without losing the nonce arithmetic, across wrap-arounds and growth', () => {
      const queue = new GatewayQueue(0);
      let next = 0;
      for (let round = 0; round < 50; round++) {
        for (let i = 0; i < 7; i++) queue.push(queued(next++));
        for (let i = 0; i < 5; i++) expect(queue.shift()?.nonce).toBe(queue.firstNonce - 1);
      }
      expect(queue.length).toBe(100);
      expect(queue.firstNonce).toBe(250);
      expect(nonces(queue)).toEqual(Array.from({ length: 100 }, (_, i) => 250 + i));
      for (let n = 250; n < 350; n++) expect(queue.at(n)?.nonce).toBe(n);
    });

    it('put back what shift and pop took, restoring the queue exactly', () => {
      const queue = new GatewayQueue(0);
      for (let n = 0; n < 16; n++) queue.push(queued(n));
      const first = queue.shift()!;
      const second = queue.shift()!;
      const last = queue.pop()!;
      expect([first.nonce, second.nonce, last.nonce]).toEqual([0, 1, 15]);
      queue.push(last);
      queue.unshift(second);
      queue.unshift(first);
      expect(nonces(queue)).toEqual([...Array(16).keys()]);
      expect(queue.bytes).toBe(48);
      expect(() => queue.unshift(queued(3))).toThrow('GatewayQueue.unshift: expected nonce -1, got 3');
    });

    it('leave an empty queue whose next nonce continues the numbering', () => {
      const queue = new GatewayQueue(0);
      queue.push(queued(0));
      queue.shift();
      expect(queue.shift()).toBeUndefined();
      expect(queue.pop()).toBeUndefined();
      expect(queue.front()).toBeUndefined();
      expect([queue.length, queue.firstNonce, queue.nextNonce, queue.bytes]).toEqual([0, 1, 1, 0]);
    });
  });

  describe('queueRange', () => {
    const queue = new GatewayQueue(0);
    for (let n = 0; n < 30; n++) queue.push(queued(n));
    for (let n = 0; n < 10; n++) queue.shift();

    it('returns up to max messages from a nonce', () => {
      expect(nonces(queueRange(queue, 12, 5))).toEqual([12, 13, 14, 15, 16]);
      expect(nonces(queueRange(queue, 27, 5))).toEqual([27, 28, 29]);
    });

    it('starts at the oldest message when the nonce was pruned already', () => {
      expect(nonces(queueRange(queue, 3, 3))).toEqual([10, 11, 12]);
    });

    it('is empty past the end', () => {
      expect(queueRange(queue, 30, 5)).toEqual([]);
      expect(queueRange(queue, 99, 5)).toEqual([]);
    });

    it('stops before the sizes pass maxBytes, but returns the first message whatever its size', () => {
      expect(nonces(queueRange(queue, 12, 10, 9))).toEqual([12, 13, 14]); // 3 bytes each
      expect(nonces(queueRange(queue, 12, 10, 8))).toEqual([12, 13]);
      expect(nonces(queueRange(queue, 12, 10, 1))).toEqual([12]);
      expect(nonces(queueRange(queue, 12, 10, 100, (m) => (m.nonce === 13 ? 200 : 1)))).toEqual([12]);
    });
  });

  describe('#snapshot', () => {
    it('keeps reading the messages it had while the queue pushes, shifts, pops and unshifts across chunks', () => {
      const queue = new GatewayQueue(0);
      let next = 0;
      for (let round = 0; round < 40; round++) {
        const expected = nonces(queue);
        const snapshot = queue.snapshot();
        // A round: more in than out, then a rolled-back message (shifts and a push undone).
        for (let i = 0; i < 45; i++) queue.push(queued(next++));
        for (let i = 0; i < 30 && queue.length > 0; i++) queue.shift();
        const shifted = [queue.shift()!, queue.shift()!];
        const pushed = queue.pop()!;
        queue.unshift(shifted[1]);
        queue.unshift(shifted[0]);
        queue.push(pushed);
        expect([snapshot.firstNonce, snapshot.nextNonce]).toEqual(expected.length ? [expected[0], expected.at(-1)! + 1] : [snapshot.firstNonce, snapshot.firstNonce]);
        expect(nonces(queueRange(snapshot, 0, 10_000))).toEqual(expected);
      }
      expect(nonces(queue)).toEqual(Array.from({ length: queue.length }, (_, i) => queue.firstNonce + i));
    });

    it('lets a queue that had snapshots release its chunks as messages leave', () => {
      const queue = new GatewayQueue(0);
      for (let n = 0; n < 64 * 20; n++) {
        queue.push(queued(n));
        if (n % 50 === 0) queue.snapshot();
        if (queue.length > 100) queue.shift();
      }
      expect(queue.length).toBe(100);
      expect(nonces(queue)).toEqual(Array.from({ length: 100 }, (_, i) => 64 * 20 - 100 + i));
      expect(queue.at(64 * 20 - 101)).toBeUndefined();
    });
  });
});
