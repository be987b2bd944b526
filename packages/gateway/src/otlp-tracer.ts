/**
 * The gateway's tracer with a collector: OpenTelemetry spans exported over OTLP/HTTP. Loaded only
 * when `--opentelemetry-collector-endpoint` is given, so a gateway without it does not load the SDK.
 */
import { SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE, ATTR_RPC_METHOD, ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Principal } from '@icp-sdk/core/principal';
import { describeError } from './error-log';
import { otlpTracesUrl, POLL_SPAN_NAME, SPAN_ATTRIBUTES, type CallSpanEnd, type CallSpanStart, type GatewayTracer, type PollSpanEnd, type TraceSpan } from './tracing';

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
