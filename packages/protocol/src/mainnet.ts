/**
 * Which networks are the IC mainnet: there the root key is the NNS key built into agents, and it
 * must never be fetched from the network it is meant to authenticate.
 */

/** API domains of the IC mainnet; their subdomains (boundary nodes, canisters) count too. */
export const MAINNET_API_DOMAINS: readonly string[] = ['icp-api.io', 'ic0.app', 'icp0.io'];

/**
 * @param url - a network URL, e.g. `https://icp-api.io` or `http://127.0.0.1:4943`
 * @returns whether its host is an IC mainnet API domain or a subdomain of one
 * @throws {TypeError} when `url` is not an absolute URL
 */
export function isMainnetHost(url: string | URL): boolean {
  const hostname = (typeof url === 'string' ? new URL(url) : url).hostname.toLowerCase();
  return MAINNET_API_DOMAINS.some((domain) => hostname === domain || hostname.endsWith(`.${domain}`));
}
