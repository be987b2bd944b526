import { accessSync, constants, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { DEFAULT_GATEWAY_LISTEN_ADDRESS, DEFAULT_IC_NETWORK_URL, DEFAULT_POLLING_INTERVAL_MS, POLLING_TIMEOUT_MS } from '@icws/protocol';
import { GatewayError } from './errors';
import { DEFAULT_RELAY_QUEUE_LIMITS } from './relay-queue';

/** Everything the gateway can be told; flags and environment variables map onto it. */
export interface GatewayConfig {
  /** `HOST:PORT` to accept clients on. */
  readonly gatewayAddress: string;
  readonly icNetworkUrl: string;
  readonly pollingIntervalMs: number;
  /** `HOST:PORT` of the Prometheus endpoint, or null for none. */
  readonly prometheusEndpoint: string | null;
  readonly tlsCertificatePemPath?: string;
  readonly tlsCertificateKeyPemPath?: string;
  /** Where the gateway's key pair is kept (`<dir>/key_pair`). */
  readonly dataDir: string;
  readonly logLevel: string;
  readonly pollTimeoutMs: number;
  /** A client whose unsent frames exceed this many bytes is dropped. */
  readonly maxClientBufferBytes: number;
  readonly maxFrameBytes: number;
  /** A client with more calls than this waiting to be relayed is dropped (close code 1008). */
  readonly maxQueuedFrames: number;
  /** A client with more bytes of calls than this waiting to be relayed is dropped (close code 1009). */
  readonly maxQueuedBytes: number;
  /**
   * A client whose call waited longer than this for the replica (while it answers) before it could
   * be relayed, or arrives behind one that has, is dropped (close code 1013): the replica does not
   * keep up.
   */
  readonly maxRelayWaitMs: number;
  /** A connection that has not sent `ws_open` this long after its handshake is closed (1013). */
  readonly openTimeoutMs: number;
  /** Largest client frame until the session is open: `ws_open` is small. */
  readonly maxOpenFrameBytes: number;
  /** How often each client is pinged. */
  readonly pingIntervalMs: number;
  /** Pings in a row a client may leave unanswered; at the next, it is closed (1013). */
  readonly maxMissedPongs: number;
  /** Connections the gateway holds at most; upgrades past it are refused with HTTP 503. */
  readonly maxConnections: number;
  /** Connections one client address holds at most; upgrades past it are refused with HTTP 429. */
  readonly maxConnectionsPerIp: number;
  /**
   * OTLP/HTTP collector URL: a base URL such as `http://collector:4318` (spans are posted to
   * `/v1/traces`) or the full traces URL. When set, the gateway exports a span per relayed call and
   * per poll.
   */
  readonly opentelemetryCollectorEndpoint?: string;
  /**
   * The URL clients reach the gateway by (through a reverse proxy, say): at start the gateway checks
   * that an HTTP request and a WebSocket handshake sent there reach it, and shows the outcome on
   * `/health` as `self_test`.
   */
  readonly publicUrl?: string;
}

/** The log levels `--log-level` takes: pino's, and `silent`. */
export const LOG_LEVELS: readonly string[] = [...Object.keys(pino.levels.values), 'silent'];

export const DEFAULT_CONFIG: GatewayConfig = {
  gatewayAddress: DEFAULT_GATEWAY_LISTEN_ADDRESS,
  icNetworkUrl: DEFAULT_IC_NETWORK_URL,
  pollingIntervalMs: DEFAULT_POLLING_INTERVAL_MS,
  prometheusEndpoint: '0.0.0.0:9000',
  dataDir: './data',
  logLevel: 'info',
  pollTimeoutMs: POLLING_TIMEOUT_MS,
  maxClientBufferBytes: 4 * 1024 * 1024,
  maxFrameBytes: 2 * 1024 * 1024,
  maxQueuedFrames: DEFAULT_RELAY_QUEUE_LIMITS.maxFrames,
  maxQueuedBytes: DEFAULT_RELAY_QUEUE_LIMITS.maxBytes,
  maxRelayWaitMs: DEFAULT_RELAY_QUEUE_LIMITS.maxWaitMs,
  openTimeoutMs: 10_000,
  maxOpenFrameBytes: 64 * 1024,
  pingIntervalMs: 30_000,
  maxMissedPongs: 2,
  maxConnections: 10_000,
  maxConnectionsPerIp: 256,
};

interface FlagSpec {
  readonly flag: string;
  readonly env: string;
  readonly key: keyof GatewayConfig;
  readonly help: string;
  readonly kind: 'string' | 'ms' | 'bytes' | 'count' | 'address' | 'url' | 'otlp-url' | 'public-url' | 'level' | 'file';
}

/** The flags, named and defaulted as the upstream gateway's, plus ours. */
const FLAGS: readonly FlagSpec[] = [
  { flag: 'gateway-address', env: 'GATEWAY_ADDRESS', key: 'gatewayAddress', kind: 'address', help: 'address clients connect to' },
  { flag: 'ic-network-url', env: 'IC_NETWORK_URL', key: 'icNetworkUrl', kind: 'url', help: 'http:// or https:// URL of the IC network (mainnet: https://icp-api.io)' },
  { flag: 'polling-interval', env: 'POLLING_INTERVAL', key: 'pollingIntervalMs', kind: 'ms', help: 'ms between polls of a canister' },
  { flag: 'prometheus-endpoint', env: 'PROMETHEUS_ENDPOINT', key: 'prometheusEndpoint', kind: 'address', help: 'address of the Prometheus /metrics endpoint ("off" to disable)' },
  { flag: 'tls-certificate-pem-path', env: 'TLS_CERTIFICATE_PEM_PATH', key: 'tlsCertificatePemPath', kind: 'file', help: 'TLS certificate (PEM); with the key, serves wss://' },
  { flag: 'tls-certificate-key-pem-path', env: 'TLS_CERTIFICATE_KEY_PEM_PATH', key: 'tlsCertificateKeyPemPath', kind: 'file', help: 'TLS private key (PEM)' },
  {
    flag: 'opentelemetry-collector-endpoint',
    env: 'OPENTELEMETRY_COLLECTOR_ENDPOINT',
    key: 'opentelemetryCollectorEndpoint',
    kind: 'otlp-url',
    help: 'http:// or https:// URL of an OTLP/HTTP collector (e.g. http://collector:4318; spans go to /v1/traces unless the URL has a path): a span per relayed call and per poll',
  },
  {
    flag: 'public-url',
    env: 'PUBLIC_URL',
    key: 'publicUrl',
    kind: 'public-url',
    help: 'URL clients use (http, https, ws or wss); at start the gateway checks an HTTP request and a WebSocket handshake reach it there (shown on /health)',
  },
  { flag: 'data-dir', env: 'DATA_DIR', key: 'dataDir', kind: 'string', help: "where the gateway's key pair is kept" },
  { flag: 'log-level', env: 'LOG_LEVEL', key: 'logLevel', kind: 'level', help: `one of ${LOG_LEVELS.join(', ')}` },
  { flag: 'poll-timeout', env: 'POLL_TIMEOUT', key: 'pollTimeoutMs', kind: 'ms', help: 'ms before a poll is abandoned and retried' },
  { flag: 'max-client-buffer', env: 'MAX_CLIENT_BUFFER', key: 'maxClientBufferBytes', kind: 'bytes', help: 'bytes of unsent frames after which a slow client is dropped' },
  { flag: 'max-queued-frames', env: 'MAX_QUEUED_FRAMES', key: 'maxQueuedFrames', kind: 'count', help: "calls of one client waiting to be relayed after which it is dropped (1008)" },
  { flag: 'max-queued-bytes', env: 'MAX_QUEUED_BYTES', key: 'maxQueuedBytes', kind: 'bytes', help: "bytes of one client's calls waiting to be relayed after which it is dropped (1009)" },
  { flag: 'max-relay-wait-ms', env: 'MAX_RELAY_WAIT_MS', key: 'maxRelayWaitMs', kind: 'ms', help: "ms one client's call may wait for the replica before it is relayed, after which the client is dropped (1013)" },
  { flag: 'open-timeout-ms', env: 'OPEN_TIMEOUT_MS', key: 'openTimeoutMs', kind: 'ms', help: 'ms after the handshake by which a client must have sent ws_open (else 1013)' },
  { flag: 'max-open-frame-bytes', env: 'MAX_OPEN_FRAME_BYTES', key: 'maxOpenFrameBytes', kind: 'bytes', help: 'largest client frame until the session is open (else 1009)' },
  { flag: 'ping-interval-ms', env: 'PING_INTERVAL_MS', key: 'pingIntervalMs', kind: 'ms', help: 'ms between pings of a client' },
  { flag: 'max-missed-pongs', env: 'MAX_MISSED_PONGS', key: 'maxMissedPongs', kind: 'count', help: 'pings in a row a client may leave unanswered before it is closed (1013)' },
  { flag: 'max-connections', env: 'MAX_CONNECTIONS', key: 'maxConnections', kind: 'count', help: 'connections held at most; more are refused with HTTP 503' },
  { flag: 'max-connections-per-ip', env: 'MAX_CONNECTIONS_PER_IP', key: 'maxConnectionsPerIp', kind: 'count', help: 'connections from one address held at most; more are refused with HTTP 429' },
];

/** The `--help` text. */
export function usage(): string {
  const lines = FLAGS.map((f) => {
    const fallback = DEFAULT_CONFIG[f.key];
    const shown = fallback === undefined || fallback === null ? '' : ` (default ${String(fallback)})`;
    return `  --${f.flag.padEnd(30)} ${f.help}${shown}; env ${f.env}`;
  });
  return ['Usage: icws-gateway [flags]', '', 'Relays IC WebSocket clients to canisters.', '', ...lines, `  --${'dev'.padEnd(30)} also start an embedded replica with the example canisters`, `  --${'help'.padEnd(30)} show this text`].join('\n');
}

export type ParsedCommandLine = { readonly help: true } | { readonly help: false; readonly dev: boolean; readonly config: GatewayConfig };

/**
 * Reads flags, then environment variables, then defaults.
 * @throws GatewayError `ICWS_ERR_USAGE` naming the bad flag or variable
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedCommandLine {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(FLAGS.map((f) => [f.flag, { type: 'string' as const }])),
        dev: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new GatewayError('ICWS_ERR_USAGE', (err as Error).message);
  }
  if (values.help) return { help: true };
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const spec of FLAGS) {
    const fromFlag = values[spec.flag] as string | undefined;
    const raw = fromFlag ?? env[spec.env];
    if (raw === undefined || raw === '') continue;
    const source = fromFlag !== undefined ? `--${spec.flag}` : spec.env;
    config[spec.key] = parseValue(spec, raw, source);
  }
  checkConfig(config as unknown as GatewayConfig);
  return { help: false, dev: values.dev === true, config: config as unknown as GatewayConfig };
}

/** The numeric settings, each a positive whole number. */
const POSITIVE_SETTINGS = FLAGS.filter((f) => f.kind === 'ms' || f.kind === 'bytes' || f.kind === 'count').map((f) => f.key);

/**
 * Checks what flags alone cannot: settings given in a program, and settings that depend on each
 * other.
 * @throws GatewayError `ICWS_ERR_USAGE` naming the setting and what it must be
 */
export function checkConfig(config: GatewayConfig): void {
  for (const key of [...POSITIVE_SETTINGS, 'maxFrameBytes' as const]) {
    const value = config[key];
    if (!Number.isInteger(value) || (value as number) <= 0) {
      throw new GatewayError('ICWS_ERR_USAGE', `${key}=${String(value)}: expected a positive whole number`);
    }
  }
  if (!LOG_LEVELS.includes(config.logLevel)) {
    throw new GatewayError('ICWS_ERR_USAGE', `--log-level=${config.logLevel}: expected one of ${LOG_LEVELS.join(', ')}`);
  }
  checkHttpUrl(config.icNetworkUrl, '--ic-network-url');
  if (config.opentelemetryCollectorEndpoint !== undefined) checkOtlpUrl(config.opentelemetryCollectorEndpoint, '--opentelemetry-collector-endpoint');
  if (config.publicUrl !== undefined) checkHttpUrl(config.publicUrl, '--public-url', true);
  if ((config.tlsCertificatePemPath === undefined) !== (config.tlsCertificateKeyPemPath === undefined)) {
    throw new GatewayError('ICWS_ERR_USAGE', 'TLS needs both --tls-certificate-pem-path and --tls-certificate-key-pem-path');
  }
  if (config.tlsCertificatePemPath !== undefined) checkReadableFile(config.tlsCertificatePemPath, '--tls-certificate-pem-path');
  if (config.tlsCertificateKeyPemPath !== undefined) checkReadableFile(config.tlsCertificateKeyPemPath, '--tls-certificate-key-pem-path');
  if (config.maxOpenFrameBytes > config.maxFrameBytes) {
    throw new GatewayError('ICWS_ERR_USAGE', `--max-open-frame-bytes=${config.maxOpenFrameBytes} exceeds the frame limit of ${config.maxFrameBytes} bytes; lower it`);
  }
}

const POSITIVE = { ms: 'a positive number of milliseconds', bytes: 'a positive number of bytes', count: 'a positive whole number' } as const;

function parseValue(spec: FlagSpec, raw: string, source: string): unknown {
  const fail = (expected: string) => new GatewayError('ICWS_ERR_USAGE', `${source}=${raw}: expected ${expected}`);
  switch (spec.kind) {
    case 'ms':
    case 'bytes':
    case 'count': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n <= 0) throw fail(POSITIVE[spec.kind]);
      return n;
    }
    case 'address':
      if (spec.key === 'prometheusEndpoint' && raw === 'off') return null;
      parseAddress(raw, source);
      return raw;
    case 'url':
      checkHttpUrl(raw, source);
      return raw;
    case 'otlp-url':
      checkOtlpUrl(raw, source);
      return raw;
    case 'public-url':
      checkHttpUrl(raw, source, true);
      return raw;
    case 'level':
      if (!LOG_LEVELS.includes(raw)) throw fail(`one of ${LOG_LEVELS.join(', ')}`);
      return raw;
    case 'file':
      checkReadableFile(raw, source);
      return raw;
    default:
      return raw;
  }
}

/** @throws GatewayError `ICWS_ERR_USAGE` unless `raw` is an http:// or https:// URL (or ws:// or wss://, when `webSocket`) */
function checkHttpUrl(raw: string, source: string, webSocket = false): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GatewayError('ICWS_ERR_USAGE', `${source}=${raw}: expected a URL such as http://127.0.0.1:4943`);
  }
  const schemes = webSocket ? ['http:', 'https:', 'ws:', 'wss:'] : ['http:', 'https:'];
  if (!schemes.includes(url.protocol)) {
    const expected = webSocket ? 'an http://, https://, ws:// or wss:// URL' : 'an http:// or https:// URL';
    throw new GatewayError('ICWS_ERR_USAGE', `${source}=${raw}: expected ${expected}, not ${url.protocol}//`);
  }
}

/**
 * The upstream gateway exports OTLP over gRPC and its examples say `grpc://collector:4317`; this
 * one speaks OTLP over HTTP, so such a value gets its own hint.
 * @throws GatewayError `ICWS_ERR_USAGE` unless `raw` is an http:// or https:// URL
 */
function checkOtlpUrl(raw: string, source: string): void {
  if (/^grpcs?:\/\//i.test(raw)) {
    throw new GatewayError('ICWS_ERR_USAGE', `${source}=${raw}: this gateway sends OTLP over HTTP, not gRPC; give the collector's OTLP/HTTP URL, e.g. http://collector:4318`);
  }
  checkHttpUrl(raw, source);
}

/** @throws GatewayError `ICWS_ERR_USAGE` naming the flag and the path unless `path` is a readable file */
function checkReadableFile(path: string, source: string): void {
  let reason: string | undefined;
  try {
    if (!statSync(path).isFile()) reason = 'not a file';
    else accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable by this user' : (err as Error).message;
  }
  if (reason !== undefined) throw new GatewayError('ICWS_ERR_USAGE', `${source}=${path}: ${reason}; give the path of a readable PEM file`);
}

/** Splits `HOST:PORT` (IPv6 hosts in brackets). */
export function parseAddress(address: string, source = 'address'): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(address);
  if (match === null || Number(match[2]) > 65535) {
    throw new GatewayError('ICWS_ERR_USAGE', `${source}=${address}: expected HOST:PORT, e.g. 0.0.0.0:8080`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

/** Whether a network URL is the IC mainnet, whose root key is built into the agent. */
export { isMainnetHost as isMainnet } from '@icws/protocol';
