/** The gateway takes the upstream gateway's flags, with the same defaults, each also from the environment. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig, DEFAULT_CONFIG, isMainnet, parseCommandLine, usage } from './config';

const dir = mkdtempSync(join(tmpdir(), 'icws-gw-config-'));
const certPath = join(dir, 'cert.pem');
const keyPath = join(dir, 'key.pem');
writeFileSync(certPath, 'certificate');
writeFileSync(keyPath, 'key');

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const parsed = parseCommandLine(argv, env);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.config;
};

describe('gateway configuration', () => {
  test('defaults to the upstream gateway defaults', () => {
    expect(parse([])).toMatchObject({
      gatewayAddress: '0.0.0.0:8080',
      icNetworkUrl: 'http://127.0.0.1:4943',
      pollingIntervalMs: 100,
      prometheusEndpoint: '0.0.0.0:9000',
    });
    expect(parse([]).tlsCertificatePemPath).toBeUndefined();
  });

  test('reads each flag, and the environment when the flag is absent', () => {
    const env = { GATEWAY_ADDRESS: '127.0.0.1:9999', POLLING_INTERVAL: '250', IC_NETWORK_URL: 'https://icp-api.io' };
    expect(parse(['--gateway-address', '127.0.0.1:1234'], env)).toMatchObject({
      gatewayAddress: '127.0.0.1:1234',
      pollingIntervalMs: 250,
      icNetworkUrl: 'https://icp-api.io',
    });
    expect(parse(['--tls-certificate-pem-path', certPath, '--tls-certificate-key-pem-path', keyPath])).toMatchObject({
      tlsCertificatePemPath: certPath,
      tlsCertificateKeyPemPath: keyPath,
    });
    expect(parse(['--prometheus-endpoint', 'off']).prometheusEndpoint).toBeNull();
  });

  test.each([
    [['--polling-interval', 'soon'], '--polling-interval=soon: expected a positive number of milliseconds'],
    [['--gateway-address', 'localhost'], '--gateway-address=localhost: expected HOST:PORT'],
    [['--ic-network-url', 'not a url'], '--ic-network-url=not a url: expected a URL'],
    [['--tls-certificate-pem-path', certPath], 'TLS needs both'],
    [['--ic-network-url', 'ftp://x'], '--ic-network-url=ftp://x: expected an http:// or https:// URL, not ftp://'],
    [['--log-level', 'loud'], '--log-level=loud: expected one of trace, debug, info, warn, error, fatal, silent'],
    [['--opentelemetry-collector-endpoint', 'collector:4317'], '--opentelemetry-collector-endpoint=collector:4317: expected an http:// or https:// URL'],
    [['--public-url', 'ftp://gateway.example.org'], '--public-url=ftp://gateway.example.org: expected an http://, https://, ws:// or wss:// URL, not ftp://'],
    [['--opentelemetry-collector-endpoint', 'nowhere'], '--opentelemetry-collector-endpoint=nowhere: expected a URL'],
    [['--opentelemetry-collector-endpoint', 'grpc://otlp_collector:4317'], '--opentelemetry-collector-endpoint=grpc://otlp_collector:4317: this gateway sends OTLP over HTTP, not gRPC; give the collector\'s OTLP/HTTP URL, e.g. http://collector:4318'],
    [['--no-such-flag'], "Unknown option '--no-such-flag'"],
  ])('refuses %j naming the problem', (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });

  test('names the TLS flag and the path of a missing or unreadable file', () => {
    const missing = join(dir, 'missing.pem');
    expect(() => parse(['--tls-certificate-pem-path', missing, '--tls-certificate-key-pem-path', keyPath])).toThrow(`--tls-certificate-pem-path=${missing}: no such file`);
    expect(() => parse([], { TLS_CERTIFICATE_PEM_PATH: certPath, TLS_CERTIFICATE_KEY_PEM_PATH: dir })).toThrow(`TLS_CERTIFICATE_KEY_PEM_PATH=${dir}: not a file`);
    expect(() => checkConfig({ ...DEFAULT_CONFIG, tlsCertificatePemPath: certPath, tlsCertificateKeyPemPath: missing })).toThrow(`--tls-certificate-key-pem-path=${missing}: no such file`);
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.pem');
      writeFileSync(locked, 'key');
      chmodSync(locked, 0o000);
      expect(() => parse(['--tls-certificate-pem-path', certPath, '--tls-certificate-key-pem-path', locked])).toThrow(`--tls-certificate-key-pem-path=${locked}: not readable by this user`);
    }
  });

  test('takes every flag of the upstream gateway', () => {
    const argv = ['--gateway-address', '127.0.0.1:1', '--ic-network-url', 'https://icp-api.io', '--polling-interval', '200', '--tls-certificate-pem-path', certPath, '--tls-certificate-key-pem-path', keyPath, '--opentelemetry-collector-endpoint', 'http://127.0.0.1:4317', '--prometheus-endpoint', '127.0.0.1:9001'];
    expect(parse(argv)).toMatchObject({ opentelemetryCollectorEndpoint: 'http://127.0.0.1:4317', pollingIntervalMs: 200, prometheusEndpoint: '127.0.0.1:9001' });
    expect(parse(['--public-url', 'wss://gateway.example.org/']).publicUrl).toBe('wss://gateway.example.org/');
    expect(parse([], { OPENTELEMETRY_COLLECTOR_ENDPOINT: 'https://otel.example:4318' }).opentelemetryCollectorEndpoint).toBe('https://otel.example:4318');
    expect(usage()).toMatch(/--opentelemetry-collector-endpoint +http:\/\/ or https:\/\/ URL of an OTLP\/HTTP collector/);
    expect(usage()).toMatch(/--log-level +one of trace, debug, info, warn, error, fatal, silent/);
  });

  test('checks the log level and the network URL of settings given in a program', () => {
    expect(() => checkConfig({ ...DEFAULT_CONFIG, logLevel: 'loud' })).toThrow('--log-level=loud: expected one of trace');
    expect(() => checkConfig({ ...DEFAULT_CONFIG, icNetworkUrl: 'ws://127.0.0.1:4943' })).toThrow('--ic-network-url=ws://127.0.0.1:4943: expected an http:// or https:// URL');
  });

  test('bounds the relay queue at 64 calls and 8 MiB unless told otherwise', () => {
    expect(parse([])).toMatchObject({ maxQueuedFrames: 64, maxQueuedBytes: 8 * 1024 * 1024 });
    expect(parse(['--max-queued-frames', '16'], { MAX_QUEUED_BYTES: '1048576' })).toMatchObject({ maxQueuedFrames: 16, maxQueuedBytes: 1048576 });
    expect(parse([], { MAX_QUEUED_FRAMES: '5' }).maxQueuedFrames).toBe(5);
  });

  test('bounds the wait of relayed calls at 5 s unless told otherwise', () => {
    expect(parse([]).maxRelayWaitMs).toBe(5_000);
    expect(parse(['--max-relay-wait-ms', '2000']).maxRelayWaitMs).toBe(2_000);
    expect(parse([], { MAX_RELAY_WAIT_MS: '10000' }).maxRelayWaitMs).toBe(10_000);
    expect(() => parse(['--max-relay-wait-ms', '0'])).toThrow('--max-relay-wait-ms=0');
  });

  test.each([
    [['--max-queued-frames', '0'], '--max-queued-frames=0: expected a positive whole number'],
    [['--max-queued-frames', '2.5'], '--max-queued-frames=2.5: expected a positive whole number'],
    [['--max-queued-bytes', 'lots'], '--max-queued-bytes=lots: expected a positive number of bytes'],
  ])('refuses a relay bound of %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });

  test('bounds dead and hostile peers unless told otherwise', () => {
    expect(parse([])).toMatchObject({ openTimeoutMs: 10_000, maxOpenFrameBytes: 65_536, pingIntervalMs: 30_000, maxMissedPongs: 2, maxConnections: 10_000, maxConnectionsPerIp: 256 });
    const argv = ['--open-timeout-ms', '500', '--max-open-frame-bytes', '4096', '--ping-interval-ms', '1000', '--max-missed-pongs', '3', '--max-connections', '50'];
    expect(parse(argv, { MAX_CONNECTIONS_PER_IP: '5' })).toMatchObject({ openTimeoutMs: 500, maxOpenFrameBytes: 4096, pingIntervalMs: 1000, maxMissedPongs: 3, maxConnections: 50, maxConnectionsPerIp: 5 });
  });

  test.each([
    [['--open-timeout-ms', '0'], '--open-timeout-ms=0: expected a positive number of milliseconds'],
    [['--max-missed-pongs', 'two'], '--max-missed-pongs=two: expected a positive whole number'],
    [['--max-connections-per-ip=-1'], '--max-connections-per-ip=-1: expected a positive whole number'],
    [['--max-open-frame-bytes', String(4 * 1024 * 1024)], '--max-open-frame-bytes=4194304 exceeds the frame limit of 2097152 bytes'],
  ])('refuses a liveness setting of %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });

  test('checks settings given in a program', () => {
    expect(() => checkConfig({ ...DEFAULT_CONFIG, pingIntervalMs: 0 })).toThrow('pingIntervalMs=0: expected a positive whole number');
    expect(() => checkConfig(DEFAULT_CONFIG)).not.toThrow();
  });

  test('refuses a bad environment variable naming it', () => {
    expect(() => parse([], { POLLING_INTERVAL: '-5' })).toThrow('POLLING_INTERVAL=-5: expected a positive number of milliseconds');
  });

  test('--help lists every flag with its environment variable', () => {
    expect(parseCommandLine(['--help'])).toEqual({ help: true });
    for (const fragment of ['--gateway-address', 'GATEWAY_ADDRESS', '--ic-network-url', '--polling-interval', '--prometheus-endpoint', '--tls-certificate-pem-path', '--tls-certificate-key-pem-path', '--max-queued-frames', 'MAX_QUEUED_FRAMES', '--max-queued-bytes', 'MAX_QUEUED_BYTES', '--open-timeout-ms', '--ping-interval-ms', '--max-missed-pongs', '--max-connections', '--max-connections-per-ip', 'MAX_CONNECTIONS_PER_IP', '--max-open-frame-bytes', '--dev']) {
      expect(usage()).toContain(fragment);
    }
  });

  test('knows mainnet URLs, whose root key is not fetched', () => {
    expect(isMainnet('https://icp-api.io')).toBe(true);
    expect(isMainnet('https://ic0.app')).toBe(true);
    expect(isMainnet('http://127.0.0.1:4943')).toBe(false);
  });
});
