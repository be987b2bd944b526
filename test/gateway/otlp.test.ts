/**
 * `--opentelemetry-collector-endpoint`: a real gateway relaying a real client to the embedded replica
 * exports a span per relayed call and per poll over OTLP/HTTP to a collector (here a stub HTTP
 * server that decodes the JSON the exporter posts), and flushes them when it shuts down.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createWsConfig, generateRandomIdentity, IcWebSocket, type WsCanisterService } from '@icws/client-sdk';
import { startReplica, type RunningReplica } from '@icws/replica';
import { startGateway, type RunningGateway } from '../../packages/gateway/src/gateway';
import pingPong from '../../examples/ping-pong/canister';
import { idlFactory, type AppMessage } from '../../examples/ping-pong/idl';
import { RawClient } from '../support/raw-ws-client';

type AttributeValue = string | number | boolean;

/** A span as the collector received it. */
interface ReceivedSpan {
  readonly name: string;
  readonly attributes: Record<string, AttributeValue>;
  /** 2 is ERROR in OTLP. */
  readonly statusCode: number;
  readonly resource: Record<string, AttributeValue>;
}

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
type OtlpAttributes = Array<{ key: string; value: OtlpAnyValue }>;
interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttributes };
    scopeSpans: Array<{ spans: Array<{ name: string; attributes: OtlpAttributes; status?: { code?: number } }> }>;
  }>;
}

function attributesOf(list: OtlpAttributes): Record<string, AttributeValue> {
  return Object.fromEntries(
    list.map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue!]),
  );
}

/** An OTLP/HTTP collector on port 0 that keeps what it is sent, or answers with an error status. */
class CollectorStub {
  readonly spans: ReceivedSpan[] = [];
  readonly requests: Array<{ method: string; path: string; contentType: string | undefined }> = [];
  /** The status the stub answers exports with. */
  status = 200;
  #server: Server | undefined;

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      void this.#receive(req).then(() => res.writeHead(this.status, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async #receive(req: IncomingMessage): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const contentType = req.headers['content-type'];
    this.requests.push({ method: req.method ?? '', path: req.url ?? '', contentType });
    if (this.status !== 200 || contentType !== 'application/json') return;
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
    for (const { resource, scopeSpans } of body.resourceSpans) {
      for (const { spans } of scopeSpans) {
        for (const span of spans) {
          this.spans.push({ name: span.name, attributes: attributesOf(span.attributes), statusCode: span.status?.code ?? 0, resource: attributesOf(resource.attributes) });
        }
      }
    }
  }

  named(name: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.name === name);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

const dataDir = () => mkdtempSync(join(tmpdir(), 'icws-gw-otlp-'));

/** Resolves once `check` holds, asking every 50 ms for up to 10 s. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Pino output, one parsed object per line. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('a gateway with --opentelemetry-collector-endpoint', () => {
  let replica: RunningReplica;
  let collector: CollectorStub;
  let collectorUrl: string;
  let gateway: RunningGateway | undefined;
  let replicaClosed = false;

  beforeEach(async () => {
    replicaClosed = false;
    replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong }], log: () => undefined });
    collector = new CollectorStub();
    collectorUrl = await collector.start();
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    if (!replicaClosed) await replica.close();
    await collector.close();
  });

  const start = (options: { logger?: pino.Logger } = {}) =>
    startGateway({
      gatewayAddress: '127.0.0.1:0',
      icNetworkUrl: replica.url.origin,
      prometheusEndpoint: null,
      pollingIntervalMs: 50,
      dataDir: dataDir(),
      logLevel: 'silent',
      opentelemetryCollectorEndpoint: collectorUrl,
      ...options,
    });

  const openClient = async (url: URL) => {
    const identity = generateRandomIdentity();
    const canisterId = replica.canisterIds.ping_pong!;
    const ws = new IcWebSocket(url, undefined, createWsConfig<WsCanisterService<AppMessage>>({ canisterId, idlFactory, identity, networkUrl: replica.url.origin }));
    const messages = ws[Symbol.asyncIterator]();
    await ws.opened;
    return { ws, messages, identity, canisterId };
  };

  it('exports spans for ws_open, ws_message, ws_close and each poll of a client session, flushed at shutdown', async () => {
    gateway = await start();
    const { ws, messages, identity, canisterId } = await openClient(gateway.url);
    expect((await messages.next()).value).toMatchObject({ text: 'ping' });
    ws.send({ text: 'hello', timestamp: 0n });
    expect((await messages.next()).value).toMatchObject({ text: 'hello ping' });
    ws.close();
    const running = gateway;
    await until(() => running.sessionCount === 0, 'the session to end');
    await gateway.close();
    gateway = undefined;

    expect(collector.requests.length).toBeGreaterThan(0);
    for (const request of collector.requests) expect(request).toEqual({ method: 'POST', path: '/v1/traces', contentType: 'application/json' });
    const client = { 'icws.canister_id': canisterId.toText(), 'icws.client_principal': identity.getPrincipal().toText() };

    const [open] = collector.named('ws_open');
    expect(open.attributes).toMatchObject({ ...client, 'rpc.method': 'ws_open', 'icws.outcome': 'replied' });
    expect(open.attributes['icws.client_nonce']).toMatch(/^\d+$/);
    expect(open.resource).toMatchObject({ 'service.name': 'icws-gateway', 'service.instance.id': running.principal.toText() });

    const relayed = collector.named('ws_message');
    expect(relayed.length).toBeGreaterThan(0);
    for (const span of relayed) {
      expect(span.attributes).toMatchObject({ ...client, 'icws.client_nonce': open.attributes['icws.client_nonce'], 'rpc.method': 'ws_message' });
      expect(['executed', 'accepted']).toContain(span.attributes['icws.outcome']);
    }

    expect(collector.named('ws_close')).toEqual([expect.objectContaining({ attributes: expect.objectContaining({ ...client, 'icws.outcome': 'executed' }) })]);

    const polls = collector.named('ws_get_messages');
    const withMessages = polls.filter((span) => (span.attributes['icws.poll.messages'] as number) > 0);
    expect(withMessages.length).toBeGreaterThan(0);
    for (const span of withMessages) {
      expect(span.attributes).toMatchObject({ 'icws.canister_id': canisterId.toText(), 'icws.outcome': 'ok' });
      expect(span.attributes['icws.poll.bytes']).toBeGreaterThan(0);
    }
    expect(collector.spans.filter((span) => 'error.type' in span.attributes)).toEqual([]);
  });

  it('marks a poll and a ws_close that fail while the replica is down as failed, with their error code', async () => {
    gateway = await start();
    const { messages } = await openClient(gateway.url);
    await messages.next();
    await replica.close();
    replicaClosed = true;
    const running = gateway;
    // The failed polls are exported at shutdown, with the ws_close the drain sends.
    const health = new URL('/health', running.url.href.replace(/^ws/, 'http'));
    const canister = replica.canisterIds.ping_pong!.toText();
    await until(async () => ((await (await fetch(health)).json()) as { canisters: Record<string, { status: string }> }).canisters[canister]?.status === 'failing', '/health to report the failing polls');
    await gateway.close();
    gateway = undefined;

    const failedPolls = collector.named('ws_get_messages').filter((span) => span.attributes['icws.outcome'] === 'failed');
    expect(failedPolls.length).toBeGreaterThan(0);
    expect(failedPolls[0]).toMatchObject({ statusCode: 2, attributes: { 'error.type': 'ICWS_ERR_REPLICA_UNAVAILABLE' } });
    expect(collector.named('ws_close')).toEqual([expect.objectContaining({ statusCode: 2, attributes: expect.objectContaining({ 'icws.outcome': 'failed', 'error.type': expect.stringMatching(/^ICWS_ERR_/) }) })]);
  });

  it('logs ICWS_ERR_TRACE_EXPORT when the collector refuses the spans, and still shuts down', async () => {
    collector.status = 400;
    const { logger, lines } = capturedLogger();
    gateway = await start({ logger });
    const { ws, messages } = await openClient(gateway.url);
    await messages.next();
    ws.close();
    await gateway.close();
    gateway = undefined;
    expect(collector.requests.length).toBeGreaterThan(0);
    const failure = lines.find((line) => line.code === 'ICWS_ERR_TRACE_EXPORT');
    expect(failure).toMatchObject({ level: 40, msg: expect.stringContaining(`trace export failed; those spans are lost: the collector at ${collectorUrl}/v1/traces did not take a batch of spans`) });
    expect(failure).not.toHaveProperty('stack');
  });
});

describe('icws-gateway --opentelemetry-collector-endpoint', () => {
  const CLI = join(__dirname, '../../packages/gateway/dist/cli.js');
  let replica: RunningReplica;
  let collector: CollectorStub;
  beforeAll(async () => {
    replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong }], log: () => undefined });
    collector = new CollectorStub();
  });
  afterAll(async () => {
    await replica.close();
    await collector.close();
  });

  it('says where it exports, and sends the spans of a session it drains on SIGTERM before it exits', async () => {
    const endpoint = `${await collector.start()}/custom/traces`;
    const argv = ['--gateway-address', '127.0.0.1:0', '--ic-network-url', replica.url.origin, '--prometheus-endpoint', 'off', '--log-level', 'info', '--opentelemetry-collector-endpoint', endpoint, '--data-dir', dataDir()];
    const child = spawn(process.execPath, [CLI, ...argv]);
    // The JSON log and the plain "listening" line are written through different streams, so
    // either may come first.
    let announced: Record<string, unknown> | undefined;
    const url = await new Promise<string>((resolve) => {
      let listeningAt: string | undefined;
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('{') && line.includes('OTLP')) announced = JSON.parse(line) as Record<string, unknown>;
        listeningAt ??= /^gateway listening on (\S+)$/.exec(line)?.[1];
        if (listeningAt !== undefined && announced !== undefined) resolve(listeningAt);
      });
    });
    expect(announced).toMatchObject({ level: 30, traces: endpoint, msg: 'exporting traces over OTLP/HTTP' });
    const client = new RawClient(url, replica.canisterIds.ping_pong!, replica.replica.rootKey.der);
    await client.handshake();
    await client.open();
    await client.receive();
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(collector.requests.map((request) => request.path)).toContain('/custom/traces');
    expect(collector.named('ws_open')).toEqual([expect.objectContaining({ attributes: expect.objectContaining({ 'icws.client_principal': client.principal.toText(), 'icws.outcome': 'replied' }) })]);
    expect(collector.named('ws_close')).toHaveLength(1);
  });
});
