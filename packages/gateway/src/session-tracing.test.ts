/** The spans a client session gives its tracer: one per call, ended with what became of it. */
import { encodeCandid, CanisterWsOpenResultIdl } from '@icws/protocol';
import type { RelayOutcome } from './ic-transport';
import { RetryPolicy } from './retry-policy';
import { Router, type BatchSink } from './router';
import { ClientSession } from './session';
import { FakeClock, settle } from './testing/fake-clock';
import { FakeSocket } from './testing/fake-socket';
import { deferred, envelopeRefused, FakeTransport } from './testing/fake-transport';
import { silentLog, testMetrics } from './testing/gateway-parts';
import { batch, CANISTER_ID, callFrame, canisterMessage, clientKey, GATEWAY_PRINCIPAL, wsOpenFrame } from './testing/frames';
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
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const socket = new FakeSocket();
  const metrics = testMetrics();
  const tracer = new RecordingTracer();
  const sinks = new Map<string, BatchSink>();
  const router = new Router({
    createPoller: (canisterId, sink) => {
      sinks.set(canisterId.toText(), sink);
      return { start: () => undefined, stop: async () => undefined, pollSoon: () => undefined };
    },
    metrics,
    log: silentLog,
  });
  const tracked: Array<Promise<unknown>> = [];
  const session = new ClientSession(
    socket,
    {
      gatewayPrincipal: GATEWAY_PRINCIPAL,
      transport,
      router,
      relayRetry: new RetryPolicy({ minDelayMs: 200, maxDelayMs: 2_000, windowMs: 30_000, random: () => 0, clock }),
      clock,
      limits: { maxFrameBytes: 64 * 1024, maxOpenFrameBytes: 64 * 1024, maxClientBufferBytes: 1024 * 1024, maxQueuedFrames, maxQueuedBytes: 256 * 1024 },
      timeouts: { openTimeoutMs: 10_000, pingIntervalMs: 30_000, maxMissedPongs: 2 },
      metrics,
      log: silentLog,
      tracer,
      track: (work) => void tracked.push(work),
    },
    4,
    socket,
  );
  const open = async () => {
    socket.receive(wsOpenFrame());
    await settle();
    sinks.get(CANISTER_ID.toText())!.accept(batch([canisterMessage(clientKey(), 0n, 'open')]));
    await settle();
  };
  return { transport, socket, session, tracer, open, tracked };
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
