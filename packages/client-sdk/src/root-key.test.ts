import { Cbor } from '@icp-sdk/core/agent';
import { fetchRootKey, isMainnetUrl, mainnetRootKey, rootKeyProvider, type FetchFn } from './root-key';

function statusFetch(body: unknown, status = 200): jest.Mock {
  return jest.fn(async () => ({ ok: status === 200, status, arrayBuffer: async () => Cbor.encode(body).slice().buffer }));
}

describe('isMainnetUrl', () => {
  it.each([
    ['https://icp-api.io', true],
    ['https://ic0.app/', true],
    ['https://abcde-aaaaa.icp0.io', true],
    ['http://127.0.0.1:4943', false],
    ['http://localhost:4943', false],
    ['https://notic0.app', false],
  ])('%s → %p', (url, mainnet) => expect(isMainnetUrl(url)).toBe(mainnet));
});

describe('rootKeyProvider', () => {
  it('uses the built-in key for mainnet, without fetching', async () => {
    const fetchMock = statusFetch({});
    const key = await rootKeyProvider('https://icp-api.io', fetchMock as unknown as FetchFn)();
    expect(key).toEqual(mainnetRootKey());
    expect(key).toHaveLength(133);
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("fetches a local network's key from /api/v2/status once", async () => {
    const rootKey = Uint8Array.from({ length: 133 }, (_, i) => i);
    const fetchMock = statusFetch({ root_key: rootKey });
    const provider = rootKeyProvider('http://127.0.0.1:4943', fetchMock as unknown as FetchFn);
    expect(await Promise.all([provider(), provider()])).toEqual([rootKey, rootKey]);
    expect(await provider()).toEqual(rootKey);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock.mock.calls[0]![0]).toBe('http://127.0.0.1:4943/api/v2/status');
  });

  it('prefers a given key', async () => {
    const fetchMock = statusFetch({});
    expect(await rootKeyProvider('http://127.0.0.1:4943', fetchMock as unknown as FetchFn, Uint8Array.of(1))()).toEqual(Uint8Array.of(1));
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('tries again after a failed fetch', async () => {
    const fetchMock = jest.fn().mockRejectedValueOnce(new Error('ECONNREFUSED'));
    fetchMock.mockImplementation(statusFetch({ root_key: Uint8Array.of(7) }));
    const provider = rootKeyProvider('http://127.0.0.1:4943', fetchMock as unknown as FetchFn);
    await expect(provider()).rejects.toMatchObject({ code: 'ICWS_ERR_ROOT_KEY_UNAVAILABLE' });
    expect(await provider()).toEqual(Uint8Array.of(7));
  });
});

describe('fetchRootKey', () => {
  it.each([
    ['an HTTP error', statusFetch({}, 503), 'cannot fetch the root key from http://h/api/v2/status: HTTP 503'],
    ['a status without root_key', statusFetch({ impl_version: '1' }), 'http://h/api/v2/status answered without a root_key'],
  ])('reports %s', async (_what, fetchMock, message) => {
    await expect(fetchRootKey('http://h', fetchMock as unknown as FetchFn)).rejects.toMatchObject({ code: 'ICWS_ERR_ROOT_KEY_UNAVAILABLE', message });
  });
});
