import type { BlsVerifier } from './bls-backend';
import { VerdictCachingBlsVerifier } from './bls-verdict-cache';

/** A verifier that accepts signatures whose first byte is 1, counting its checks. */
function counting(): BlsVerifier & { checks: number } {
  const inner = {
    backend: 'counting',
    checks: 0,
    async verify(_key: Uint8Array, signature: Uint8Array) {
      inner.checks++;
      return signature[0] === 1;
    },
  };
  return inner;
}

const key = Uint8Array.of(7, 7, 7);
/** A signature of the scheme's length (48 bytes) that the counting verifier accepts. */
const good = (n: number) => Uint8Array.of(1, n, ...new Uint8Array(46));
const bad = new Uint8Array(48);
const message = Uint8Array.of(9, 9);

describe('VerdictCachingBlsVerifier', () => {
  it('checks a signature that verified once, however often it comes again', async () => {
    const inner = counting();
    const verifier = new VerdictCachingBlsVerifier(inner);
    for (let i = 0; i < 3; i++) expect(await verifier.verify(key, good(1), message)).toBe(true);
    expect(inner.checks).toBe(1);
    expect(verifier.backend).toBe('counting');
  });

  it('checks again when any byte of key, signature or message differs', async () => {
    const inner = counting();
    const verifier = new VerdictCachingBlsVerifier(inner);
    await verifier.verify(key, good(1), message);
    await verifier.verify(Uint8Array.of(7, 7, 8), good(1), message);
    await verifier.verify(key, good(2), message);
    await verifier.verify(key, good(1), Uint8Array.of(9, 8));
    // the same bytes split differently between key and message are another triple
    await verifier.verify(Uint8Array.of(7, 7), good(1), Uint8Array.of(7, 9, 9));
    expect(inner.checks).toBe(5);
  });

  it('shares a check under way: callers asking for the same signature meanwhile wait for its verdict', async () => {
    const inner = counting();
    const verifier = new VerdictCachingBlsVerifier(inner);
    const verdicts = await Promise.all([1, 2, 3].map(() => verifier.verify(key, good(1), message)));
    expect(verdicts).toEqual([true, true, true]);
    const refusals = await Promise.all([1, 2].map(() => verifier.verify(key, bad, message)));
    expect(refusals).toEqual([false, false]);
    expect(inner.checks).toBe(2);
    // a refusal is not remembered once its check is over
    expect(await verifier.verify(key, bad, message)).toBe(false);
    expect(inner.checks).toBe(3);
  });

  it('does not share a check under way with the same signature under another key', async () => {
    const inner = counting();
    const verifier = new VerdictCachingBlsVerifier(inner);
    await Promise.all([verifier.verify(key, good(1), message), verifier.verify(Uint8Array.of(6), good(1), message)]);
    expect(inner.checks).toBe(2);
  });

  it('passes what is not a 48-byte signature straight through, remembering nothing', async () => {
    const inner = counting();
    const verifier = new VerdictCachingBlsVerifier(inner);
    for (let i = 0; i < 2; i++) expect(await verifier.verify(key, Uint8Array.of(1, 1), message)).toBe(true);
    expect(inner.checks).toBe(2);
  });

  it('lets a failed check fail every caller that shared it, and checks afresh afterwards', async () => {
    let calls = 0;
    const verifier = new VerdictCachingBlsVerifier({
      backend: 'failing once',
      async verify() {
        if (calls++ === 0) throw new Error('worker died');
        return true;
      },
    });
    const shared = [1, 2].map(() => verifier.verify(key, good(1), message));
    for (const check of shared) await expect(check).rejects.toThrow('worker died');
    expect(await verifier.verify(key, good(1), message)).toBe(true);
    expect(calls).toBe(2);
  });

  it('does not remember signatures that failed', async () => {
    const inner = counting();
    const verifier = new VerdictCachingBlsVerifier(inner);
    expect(await verifier.verify(key, bad, message)).toBe(false);
    expect(await verifier.verify(key, bad, message)).toBe(false);
    expect(inner.checks).toBe(2);
  });

  it('forgets the oldest beyond its capacity', async () => {
    const inner = counting();
    const verifier = new VerdictCachingBlsVerifier(inner, 2);
    for (const n of [1, 2, 3]) await verifier.verify(key, good(n), message);
    await verifier.verify(key, good(3), message);
    await verifier.verify(key, good(2), message);
    expect(inner.checks).toBe(3);
    await verifier.verify(key, good(1), message);
    expect(inner.checks).toBe(4);
  });
});
