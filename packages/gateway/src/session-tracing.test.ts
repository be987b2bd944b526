/** The spans a client session gives its tracer: one per call, ended with what became of it. */
import { encodeCandid, CanisterWsOpenResultIdl } from '@icws/protocol';
import type { RelayOutcome } from './ic-transport';
import { settle } from './testing/fake-clock';
import { sessionHarness } from './testing/session-harness';
import { deferred, envelopeRefused } from './testing/fake-transport';
import { CANISTER_ID, callFrame, clientKey, wsOpenFrame } from './testing/frames';
import type { CallSpanEnd, CallSpanStart, GatewayTracer } from './tracing';

interface RecordedCall {
  readonly start: CallSpanStart;
  /** The ends, in order (the tracer counts the first). */
  readonly ends: CallSpanEnd[];
}

/** A tracer that records the spans of calls. */
class RecordingTracer implements GatewayTracer {
  readonly calls: RecordedCall[] = [];
  startCall(start: CallSpanStart) {
    const call: RecordedCall = { start, ends: [] };
    this.calls.push(call);
    return { end: (result: CallSpanEnd) => void call.ends.push(result) };
  }
  startPoll() {
    return { end: () => undefined };
  }
  shutdown() {
    return Promise.resolve();
  }
  /** Each call as `method: outcome[/error code]`, ends after the first included. */
  summary(): string[] {
    return this.calls.map(({ start, ends }) => `${start.method}: ${ends.map(endText).join(', ')}`);
  }
}

function endText(end: CallSpanEnd): string {
  return 'error' in end ? `${end.outcome}/${(end.error as { code?: string }).code}` : end.outcome;
}

function setup(maxQueuedFrames = 8) {
  const tracer = new RecordingTracer();
  return { ...sessionHarness({ limits: { maxQueuedFrames }, tracer, id: 4 }), tracer };
}

describe('ClientSession tracing', () => {
  it('gives each relayed call a span with its method, canister, client key, session and envelope size', async () => {
    const { socket, tracer, open } = setup();
    await open();
    socket.receive(callFrame('ws_message', 'hello'));
    await settle();
    expect(tracer.summary()).toEqual(['ws_open: replied', 'ws_message: executed']);
    const [, message] = tracer.calls;
    expect(message.start).toEqual({ method: 'ws_message', canisterId: CANISTER_ID, clientKey: clientKey(), session: 4, envelopeBytes: expect.any(Number) });
    expect(message.start.envelopeBytes).toBeGreaterThan('hello'.length);
  });

  it('ends the span of a ws_open the canister refused as refused, with ICWS_ERR_OPEN_REFUSED', async () => {
    const { socket, transport, tracer } = setup();
    transport.onRelay = async () => ({ status: 'replied', reply: encodeCandid([CanisterWsOpenResultIdl], [{ Err: 'no room' }]) });
    socket.receive(wsOpenFrame());
    await settle();
    expect(tracer.summary()).toEqual(['ws_open: refused/ICWS_ERR_OPEN_REFUSED', 'ws_close: executed']);
  });

  it('ends the span of a call the replica refused as failed, with its code', async () => {
    const { socket, transport, tracer, open } = setup();
    await open();
    transport.onRelay = async () => {
      throw envelopeRefused();
    };
    socket.receive(callFrame('ws_message', 'hello'));
    await settle();
    expect(tracer.summary()).toEqual(['ws_open: replied', 'ws_message: failed/ICWS_ERR_ENVELOPE_REFUSED', 'ws_close: executed']);
  });

  it('ends the span of a call past the relay bound as failed, and those left waiting at the close as dropped', async () => {
    const { socket, transport, tracer, open } = setup(2);
    await open();
    const answer = deferred<RelayOutcome>();
    transport.onRelay = () => answer.promise;
    for (const text of ['a', 'b', 'c']) socket.receive(callFrame('ws_message', text));
    answer.resolve({ status: 'executed' });
    await settle();
    expect(tracer.summary()).toEqual(['ws_open: replied', 'ws_message: executed', 'ws_message: dropped', 'ws_message: failed/ICWS_ERR_RELAY_QUEUE_FULL', 'ws_close: executed']);
  });

  it('ends the span of a call that waited past --max-relay-wait-ms before it could start as failed, and those behind it as dropped', async () => {
    const { socket, transport, tracer, open, clock } = setup(); // --max-relay-wait-ms 5000
    await open();
    const answer = deferred<RelayOutcome>();
    transport.onRelay = () => answer.promise;
    for (const text of ['a', 'b', 'c']) socket.receive(callFrame('ws_message', text));
    await clock.advance(5_001);
    answer.resolve({ status: 'executed' });
    await settle();
    expect(tracer.summary()).toEqual(['ws_open: replied', 'ws_message: executed', 'ws_message: failed/ICWS_ERR_RELAY_BACKLOG', 'ws_message: dropped', 'ws_close: executed']);
  });

  it("ends the ws_close span as failed when the replica does not take it, and ends every span once", async () => {
    const { socket, transport, tracer, open, tracked } = setup();
    await open();
    transport.onWsClose = async () => {
      throw envelopeRefused('gone');
    };
    socket.end();
    await Promise.all(tracked);
    expect(tracer.summary()).toEqual(['ws_open: replied', 'ws_close: failed/ICWS_ERR_ENVELOPE_REFUSED']);
  });
});
