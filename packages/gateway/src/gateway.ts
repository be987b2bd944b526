import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Principal } from '@icp-sdk/core/principal';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { systemClock } from './clock';
import { CoarseClock } from './coarse-clock';
import { GatewayError } from './errors';
import { checkConfig, DEFAULT_CONFIG, parseAddress, type GatewayConfig } from './config';
import { ConnectionLimiter } from './connection-limits';
import { ErrorLog } from './error-log';
import { HealthMonitor } from './health';
import { IcClient } from './ic-client';
import { loadOrCreateGatewayIdentity } from './identity';
import { createMetrics, type GatewayMetrics } from './metrics';
import { OverloadGuard } from './overload-guard';
import { CanisterPoller, MAX_POLL_BACKOFF_MS } from './poller';
import { RELAY_RETRY_SCHEDULE } from './relay-queue';
import { RetryPolicy } from './retry-policy';
import { Router } from './router';
import { runSelfTest, SELF_TEST_PATH, selfTestToken, type SelfTestResult } from './self-test';
import { ClientSession, type SessionHost } from './session';
import { NO_TRACING, otlpTracesUrl, type GatewayTracer } from './tracing';

const VERSION = '0.1.0';
const DRAIN_TIMEOUT_MS = 10_000;
/** The grid of the pollers' timers: polls due within a few ms of each other share one timer. */
const POLL_TIMER_RESOLUTION_MS = 4;

export type GatewayOptions = Partial<GatewayConfig> & {
  /** A logger to use instead of one made from `logLevel`. */
  readonly logger?: Logger;
  /** Whether the self-test trusts only valid TLS certificates at `publicUrl` (default true). */
  readonly selfTestRejectUnauthorized?: boolean;
};

/** A gateway accepting clients. */
export interface RunningGateway {
  /** `ws://HOST:PORT` (or `wss://` with TLS). */
  readonly url: URL;
  readonly principal: Principal;
  /** The Prometheus endpoint, when enabled. */
  readonly metricsUrl: URL | undefined;
  readonly metrics: GatewayMetrics;
  /** Connected sessions. */
  readonly sessionCount: number;
  /** `starting` until listening with the root key, `ready`, then `draining` once {@link close} began. */
  readonly readiness: Readiness;
  /**
   * Drains: stops accepting, closes every session (calling `ws_close` for each), waits for
   * relays in flight, stops polling.
   */
  close(): Promise<void>;
}

/** What `/ready` answers: 200 only when `ready`. */
export type Readiness = 'starting' | 'ready' | 'draining';

/** Starts a gateway. */
export async function startGateway(options: GatewayOptions = {}): Promise<RunningGateway> {
  // An option given as undefined takes its default, as an absent one does.
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const config: GatewayConfig = { ...DEFAULT_CONFIG, ...given };
  checkConfig(config);
  const log = options.logger ?? pino({ level: config.logLevel, base: { service: 'icws-gateway' } });
  const identity = await loadOrCreateGatewayIdentity(config.dataDir);
  const principal = identity.getPrincipal();
  const clock = systemClock;
  const errors = new ErrorLog(log, clock);
  const ic = IcClient.create(config.icNetworkUrl, identity);
  let readiness: Readiness = 'starting';
  let listening = false;
  let rootKeyKnown = false;
  const setReadiness = (next: Readiness): void => {
    if (readiness === next) return;
    log.info({ from: readiness, to: next }, 'gateway readiness');
    readiness = next;
  };
  // The root key is fetched once; until then /ready asks again, so a replica that starts later is found.
  const fetchRootKey = (): Promise<void> =>
    ic.ready().then(
      () => {
        rootKeyKnown = true;
        if (listening && readiness === 'starting') setReadiness('ready');
      },
      (err: unknown) => errors.report('warn', 'replica', err, 'replica not reachable yet; will retry'),
    );
  void fetchRootKey();
  const tracer = await tracerFor(config, principal.toText(), errors);
  const health = new HealthMonitor({ replicaUrl: new URL(config.icNetworkUrl), clock });
  const metrics = createMetrics();
  const pending = new Set<Promise<unknown>>();
  const sessions = new Set<ClientSession>();
  const pollClock = new CoarseClock(clock, POLL_TIMER_RESOLUTION_MS);
  const pollRetry = new RetryPolicy({ minDelayMs: config.pollingIntervalMs, maxDelayMs: Math.max(config.pollingIntervalMs, MAX_POLL_BACKOFF_MS), clock });
  const router = new Router({
    createPoller: (canisterId, sink) =>
      new CanisterPoller({
        canisterId,
        source: ic,
        sink,
        intervalMs: config.pollingIntervalMs,
        timeoutMs: config.pollTimeoutMs,
        retry: pollRetry,
        clock: pollClock,
        metrics,
        log,
        errors,
        health,
        tracer,
      }),
    metrics,
    log,
  });
  // Judged every second, against half the wait bound: the sessions' own bound stays the backstop.
  const overload = new OverloadGuard({
    clock,
    intervalMs: 1_000,
    lateAfterMs: config.maxRelayWaitMs / 2,
    sessions: () => sessions,
    onShed: (count, judgement) => log.warn({ code: 'ICWS_ERR_OVERLOADED', shed: count, ...judgement }, 'the replica does not keep up with the calls of all clients; the newest sessions closed'),
  });
  const host: SessionHost = {
    gatewayPrincipal: principal,
    transport: ic,
    router,
    relayRetry: new RetryPolicy({ ...RELAY_RETRY_SCHEDULE, clock }),
    clock,
    limits: {
      maxFrameBytes: config.maxFrameBytes,
      maxOpenFrameBytes: config.maxOpenFrameBytes,
      maxClientBufferBytes: config.maxClientBufferBytes,
      maxQueuedFrames: config.maxQueuedFrames,
      maxQueuedBytes: config.maxQueuedBytes,
      maxRelayWaitMs: config.maxRelayWaitMs,
    },
    timeouts: {
      openTimeoutMs: config.openTimeoutMs,
      pingIntervalMs: config.pingIntervalMs,
      maxMissedPongs: config.maxMissedPongs,
    },
    metrics,
    log,
    errors,
    tracer,
    track(work) {
      pending.add(work);
      void work.finally(() => pending.delete(work));
    },
    overload,
  };

  const tls = config.tlsCertificatePemPath !== undefined && config.tlsCertificateKeyPemPath !== undefined;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const readinessNow = async (): Promise<Readiness> => {
      if (readiness === 'starting' && !rootKeyKnown) await fetchRootKey();
      return readiness;
    };
    answerHttp(req, res, { sessions: () => sessions.size, canisters: () => router.canisterCount, principal, health, readiness: readinessNow, selfTest: () => selfTest }).catch((err: unknown) => {
      errors.report('error', 'http', err, 'an HTTP endpoint failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    });
  };
  const server: Server = tls
    ? createHttpsServer({ cert: readFileSync(config.tlsCertificatePemPath!), key: readFileSync(config.tlsCertificateKeyPemPath!) }, handler)
    : createHttpServer(handler);
  // Frames up to twice the limit are read so the close reason can say what was wrong; beyond that
  // ws closes with 1009 on its own.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 2 * config.maxFrameBytes, perMessageDeflate: false });
  const limiter = new ConnectionLimiter(config);
  let nextSessionId = 1;
  let draining = false;
  const token = selfTestToken();
  let selfTest: SelfTestResult | undefined;
  server.on('upgrade', (req, socket: Socket, head) => {
    if (draining) return socket.destroy();
    const target = new URL(req.url ?? '/', 'http://gateway');
    if (target.pathname === SELF_TEST_PATH) {
      if (target.searchParams.get('token') !== token) return refuseUpgrade(socket, new GatewayError('ICWS_ERR_SELF_TEST', 'not this gateway\'s self-test'), 403);
      // The token in the close reason proves the handshake reached this very gateway.
      return wss.handleUpgrade(req, socket, head, (ws) => ws.close(1000, token));
    }
    const admission = limiter.admit(socket.remoteAddress ?? 'unknown');
    if (!admission.admitted) {
      metrics.connectionsRefused.inc({ limit: admission.limit });
      log.warn({ address: socket.remoteAddress, limit: admission.limit }, 'connection refused');
      return refuseUpgrade(socket, admission.error);
    }
    socket.once('close', admission.release);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new ClientSession(ws, host, nextSessionId++, socket);
      sessions.add(session);
      metrics.clientsConnected.inc();
      ws.once('close', () => {
        sessions.delete(session);
        metrics.clientsConnected.dec();
      });
    });
  });

  const { host: listenHost, port } = parseAddress(config.gatewayAddress, '--gateway-address');
  await listen(server, port, listenHost);
  listening = true;
  overload.start();
  if (rootKeyKnown) setReadiness('ready');
  const url = new URL(`${tls ? 'wss' : 'ws'}://${shownAddress(server)}`);

  let metricsServer: Server | undefined;
  let metricsUrl: URL | undefined;
  if (config.prometheusEndpoint !== null) {
    metricsServer = createHttpServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end('metrics are at /metrics\n');
      metrics.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    const endpoint = parseAddress(config.prometheusEndpoint, '--prometheus-endpoint');
    await listen(metricsServer, endpoint.port, endpoint.host);
    metricsUrl = new URL(`http://${shownAddress(metricsServer)}/metrics`);
  }
  if (config.opentelemetryCollectorEndpoint !== undefined) {
    log.info({ traces: otlpTracesUrl(config.opentelemetryCollectorEndpoint) }, 'exporting traces over OTLP/HTTP');
  }
  if (config.publicUrl !== undefined) {
    selfTest = { status: 'running', url: config.publicUrl };
    void runSelfTest({ publicUrl: config.publicUrl, principal: principal.toText(), token, rejectUnauthorized: options.selfTestRejectUnauthorized }).then((result) => {
      selfTest = result;
      if (result.status === 'failed') log.error({ code: 'ICWS_ERR_SELF_TEST', url: result.url, step: result.step }, `self-test through ${result.url} failed at the ${result.step} step: ${result.error.replace(/^ICWS_ERR_SELF_TEST: /, '')}`);
      else log.info({ url: result.url }, `self-test through ${result.url} passed: HTTP and WebSocket reach this gateway`);
    });
  }
  log.info({ principal: principal.toText(), url: url.href, metrics: metricsUrl?.href, icNetworkUrl: config.icNetworkUrl }, 'gateway started');

  return {
    url,
    principal,
    metricsUrl,
    metrics,
    get sessionCount() {
      return sessions.size;
    },
    get readiness() {
      return readiness;
    },
    async close() {
      if (draining) return;
      draining = true;
      overload.stop();
      setReadiness('draining');
      // HTTP is still answered while the sessions drain, so /ready tells load balancers to stop.
      for (const session of [...sessions]) session.close(new GatewayError('ICWS_ERR_SHUTTING_DOWN', 'the gateway is shutting down'));
      const drainTimeout = new Promise<void>((resolve) => clock.setTimer(resolve, DRAIN_TIMEOUT_MS, { unref: true }));
      await Promise.race([Promise.allSettled([...pending]), drainTimeout]);
      await router.stopAll();
      // After the sessions and polls ended, so their last spans go too.
      await tracer.shutdown();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      ic.close();
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await closed;
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
      log.info('gateway stopped');
    },
  };
}

/**
 * The OTLP tracer of `--opentelemetry-collector-endpoint`, or none; failed exports are logged like
 * other failures. The OpenTelemetry SDK is loaded only here: it costs a gateway without a
 * collector about 4 MB of memory and 0.3 s of start-up.
 */
async function tracerFor(config: GatewayConfig, principal: string, errors: ErrorLog): Promise<GatewayTracer> {
  const endpoint = config.opentelemetryCollectorEndpoint;
  if (endpoint === undefined) return NO_TRACING;
  const { createOtlpTracer } = await import('./otlp-tracer');
  return createOtlpTracer({
    endpoint,
    gatewayPrincipal: principal,
    version: VERSION,
    onExportFailed: (err) => {
      const message = err instanceof Error ? err.message : String(err);
      const error = new GatewayError('ICWS_ERR_TRACE_EXPORT', `the collector at ${otlpTracesUrl(endpoint)} did not take a batch of spans: ${message}`, { cause: err });
      errors.report('warn', 'otlp', error, 'trace export failed; those spans are lost');
    },
  });
}

interface HttpStatusSource {
  sessions(): number;
  canisters(): number;
  readonly principal: Principal;
  readonly health: HealthMonitor;
  readiness(): Promise<Readiness>;
  selfTest(): SelfTestResult | undefined;
}

async function answerHttp(req: IncomingMessage, res: ServerResponse, status: HttpStatusSource): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const json = (code: number, body: unknown): void => void res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body) + '\n');
  if (req.method === 'GET' && path === '/health') {
    const report = await status.health.report();
    const selfTest = status.selfTest();
    return json(report.status === 'ok' ? 200 : 503, { ...report, clients: status.sessions(), canisterCount: status.canisters(), ...(selfTest === undefined ? {} : { self_test: selfTest }) });
  }
  if (req.method === 'GET' && path === '/ready') {
    const readiness = await status.readiness();
    return json(readiness === 'ready' ? 200 : 503, { status: readiness });
  }
  if (req.method === 'GET' && path === '/version') {
    return json(200, { name: '@icws/gateway', version: VERSION, gatewayPrincipal: status.principal.toText() });
  }
  json(404, { error: `no such endpoint: ${req.method} ${path}; connect with a WebSocket, or GET /health, /ready or /version` });
}

/** Answers an upgrade with the error's HTTP status and a body led by its code, then hangs up. */
function refuseUpgrade(socket: Socket, error: GatewayError, httpStatus?: number): void {
  const status = httpStatus ?? error.httpStatus ?? 503;
  const body = `${error.wireText}\n`;
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'Connection: close', 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${Buffer.byteLength(body)}`];
  socket.on('error', () => undefined);
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  socket.setTimeout(2_000, () => socket.destroy());
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function shownAddress(server: Server): string {
  const address = server.address() as AddressInfo;
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
