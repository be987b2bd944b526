import { Outbox } from './outbox';

function deferred(): { promise: Promise<Uint8Array>; resolve(v: number): void; reject(e: Error): void } {
  let resolve!: (v: number) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<Uint8Array>((res, rej) => {
    resolve = (v) => res(Uint8Array.of(v));
    reject = rej;
  });
  return { promise, resolve, reject };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Outbox', () => {
  describe('#push', () => {
    it('writes frames in queue order, whatever order their signatures finish in', async () => {
      const written: number[] = [];
      const outbox = new Outbox<string>((frame, tag) => written.push(frame[0]! * 10 + Number(tag)), () => undefined);
      const [a, b, c] = [deferred(), deferred(), deferred()];
      outbox.push('1', a.promise);
      outbox.push('2', b.promise);
      outbox.push('3', c.promise);
      c.resolve(3);
      b.resolve(2);
      await tick();
      expect(written).toEqual([]);
      a.resolve(1);
      await tick();
      expect(written).toEqual([11, 22, 33]);
    });

    it('stops at the first failed frame and reports it once', async () => {
      const written: number[] = [];
      const fail = jest.fn();
      const outbox = new Outbox<number>((frame) => written.push(frame[0]!), fail);
      const [a, b] = [deferred(), deferred()];
      outbox.push(1, a.promise);
      outbox.push(2, b.promise);
      b.resolve(2);
      a.reject(new Error('cannot sign'));
      await tick();
      outbox.push(3, Promise.resolve(Uint8Array.of(3)));
      await tick();
      expect(written).toEqual([]);
      expect(fail).toHaveBeenCalledTimes(1);
      expect(fail.mock.calls[0]![0].message).toBe('cannot sign');
    });

    it('reports a write that throws', async () => {
      const fail = jest.fn();
      const outbox = new Outbox<number>(() => {
        throw new Error('socket closed');
      }, fail);
      outbox.push(1, Promise.resolve(Uint8Array.of(1)));
      await tick();
      expect(fail).toHaveBeenCalledWith(expect.objectContaining({ message: 'socket closed' }));
    });
  });

  describe('#stop', () => {
    it('drops frames still being signed', async () => {
      const written: number[] = [];
      const outbox = new Outbox<number>((frame) => written.push(frame[0]!), () => undefined);
      const a = deferred();
      outbox.push(1, a.promise);
      outbox.stop();
      a.resolve(1);
      await tick();
      expect(written).toEqual([]);
    });
  });
});
