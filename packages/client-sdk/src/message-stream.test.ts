import { MessageStream } from './message-stream';

describe('MessageStream', () => {
  it('hands out pushed messages in order, buffered or awaited', async () => {
    const stream = new MessageStream<number>(() => undefined);
    stream.push(1);
    const pending = stream.next();
    expect(await pending).toEqual({ value: 1, done: false });
    const waiting = stream.next();
    stream.push(2);
    stream.push(3);
    expect(await waiting).toEqual({ value: 2, done: false });
    expect(await stream.next()).toEqual({ value: 3, done: false });
  });

  it('ends after the buffered messages', async () => {
    const stream = new MessageStream<number>(() => undefined);
    stream.push(1);
    stream.end();
    stream.push(2);
    const seen: number[] = [];
    for await (const m of stream) seen.push(m);
    expect(seen).toEqual([1]);
  });

  it('throws the error it ended with, once', async () => {
    const stream = new MessageStream<number>(() => undefined);
    const waiting = stream.next();
    const error = new Error('boom');
    stream.end(error);
    await expect(waiting).rejects.toBe(error);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('tells its owner when the consumer stops', async () => {
    const onReturn = jest.fn();
    const stream = new MessageStream<number>(onReturn);
    stream.push(1);
    stream.push(2);
    for await (const m of stream) {
      expect(m).toBe(1);
      break;
    }
    expect(onReturn).toHaveBeenCalledTimes(1);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });
});
