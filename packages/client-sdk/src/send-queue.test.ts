/** Messages sent while reconnecting wait in order, within bounds. */
import { IcWebSocketError } from './errors';
import { SendQueue } from './send-queue';

describe('SendQueue', () => {
  describe('#push', () => {
    it('keeps messages in order until shifted', () => {
      const queue = new SendQueue(3, 100);
      queue.push(Uint8Array.of(1));
      queue.push(Uint8Array.of(2, 2));
      expect(queue.bytes).toBe(3);
      expect([queue.shift(), queue.shift(), queue.shift()]).toEqual([Uint8Array.of(1), Uint8Array.of(2, 2), undefined]);
      expect(queue.length).toBe(0);
      expect(queue.bytes).toBe(0);
    });

    it.each([
      ['messages', new SendQueue(1, 100), 'wait already (reconnect.maxQueuedMessages 1, maxQueuedBytes 100)'],
      ['bytes', new SendQueue(10, 2), 'wait already (reconnect.maxQueuedMessages 10, maxQueuedBytes 2)'],
    ])('throws ICWS_ERR_SEND_QUEUE_FULL past its bound in %s, queuing nothing', (_bound, queue, text) => {
      queue.push(Uint8Array.of(1));
      let caught: unknown;
      try {
        queue.push(Uint8Array.of(2, 2));
      } catch (err) {
        caught = err;
      }
      expect(IcWebSocketError.is(caught, 'ICWS_ERR_SEND_QUEUE_FULL')).toBe(true);
      expect((caught as Error).message).toContain(text);
      expect(queue.length).toBe(1);
    });
  });
});
