/**
 * Request envelopes of the IC HTTP interface (IC interface spec, "Envelope", "Request: Call /
 * Query / Read state"). Field names are the spec's snake_case, so a content can be hashed into its
 * request id as is. `P` is how principals are held: as bytes where an envelope is decoded and
 * checked (the replica), as `Principal`s where one is built or relayed (the client, the gateway).
 */
import type { Principal } from '@icp-sdk/core/principal';

/** What an endpoint accepts: `/call` takes `call`, `/query` takes `query`, `/read_state` takes `read_state`. */
export type RequestType = 'call' | 'query' | 'read_state';

/** Fields every request content has. */
export interface ContentBase<P = Uint8Array> {
  /** The caller; the anonymous principal is the single byte `0x04`. */
  sender: P;
  /** Nanoseconds since the Unix epoch after which the request must be refused. */
  ingress_expiry: bigint;
  /** At most 32 bytes that make otherwise identical requests distinct. */
  nonce?: Uint8Array;
}

/** Content of an update call (`/api/v2|v3/canister/<id>/call`). */
export interface CallContent<P = Uint8Array> extends ContentBase<P> {
  request_type: 'call';
  canister_id: P;
  method_name: string;
  /** Candid arguments. */
  arg: Uint8Array;
}

/** Content of a query (`/api/v2|v3/canister/<id>/query`). */
export interface QueryContent<P = Uint8Array> extends ContentBase<P> {
  request_type: 'query';
  canister_id: P;
  method_name: string;
  /** Candid arguments. */
  arg: Uint8Array;
}

/** Content of a read_state request (`/api/v2|v3/canister/<id>/read_state`). */
export interface ReadStateContent<P = Uint8Array> extends ContentBase<P> {
  request_type: 'read_state';
  /** State tree paths, each a list of labels. */
  paths: Uint8Array[][];
}

/** The content of any request. */
export type RequestContent<P = Uint8Array> = CallContent<P> | QueryContent<P> | ReadStateContent<P>;

/** A delegation from one key to another, optionally limited to some canisters. */
export interface Delegation<P = Uint8Array> {
  /** DER SubjectPublicKeyInfo of the key that receives the delegation. */
  pubkey: Uint8Array;
  /** Nanoseconds since the Unix epoch after which the delegation is void. */
  expiration: bigint;
  /** The canisters the delegation is limited to, when present. */
  targets?: P[];
}

/** A {@link Delegation} with the signature of the delegating key. */
export interface SignedDelegation<P = Uint8Array> {
  delegation: Delegation<P>;
  signature: Uint8Array;
}

/** A request body: the content and, unless the sender is anonymous, its authentication. */
export interface Envelope<P = Uint8Array, C extends RequestContent<P> = RequestContent<P>> {
  content: C;
  /** DER SubjectPublicKeyInfo of the sender's key (the root of the delegation chain, if any). */
  sender_pubkey?: Uint8Array;
  /** Signature over `"\x0Aic-request" ++ request id` by the last delegated key, or by `sender_pubkey`. */
  sender_sig?: Uint8Array;
  sender_delegation?: SignedDelegation<P>[];
}

/** Content of a `call` with principals as `Principal`s, as a client signs it and the gateway relays it. */
export type CallRequestContent = CallContent<Principal>;

/** An authenticated `call` request with principals as `Principal`s. All three sender fields are absent for the anonymous sender. */
export type CallEnvelope = Envelope<Principal, CallRequestContent>;
