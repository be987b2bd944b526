/** The gateway takes the upstream gateway's flags, with the same defaults, each also from the environment. */
import { isMainnet, parseCommandLine, usage } from './config';

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

  test('refuses a bad environment variable naming it', () => {
    expect(() => parse([], { POLLING_INTERVAL: '-5' })).toThrow('POLLING_INTERVAL=-5: expected a positive number of milliseconds');
  });

  test('--help lists every flag with its environment variable', () => {
    expect(parseCommandLine(['--help'])).toEqual({ help: true });
    for (const fragment of ['--gateway-address', 'GATEWAY_ADDRESS', '--ic-network-url', '--polling-interval', '--prometheus-endpoint', '--tls-certificate-pem-path', '--tls-certificate-key-pem-path', '--dev']) {
      expect(usage()).toContain(fragment);
    }
  });

  test('knows mainnet URLs, whose root key is not fetched', () => {
    expect(isMainnet('https://icp-api.io')).toBe(true);
    expect(isMainnet('https://ic0.app')).toBe(true);
    expect(isMainnet('http://127.0.0.1:4943')).toBe(false);
  });
});
