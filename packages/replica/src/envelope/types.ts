/**
 * The shape of a decoded request envelope, as the IC interface spec ("Envelope", "Request:
 * Call/Query/Read state") defines it. Field names keep the spec's snake_case so the content can be
 * hashed into its request id as is.
 */

/** What an endpoint accepts: `/call` takes `call`, `/query` takes `query`, `/read_state` takes `read_state`. */
export type RequestType = 'call' | 'query' | 'read_state';

/** Fields every request content has. */
export interface ContentBase {
  /** Principal bytes of the caller; `0x04` is the anonymous principal. */
  sender: Uint8Array;
  /** Nanoseconds since the Unix epoch after which the request must be refused. */
  ingress_expiry: bigint;
  /** At most 32 bytes that make otherwise identical requests distinct. */
  nonce?: Uint8Array;
}

/** Content of an update call (`/api/v2|v3/canister/<id>/call`). */
export interface CallContent extends ContentBase {
  request_type: 'call';
  canister_id: Uint8Array;
  method_name: string;
  arg: Uint8Array;
}

/** Content of a query (`/api/v2/canister/<id>/query`). */
export interface QueryContent extends ContentBase {
  request_type: 'query';
  canister_id: Uint8Array;
  method_name: string;
  arg: Uint8Array;
}

/** Content of a read_state request (`/api/v2/canister/<id>/read_state`). */
export interface ReadStateContent extends ContentBase {
  request_type: 'read_state';
  /** State tree paths, each a list of labels. */
  paths: Uint8Array[][];
}

export type RequestContent = CallContent | QueryContent | ReadStateContent;

/** A delegation from one key to another, optionally limited to some canisters. */
export interface Delegation {
  /** DER SubjectPublicKeyInfo of the key that receives the delegation. */
  pubkey: Uint8Array;
  /** Nanoseconds since the Unix epoch after which the delegation is void. */
  expiration: bigint;
  /** Principal bytes of the canisters the delegation is limited to, when present. */
  targets?: Uint8Array[];
}

/** A delegation with the signature of the key delegating. */
export interface SignedDelegation {
  delegation: Delegation;
  signature: Uint8Array;
}

/** A decoded request body: the content and, unless the sender is anonymous, its authentication. */
export interface Envelope {
  content: RequestContent;
  /** DER SubjectPublicKeyInfo of the sender's key (the root of the delegation chain, if any). */
  sender_pubkey?: Uint8Array;
  /** Signature over the request id by the last delegated key, or by `sender_pubkey`. */
  sender_sig?: Uint8Array;
  sender_delegation?: SignedDelegation[];
}
