/** The gateway takes the upstream gateway's flags, with the same defaults, each also from the environment. */
import { checkConfig, DEFAULT_CONFIG, isMainnet, parseCommandLine, usage } from './config';

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
    expect(parse(['--tls-certificate-pem-path', 'c.pem', '--tls-certificate-key-pem-path', 'k.pem'])).toMatchObject({
      tlsCertificatePemPath: 'c.pem',
      tlsCertificateKeyPemPath: 'k.pem',
    });
    expect(parse(['--prometheus-endpoint', 'off']).prometheusEndpoint).toBeNull();
  });

  test.each([
    [['--polling-interval', 'soon'], '--polling-interval=soon: expected a positive number of milliseconds'],
    [['--gateway-address', 'localhost'], '--gateway-address=localhost: expected HOST:PORT'],
    [['--ic-network-url', 'not a url'], '--ic-network-url=not a url: expected a URL'],
    [['--tls-certificate-pem-path', 'c.pem'], 'TLS needs both'],
    [['--no-such-flag'], "Unknown option '--no-such-flag'"],
  ])('refuses %j naming the problem', (argv, message) => {
    expect(() => parse(argv)).toThrow(message);
  });

  test('bounds the relay queue at 64 calls and 8 MiB unless told otherwise', () => {
    expect(parse([])).toMatchObject({ maxQueuedFrames: 64, maxQueuedBytes: 8 * 1024 * 1024 });
    expect(parse(['--max-queued-frames', '16'], { MAX_QUEUED_BYTES: '1048576' })).toMatchObject({ maxQueuedFrames: 16, maxQueuedBytes: 1048576 });
    expect(parse([], { MAX_QUEUED_FRAMES: '5' }).maxQueuedFrames).toBe(5);
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
