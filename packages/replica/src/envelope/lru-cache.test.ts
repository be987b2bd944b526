import { LruCache } from './lru-cache';

describe('LruCache', () => {
  test('keeps at most its capacity, evicting the least recently used entry', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now more recent than b
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  test('replaces the value of a key set again without growing', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    expect(cache.size).toBe(1);
    expect(cache.get('a')).toBe(2);
  });

  test('refuses a capacity below one', () => {
    expect(() => new LruCache(0)).toThrow(/positive integer/);
  });
});

describe('LruCache with maxBytes', () => {
  const sized = () => new LruCache<string, string>(100, { maxBytes: 10, sizeOf: (value) => value.length });

  test('evicts the least recently used entries while the bytes pass the bound', () => {
    const cache = sized();
    cache.set('a', 'xxxx');
    cache.set('b', 'xxxx');
    cache.get('a');
    cache.set('c', 'xxxx');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('xxxx');
    expect(cache.bytes).toBe(8);
  });

  test('does not keep an entry larger than the bound, and counts replaced entries once', () => {
    const cache = sized();
    cache.set('a', 'xxxx');
    cache.set('a', 'xx');
    expect(cache.bytes).toBe(2);
    cache.set('big', 'x'.repeat(11));
    expect(cache.get('big')).toBeUndefined();
    expect(cache.get('a')).toBe('xx');
    expect(cache.delete('a')).toBe(true);
    expect(cache.bytes).toBe(0);
  });
});
