/** What carries over between sessions: the resume point, re-sends after a resume, the queue of the gap. */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { SessionContinuity } from './continuity';
import type { ResumeRequest, Session } from './session';

const clientKey = { client_principal: Ed25519KeyIdentity.generate().getPrincipal(), client_nonce: 1n };

/** The part of a session continuity uses: whether it opened, where it stands, and sending. */
function session(opened: boolean, point?: ResumeRequest): Session & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return { opened, resumePoint: () => point!, send: (bytes: Uint8Array) => sent.push(bytes), sent } as unknown as Session & { sent: Uint8Array[] };
}

const options = { resume: true, maxQueuedMessages: 10, maxQueuedBytes: 100 };

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
});
