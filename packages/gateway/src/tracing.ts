/**
 * The gateway's traces: a span per call relayed for a client (`ws_open`, `ws_message`, and the
 * `ws_close` the gateway sends when a client leaves) and a span per poll (`ws_get_messages`),
 * exported over OTLP/HTTP to the collector of `--opentelemetry-collector-endpoint` by the tracer of
 * `otlp-tracer.ts`. Without it the gateway uses {@link NO_TRACING}, which costs nothing, and does
 * not load the OpenTelemetry SDK.
 */
import type { Principal } from '@icp-sdk/core/principal';
import type { CanisterOutputCertifiedMessages, ClientKey } from '@icws/protocol';
import type { RelayOutcome } from './ic-transport';

/** The attributes of the gateway's spans, besides `rpc.method` and `error.type`. */
export const SPAN_ATTRIBUTES = {
  canisterId: 'icws.canister_id',
  clientPrincipal: 'icws.client_principal',
  clientNonce: 'icws.client_nonce',
  session: 'icws.session',
  envelopeBytes: 'icws.envelope_bytes',
  outcome: 'icws.outcome',
  pollNonce: 'icws.poll.nonce',
  pollMessages: 'icws.poll.messages',
  pollBytes: 'icws.poll.bytes',
  pollEndOfQueue: 'icws.poll.end_of_queue',
} as const;

/** The span name of a poll. */
export const POLL_SPAN_NAME = 'ws_get_messages';

/** A call relayed for a client, as its span starts. */
export interface CallSpanStart {
  readonly method: string;
  readonly canisterId: Principal;
  readonly clientKey: ClientKey;
  /** The session, as logs name it. */
  readonly session: number;
  /** Size of the signed envelope; absent for the gateway's own `ws_close`. */
  readonly envelopeBytes?: number;
}

/**
 * How a call ended: the replica's outcome (`replied`, `rejected`, `executed`, `accepted`),
 * `refused` (the canister answered `ws_open` with `Err`), `failed` (not relayed; the error gives
 * `error.type`), or `dropped` (its session closed before it was relayed).
 */
export type CallSpanEnd =
  | { readonly outcome: RelayOutcome['status'] }
  | { readonly outcome: 'refused' | 'failed'; readonly error: unknown }
  | { readonly outcome: 'dropped' };

/** How a poll ended: with a batch, or an error. */
export type PollSpanEnd = { readonly batch: CanisterOutputCertifiedMessages } | { readonly error: unknown };

/** A span in progress; ending it twice is harmless (the first end counts). */
export interface TraceSpan<End> {
  end(result: End): void;
}

/** What sessions and pollers trace through. */
export interface GatewayTracer {
  startCall(call: CallSpanStart): TraceSpan<CallSpanEnd>;
  startPoll(canisterId: Principal, nonce: bigint): TraceSpan<PollSpanEnd>;
  /** Exports the spans not yet sent, and stops; never rejects (a failed export is reported, not thrown). */
  shutdown(): Promise<void>;
}

const NO_SPAN: TraceSpan<never> = { end: () => undefined };

/** The tracer of a gateway without a collector: records nothing. */
export const NO_TRACING: GatewayTracer = {
  startCall: () => NO_SPAN,
  startPoll: () => NO_SPAN,
  shutdown: () => Promise.resolve(),
};

/**
 * The URL OTLP/HTTP traces are posted to: an endpoint without a path is a collector's base URL
 * (e.g. `http://collector:4318`) and gets the standard `/v1/traces`; one with a path is used as
 * given.
 */
export function otlpTracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.href;
}
