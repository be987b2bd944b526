/**
 * One client session wired for unit tests: a fake socket, transport and clock, and the real router
 * with stand-in pollers, so the test hands the router the canister's batches itself.
 */
import type { CanisterOutputCertifiedMessages } from '@icws/protocol';
import { RetryPolicy } from '../retry-policy';
import { Router, type BatchSink } from '../router';
import { ClientSession, type SessionHost, type SessionLimits, type SessionTimeouts } from '../session';
import type { GatewayTracer } from '../tracing';
import { FakeClock, settle } from './fake-clock';
import { FakeSocket } from './fake-socket';
import { FakeTransport } from './fake-transport';
import { silentLog, testMetrics } from './gateway-parts';
import { batch, CANISTER_ID, canisterMessage, clientKey, GATEWAY_PRINCIPAL, wsOpenFrame } from './frames';

/** The session limits the unit tests start from. */
export const TEST_LIMITS: SessionLimits = { maxFrameBytes: 64 * 1024, maxOpenFrameBytes: 64 * 1024, maxClientBufferBytes: 1024 * 1024, maxQueuedFrames: 8, maxQueuedBytes: 256 * 1024, maxRelayWaitMs: 5_000 };
/** The session timeouts the unit tests start from. */
export const TEST_TIMEOUTS: SessionTimeouts = { openTimeoutMs: 10_000, pingIntervalMs: 30_000, maxMissedPongs: 2 };

/** What a test may change of the session it gets. */
export interface SessionHarnessOptions {
  limits?: Partial<SessionLimits>;
  timeouts?: Partial<SessionTimeouts>;
  tracer?: GatewayTracer;
  /** The session's number. @default 1 */
  id?: number;
  /** Told of the calls queued and relayed. */
  overload?: SessionHost['overload'];
}

/** @returns a session awaiting `ws_open`, its parts, and helpers that play the canister's side. */
export function sessionHarness(options: SessionHarnessOptions = {}) {
  const clock = new FakeClock();
  const transport = new FakeTransport();
  const socket = new FakeSocket();
  const metrics = testMetrics();
  const sinks = new Map<string, BatchSink>();
  const pollSoon: string[] = [];
  const router = new Router({
    createPoller: (canisterId, sink) => {
      sinks.set(canisterId.toText(), sink);
      return { start: () => undefined, stop: async () => undefined, pollSoon: () => void pollSoon.push(canisterId.toText()) };
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
      limits: { ...TEST_LIMITS, ...options.limits },
      timeouts: { ...TEST_TIMEOUTS, ...options.timeouts },
      metrics,
      log: silentLog,
      ...(options.tracer === undefined ? {} : { tracer: options.tracer }),
      ...(options.overload === undefined ? {} : { overload: options.overload }),
      track: (work) => void tracked.push(work),
    },
    options.id ?? 1,
    socket,
  );
  /** The canister's queue hands the router a batch, as a poller would. */
  const poll = (certified: CanisterOutputCertifiedMessages) => sinks.get(CANISTER_ID.toText())!.accept(certified);
  /** Opens the session: ws_open relayed, the canister's open message delivered. */
  const open = async () => {
    socket.receive(wsOpenFrame());
    await settle();
    poll(batch([canisterMessage(clientKey(), 0n, 'open')]));
    await settle();
  };
  return { clock, transport, socket, metrics, router, session, poll, open, tracked, pollSoon };
}
