/**
 * The root key certificates are checked against: built in for the IC mainnet (never fetched, so
 * a network attacker cannot substitute one), fetched from `/api/v2/status` of a local replica,
 * as `HttpAgent` does.
 */
import { Cbor, IC_ROOT_KEY } from '@icp-sdk/core/agent';
import { isMainnetHost } from '@icws/protocol';
import { describeError, IcWebSocketError, IcWebSocketErrorCode } from './errors';

/** A `fetch` as the platform provides it; injectable for tests. */
export type FetchFn = (input: string, init?: { method?: string; headers?: Record<string, string> }) => Promise<Pick<Response, 'ok' | 'status' | 'arrayBuffer'>>;

/** Whether a network URL is an IC mainnet API host (`icp-api.io`, `ic0.app`, `icp0.io` or a subdomain). */
export { isMainnetHost as isMainnetUrl } from '@icws/protocol';

/** @returns the DER root key of the IC mainnet. */
export function mainnetRootKey(): Uint8Array {
  const bytes = new Uint8Array(IC_ROOT_KEY.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(IC_ROOT_KEY.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * @returns the root key the replica at `networkUrl` announces in `/api/v2/status`.
 * @throws {IcWebSocketError} `ICWS_ERR_ROOT_KEY_UNAVAILABLE` when it cannot be fetched or read
 */
export async function fetchRootKey(networkUrl: string | URL, fetchImpl: FetchFn): Promise<Uint8Array> {
  const url = new URL('/api/v2/status', networkUrl).toString();
  let status: { root_key?: unknown };
  try {
    const response = await fetchImpl(url, { method: 'GET', headers: { accept: 'application/cbor' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    status = Cbor.decode<{ root_key?: unknown }>(new Uint8Array(await response.arrayBuffer()));
  } catch (cause) {
    throw new IcWebSocketError(IcWebSocketErrorCode.ROOT_KEY_UNAVAILABLE, `cannot fetch the root key from ${url}: ${describeError(cause)}`, { cause });
  }
  if (!(status?.root_key instanceof Uint8Array)) {
    throw new IcWebSocketError(IcWebSocketErrorCode.ROOT_KEY_UNAVAILABLE, `${url} answered without a root_key`);
  }
  return status.root_key;
}

/**
 * @returns a function that gives the root key for `networkUrl`: `rootKey` if set, the built-in key
 *   for mainnet, otherwise the fetched key, fetched once (a failed fetch is tried again next time).
 */
export function rootKeyProvider(networkUrl: string, fetchImpl: FetchFn, rootKey?: Uint8Array): () => Promise<Uint8Array> {
  if (rootKey !== undefined) return () => Promise.resolve(rootKey);
  if (isMainnetHost(networkUrl)) {
    const key = mainnetRootKey();
    return () => Promise.resolve(key);
  }
  let pending: Promise<Uint8Array> | undefined;
  return () => {
    pending ??= fetchRootKey(networkUrl, fetchImpl).catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
