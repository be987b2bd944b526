import { isMainnetHost } from './mainnet';

describe('isMainnetHost', () => {
  it.each([
    ['https://icp-api.io', true],
    ['https://ic0.app', true],
    ['https://icp0.io/api/v2/status', true],
    ['https://boundary.ic0.app', true],
    ['https://ryjl3-tyaaa-aaaaa-aaaba-cai.icp0.io', true],
    ['HTTPS://ICP-API.IO', true],
    ['http://127.0.0.1:4943', false],
    ['http://localhost:4943', false],
    ['https://notic0.app', false],
    ['https://ic0.app.example.com', false],
  ])('%s → %p', (url, mainnet) => {
    expect(isMainnetHost(url)).toBe(mainnet);
  });

  it('takes a URL object', () => {
    expect(isMainnetHost(new URL('https://icp-api.io'))).toBe(true);
  });

  it('throws for text that is not an absolute URL', () => {
    // URL's TypeError comes from another realm under jest, so the message is matched instead.
    expect(() => isMainnetHost('icp-api.io')).toThrow(/Invalid URL/);
  });
});
