import type { Principal } from '@icp-sdk/core/principal';
import type { CanisterOutputCertifiedMessages, ClientKey } from '@icws/protocol';

/** What became of a relayed call. */
export type RelayOutcome =
  | { readonly status: 'replied'; readonly reply: Uint8Array }
  | { readonly status: 'rejected'; readonly message: string }
  /** Executed, with its outcome not read (the caller did not ask for it). */
  | { readonly status: 'executed' }
  /** Accepted but not yet executed (the v2 interface, or a v3 call that took too long). */
  | { readonly status: 'accepted' };

/**
 * The gateway's three exchanges with the IC; {@link IcClient} speaks them over the IC HTTP
 * interface. Each tries once: retrying is the caller's business (see {@link RetryPolicy}).
 */
export interface IcTransport {
  /**
   * Relays a client's signed envelope, byte for byte, to the canister's `call` endpoint.
   * @param requestId - the envelope's request id, to read the call's outcome; without it an
   *   executed call is reported as `executed`
   * @throws GatewayError `ICWS_ERR_ENVELOPE_REFUSED` when the replica refuses the envelope,
   *   `ICWS_ERR_REPLICA_OVERLOADED` when it refuses the call as overloaded, `ICWS_ERR_REPLICA_UNAVAILABLE`
   *   when it cannot be reached or fails (both worth retrying)
   */
  relayCall(canisterId: Principal, envelopeCbor: Uint8Array, requestId?: Uint8Array): Promise<RelayOutcome>;
  /**
   * Reads the canister's queue for this gateway from `nonce`, certified, asking for up to
   * `maxMessages` when given (an icws CDK honours it within its own maximum; upstream ones return
   * their fixed count).
   * @throws GatewayError `ICWS_ERR_REPLICA_UNAVAILABLE`, `ICWS_ERR_POLL_REJECTED`,
   *   `ICWS_ERR_QUERY_SIGNATURE`
   */
  getMessages(canisterId: Principal, nonce: bigint, maxMessages?: bigint): Promise<CanisterOutputCertifiedMessages>;
  /** Tells the canister that a client's connection ended. */
  wsClose(canisterId: Principal, clientKey: ClientKey): Promise<void>;
}

/** @returns whether `err` says the replica refused the call as overloaded: it was not queued, and may be later. */
export function isReplicaOverloaded(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ICWS_ERR_REPLICA_OVERLOADED';
}

/** @returns whether another attempt at a relay that failed with `err` may succeed. */
export function isRelayRetriable(err: unknown): boolean {
  return isReplicaUnavailable(err) || isReplicaOverloaded(err);
}

/** @returns whether `err` says the replica could not be reached, so another attempt may succeed. */
export function isReplicaUnavailable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ICWS_ERR_REPLICA_UNAVAILABLE';
}
