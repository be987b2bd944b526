/**
 * The gateway's traces: a span per call relayed for a client (`ws_open`, `ws_message`, and the
 * `ws_close` the gateway sends when a client leaves) and a span per poll (`ws_get_messages`),
 * exported over OTLP/HTTP to the collector of `--opentelemetry-collector-endpoint`. Without it the
 * gateway uses {@link NO_TRACING}, which costs nothing.
 */
import { SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE, ATTR_RPC_METHOD, ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Principal } from '@icp-sdk/core/principal';
import type { CanisterOutputCertifiedMessages, ClientKey } from '@icws/protocol';
import { describeError } from './error-log';
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

/** How long one export may take, so a collector that hangs cannot hold up a drain for long. */
const EXPORT_TIMEOUT_MS = 5_000;

/** `ExportResultCode.SUCCESS` of `@opentelemetry/core`. */
const EXPORT_SUCCEEDED = 0;

export interface OtlpTracerOptions {
  /** `--opentelemetry-collector-endpoint`; see {@link otlpTracesUrl}. */
  readonly endpoint: string;
  /** The gateway's principal, the resource's `service.instance.id`. */
  readonly gatewayPrincipal: string;
  readonly version: string;
  /** Told of each export that failed (the spans of that batch are lost). */
  readonly onExportFailed?: (err: unknown) => void;
  /** Where spans go instead of the collector (tests). */
  readonly exporter?: SpanExporter;
}

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

/**
 * A tracer exporting batches of spans (at most every 5 s, and at {@link GatewayTracer.shutdown})
 * over OTLP/HTTP with JSON bodies. It is not registered as the process's global tracer provider,
 * so several gateways in one process trace apart.
 */
export function createOtlpTracer(options: OtlpTracerOptions): GatewayTracer {
  const exporter = new ReportingExporter(options.exporter ?? new OTLPTraceExporter({ url: otlpTracesUrl(options.endpoint), timeoutMillis: EXPORT_TIMEOUT_MS }), options.onExportFailed);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: 'icws-gateway',
      [ATTR_SERVICE_VERSION]: options.version,
      [ATTR_SERVICE_INSTANCE_ID]: options.gatewayPrincipal,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { exportTimeoutMillis: EXPORT_TIMEOUT_MS })],
  });
  // A failed last export was reported by the exporter; it must not fail the gateway's drain.
  const shutdown = () => provider.shutdown().catch(() => undefined);
  return new OtlpTracer(provider.getTracer('@icws/gateway', options.version), shutdown);
}

class OtlpTracer implements GatewayTracer {
  readonly #tracer: Tracer;
  readonly #shutdown: () => Promise<void>;
  #stopped: Promise<void> | undefined;

  constructor(tracer: Tracer, shutdown: () => Promise<void>) {
    this.#tracer = tracer;
    this.#shutdown = shutdown;
  }

  startCall(call: CallSpanStart): TraceSpan<CallSpanEnd> {
    const attributes: Attributes = {
      [ATTR_RPC_METHOD]: call.method,
      [SPAN_ATTRIBUTES.canisterId]: call.canisterId.toText(),
      [SPAN_ATTRIBUTES.clientPrincipal]: call.clientKey.client_principal.toText(),
      [SPAN_ATTRIBUTES.clientNonce]: call.clientKey.client_nonce.toString(),
      [SPAN_ATTRIBUTES.session]: call.session,
    };
    if (call.envelopeBytes !== undefined) attributes[SPAN_ATTRIBUTES.envelopeBytes] = call.envelopeBytes;
    const span = this.#tracer.startSpan(call.method, { kind: SpanKind.CLIENT, attributes });
    return once((result: CallSpanEnd) => {
      span.setAttribute(SPAN_ATTRIBUTES.outcome, result.outcome);
      if ('error' in result) fail(span, result.error);
      else if (result.outcome === 'rejected' || result.outcome === 'dropped') span.setStatus({ code: SpanStatusCode.ERROR, message: `the call was ${result.outcome}` });
      span.end();
    });
  }

  startPoll(canisterId: Principal, nonce: bigint): TraceSpan<PollSpanEnd> {
    const span = this.#tracer.startSpan(POLL_SPAN_NAME, {
      kind: SpanKind.CLIENT,
      attributes: { [ATTR_RPC_METHOD]: POLL_SPAN_NAME, [SPAN_ATTRIBUTES.canisterId]: canisterId.toText(), [SPAN_ATTRIBUTES.pollNonce]: nonce.toString() },
    });
    return once((result: PollSpanEnd) => {
      if ('error' in result) {
        span.setAttribute(SPAN_ATTRIBUTES.outcome, 'failed');
        fail(span, result.error);
      } else {
        const { messages, cert, tree, is_end_of_queue } = result.batch;
        span.setAttributes({
          [SPAN_ATTRIBUTES.outcome]: 'ok',
          [SPAN_ATTRIBUTES.pollMessages]: messages.length,
          [SPAN_ATTRIBUTES.pollBytes]: messages.reduce((sum, m) => sum + m.content.length, cert.length + tree.length),
          [SPAN_ATTRIBUTES.pollEndOfQueue]: is_end_of_queue,
        });
      }
      span.end();
    });
  }

  shutdown(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }
}

/** Marks `span` failed with the error's `ICWS_ERR_…` code as `error.type`. */
function fail(span: Span, err: unknown): void {
  const { code, message } = describeError(err);
  span.setAttribute(ATTR_ERROR_TYPE, code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${code}: ${message}` });
}

function once<End>(end: (result: End) => void): TraceSpan<End> {
  let ended = false;
  return {
    end(result) {
      if (ended) return;
      ended = true;
      end(result);
    },
  };
}

/** Passes spans on, and tells of exports that failed (the SDK alone would drop them silently). */
class ReportingExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #onFailed: ((err: unknown) => void) | undefined;

  constructor(inner: SpanExporter, onFailed: ((err: unknown) => void) | undefined) {
    this.#inner = inner;
    this.#onFailed = onFailed;
  }

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.#inner.export(spans, (result) => {
      if (result.code !== EXPORT_SUCCEEDED) this.#onFailed?.(result.error ?? new Error(`the collector did not take ${spans.length} spans`));
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}
