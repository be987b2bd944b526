/** What carries over between sessions: the resume point, re-sends after a resume, the queue of the gap. */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { SessionContinuity } from './continuity';
import type { ResumeRequest, Session } from './session';

const clientKey = { client_principal: Ed25519KeyIdentity.generate().getPrincipal(), client_nonce: 1n };

type FakeSession = Session & { sent: Uint8Array[]; state: string };

/** The part of a session continuity uses: whether it opened, its state, where it stands, and sending. */
function session(opened: boolean, point?: ResumeRequest): FakeSession {
  const sent: Uint8Array[] = [];
  return { opened, state: 'open', resumePoint: () => point!, send: (bytes: Uint8Array) => sent.push(bytes), sent } as unknown as FakeSession;
}

const options = { resume: true, maxQueuedMessages: 10, maxQueuedBytes: 100, flushBurst: 100, flushRate: Infinity };

describe('SessionContinuity', () => {
  it('asks to resume the last session that opened, not one that never did', () => {
    const continuity = new SessionContinuity(options);
    expect(continuity.resumeRequest).toBeUndefined();
    const point = { clientKey, lastReceived: 4n, lastSent: 2n };
    continuity.ended(session(true, point));
    continuity.ended(session(false));
    expect(continuity.resumeRequest).toEqual(point);
  });

  it('asks nothing with resumes off', () => {
    const continuity = new SessionContinuity({ ...options, resume: false });
    continuity.ended(session(true, { clientKey, lastReceived: 4n, lastSent: 2n }));
    expect(continuity.resumeRequest).toBeUndefined();
    expect(continuity.sent).toBeUndefined();
  });

  it('after a resume, re-sends what the canister lacks, then what waited, in order', () => {
    const continuity = new SessionContinuity(options);
    for (const seq of [1n, 2n, 3n]) continuity.sent!.record({ sequenceNum: seq, content: Uint8Array.of(Number(seq)) });
    continuity.hold(Uint8Array.of(9));
    const next = session(true);
    expect(continuity.opened(next, { kind: 'resumed', recovered: 5, lastIncoming: 1n })).toEqual({ kind: 'resumed', recovered: 5, resent: 3, lost: 0 });
    expect(next.sent).toEqual([Uint8Array.of(2), Uint8Array.of(3), Uint8Array.of(9)]);
    expect(continuity.waiting).toBe(0);
  });

  it('after a fresh session, re-sends nothing unconfirmed but says how much, and sends what waited', () => {
    const continuity = new SessionContinuity(options);
    continuity.sent!.record({ sequenceNum: 1n, content: Uint8Array.of(1) });
    continuity.hold(Uint8Array.of(9));
    const next = session(true);
    expect(continuity.opened(next, { kind: 'fresh', reason: 'UnknownSession' })).toEqual({ kind: 'fresh', reason: 'UnknownSession', unconfirmed: 1 });
    expect(next.sent).toEqual([Uint8Array.of(9)]);
  });

  describe('flush after a reconnection', () => {
    // fake timers fake Date.now too, which the pacer reads
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());
    const advance = (ms: number) => jest.advanceTimersByTime(ms);
    const paced = (burst: number, rate: number, maxQueuedMessages = 1_000) =>
      new SessionContinuity({ ...options, maxQueuedMessages, maxQueuedBytes: 1 << 20, flushBurst: burst, flushRate: rate });
    const bytes = (n: number) => Uint8Array.of(n % 256, n >> 8);

    it('sends a burst at once, then the rest at the rate, in order', () => {
      const continuity = paced(4, 2);
      for (let i = 0; i < 10; i++) continuity.hold(bytes(i));
      const next = session(true);
      continuity.opened(next, { kind: 'new' });
      expect(next.sent).toHaveLength(4);
      advance(499);
      expect(next.sent).toHaveLength(4);
      advance(1);
      expect(next.sent).toHaveLength(5);
      advance(2_500);
      expect(next.sent).toEqual(Array.from({ length: 10 }, (_, i) => bytes(i)));
      expect(continuity.waiting).toBe(0);
    });

    it('sends a full burst again once the canister acknowledged everything sent', () => {
      const continuity = paced(4, 1);
      for (let i = 0; i < 10; i++) continuity.hold(bytes(i));
      const next = session(true);
      continuity.opened(next, { kind: 'new' });
      expect(next.sent).toHaveLength(4);
      continuity.caughtUp(next);
      expect(next.sent).toHaveLength(8);
      continuity.caughtUp(session(true)); // another session's ack changes nothing
      expect(next.sent).toHaveLength(8);
    });

    it('keeps what a session did not send for the next one, ahead of what is queued later', () => {
      const continuity = paced(3, 1);
      for (let i = 0; i < 6; i++) continuity.hold(bytes(i));
      const first = session(true, { clientKey, lastReceived: 0n, lastSent: 3n });
      continuity.opened(first, { kind: 'new' });
      first.state = 'closed';
      continuity.ended(first);
      advance(10_000);
      expect(first.sent).toEqual([bytes(0), bytes(1), bytes(2)]);
      continuity.hold(bytes(6));
      const second = session(true);
      continuity.opened(second, { kind: 'fresh', reason: 'UnknownSession' });
      advance(10_000);
      expect(second.sent).toEqual([3, 4, 5, 6].map(bytes));
    });

    it('re-sends after a resume before what waited, paced the same way', () => {
      const continuity = paced(2, 1);
      for (const seq of [1n, 2n, 3n]) continuity.sent!.record({ sequenceNum: seq, content: bytes(Number(seq)) });
      continuity.hold(bytes(9));
      const next = session(true);
      expect(continuity.opened(next, { kind: 'resumed', recovered: 0, lastIncoming: 0n })).toMatchObject({ resent: 4 });
      expect(next.sent).toEqual([bytes(1), bytes(2)]);
      advance(2_000);
      expect(next.sent).toEqual([bytes(1), bytes(2), bytes(3), bytes(9)]);
    });
  });
});
