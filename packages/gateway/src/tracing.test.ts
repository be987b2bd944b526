/** The gateway's spans, read from an in-memory exporter. */
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { GatewayError } from './errors';
import { batch, CANISTER_ID, canisterMessage, clientKey, CLIENT_PRINCIPAL } from './testing/frames';
import { createOtlpTracer } from './otlp-tracer';
import { NO_TRACING, otlpTracesUrl, type GatewayTracer } from './tracing';

function setup(exporter: SpanExporter = new InMemorySpanExporter()): { tracer: GatewayTracer; exporter: SpanExporter } {
  return { tracer: createOtlpTracer({ endpoint: 'http://127.0.0.1:1', gatewayPrincipal: 'gw-principal', version: '9.9.9', exporter }), exporter };
}

async function spansOf(tracer: GatewayTracer, exporter: InMemorySpanExporter): Promise<ReadableSpan[]> {
  const spans: ReadableSpan[] = [];
  const original = exporter.export.bind(exporter);
  exporter.export = (batchOfSpans, done) => {
    spans.push(...batchOfSpans);
    original(batchOfSpans, done);
  };
  await tracer.shutdown();
  return spans;
}

const call = { method: 'ws_message', canisterId: CANISTER_ID, clientKey: clientKey(5n), session: 3, envelopeBytes: 120 };

describe('otlpTracesUrl', () => {
  it('adds /v1/traces to a base URL and keeps a URL with a path', () => {
    expect(otlpTracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('https://otel.example/')).toBe('https://otel.example/v1/traces');
    expect(otlpTracesUrl('https://otel.example/ingest/traces')).toBe('https://otel.example/ingest/traces');
  });
});

describe('createOtlpTracer', () => {
  describe('#startCall', () => {
    it('names the span after the method, with the canister, the client key, the session and the outcome', async () => {
      const { tracer, exporter } = setup();
      tracer.startCall(call).end({ outcome: 'executed' });
      const [span] = await spansOf(tracer, exporter as InMemorySpanExporter);
      expect(span.name).toBe('ws_message');
      expect(span.attributes).toEqual({
        'rpc.method': 'ws_message',
        'icws.canister_id': CANISTER_ID.toText(),
        'icws.client_principal': CLIENT_PRINCIPAL.toText(),
        'icws.client_nonce': '5',
        'icws.session': 3,
        'icws.envelope_bytes': 120,
        'icws.outcome': 'executed',
      });
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.resource.attributes).toMatchObject({ 'service.name': 'icws-gateway', 'service.version': '9.9.9', 'service.instance.id': 'gw-principal' });
    });

    it('gives a failed call its error code as error.type and an error status', async () => {
      const { tracer, exporter } = setup();
      tracer.startCall(call).end({ outcome: 'failed', error: new GatewayError('ICWS_ERR_REPLICA_UNAVAILABLE', 'connection refused') });
      const [span] = await spansOf(tracer, exporter as InMemorySpanExporter);
      expect(span.attributes).toMatchObject({ 'icws.outcome': 'failed', 'error.type': 'ICWS_ERR_REPLICA_UNAVAILABLE' });
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ICWS_ERR_REPLICA_UNAVAILABLE: connection refused' });
    });

    it('counts the first end only', async () => {
      const { tracer, exporter } = setup();
      const span = tracer.startCall(call);
      span.end({ outcome: 'replied' });
      span.end({ outcome: 'dropped' });
      const spans = await spansOf(tracer, exporter as InMemorySpanExporter);
      expect(spans.map((s) => s.attributes['icws.outcome'])).toEqual(['replied']);
    });
  });

  describe('#startPoll', () => {
    it('records the nonce, the messages and bytes returned and whether the queue was drained', async () => {
      const { tracer, exporter } = setup();
      const messages = [canisterMessage(clientKey(5n), 4n, 'hello'), canisterMessage(clientKey(5n), 5n, 'world')];
      const polled = batch(messages, false);
      tracer.startPoll(CANISTER_ID, 4n).end({ batch: polled });
      const [span] = await spansOf(tracer, exporter as InMemorySpanExporter);
      const bytes = polled.cert.length + polled.tree.length + messages.reduce((sum, m) => sum + m.content.length, 0);
      expect(span.name).toBe('ws_get_messages');
      expect(span.attributes).toEqual({
        'rpc.method': 'ws_get_messages',
        'icws.canister_id': CANISTER_ID.toText(),
        'icws.poll.nonce': '4',
        'icws.outcome': 'ok',
        'icws.poll.messages': 2,
        'icws.poll.bytes': bytes,
        'icws.poll.end_of_queue': false,
      });
    });

    it('gives a failed poll its error code', async () => {
      const { tracer, exporter } = setup();
      tracer.startPoll(CANISTER_ID, 0n).end({ error: new GatewayError('ICWS_ERR_POLL_TIMEOUT', 'no answer') });
      const [span] = await spansOf(tracer, exporter as InMemorySpanExporter);
      expect(span.attributes).toMatchObject({ 'icws.outcome': 'failed', 'error.type': 'ICWS_ERR_POLL_TIMEOUT' });
    });
  });

  describe('#shutdown', () => {
    it('exports what is left, once, and reports an export the collector did not take', async () => {
      const failures: unknown[] = [];
      const refusing: SpanExporter = {
        export: (_spans, done) => done({ code: 1, error: new Error('503 Service Unavailable') }),
        shutdown: () => Promise.resolve(),
      };
      const tracer = createOtlpTracer({ endpoint: 'http://127.0.0.1:1', gatewayPrincipal: 'gw', version: '0', exporter: refusing, onExportFailed: (err) => failures.push(err) });
      tracer.startCall(call).end({ outcome: 'executed' });
      await Promise.all([tracer.shutdown(), tracer.shutdown()]);
      expect(failures).toEqual([new Error('503 Service Unavailable')]);
    });
  });
});

describe('NO_TRACING', () => {
  it('takes spans and does nothing', async () => {
    NO_TRACING.startCall(call).end({ outcome: 'executed' });
    NO_TRACING.startPoll(CANISTER_ID, 0n).end({ error: new Error('x') });
    await expect(NO_TRACING.shutdown()).resolves.toBeUndefined();
  });
});

describe('the OpenTelemetry SDK', () => {
  it('is loaded with the OTLP tracer only, not by a gateway without a collector', () => {
    let loaded = false;
    jest.doMock('@opentelemetry/sdk-trace-base', () => {
      loaded = true;
      return jest.requireActual('@opentelemetry/sdk-trace-base');
    });
    jest.isolateModules(() => void require('./index'));
    expect(loaded).toBe(false);
    jest.isolateModules(() => void require('./otlp-tracer'));
    expect(loaded).toBe(true);
    jest.dontMock('@opentelemetry/sdk-trace-base');
  });
});
