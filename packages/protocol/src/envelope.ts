/**
 * The signed `call` envelope of the IC HTTP interface, as a client sends it through the gateway
 * and the gateway relays it to `/api/v2|v3/canister/<id>/call`. Only what the protocol needs:
 * the `call` request type, its content fields, the signature and an optional delegation chain.
 * Field names are the IC interface specification's; principals travel as byte strings, the
 * expiry and delegation expirations as unsigned integers (nanoseconds).
 */
import type { Principal } from '@dfinity/principal';
import { badField, describe, encodeCbor, read, u64ToCbor, type CborRecord } from './cbor';
import { ProtocolError, ProtocolErrorCode } from './errors';

/** Content of a `call` request: what the sender signs (through its request id). */
export interface CallRequestContent {
  request_type: 'call';
  canister_id: Principal;
  method_name: string;
  /** Candid arguments. */
  arg: Uint8Array;
  sender: Principal;
  /** Nanoseconds since the epoch after which the replica refuses the request. */
  ingress_expiry: bigint;
  /** Makes otherwise identical calls distinct. */
  nonce?: Uint8Array;
}

/** A delegation from one key to another, as carried in `sender_delegation`. */
export interface Delegation {
  /** DER public key delegated to. */
  pubkey: Uint8Array;
  /** Nanoseconds since the epoch. */
  expiration: bigint;
  /** Canisters the delegation is restricted to, if any. */
  targets?: Principal[];
}

/** A {@link Delegation} with the signature of the delegating key. */
export interface SignedDelegation {
  delegation: Delegation;
  signature: Uint8Array;
}

/** An authenticated `call` request. All three sender fields are absent for the anonymous sender. */
export interface CallEnvelope {
  content: CallRequestContent;
  /** DER public key of the sender (head of the delegation chain, if any). */
  sender_pubkey?: Uint8Array;
  /** Signature over `"\x0Aic-request" ++ request id`. */
  sender_sig?: Uint8Array;
  sender_delegation?: SignedDelegation[];
}

/**
 * @returns `envelope` as the self-describing CBOR body of a `call` HTTP request.
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` when a field does not fit its type
 */
export function encodeCallEnvelope(envelope: CallEnvelope): Uint8Array<ArrayBuffer> {
  return encodeCbor(callEnvelopeToCbor(envelope), true);
}

/**
 * @returns the CBOR-ready form of `envelope` (principals as bytes, u64 as integers, absent
 *   optional fields omitted).
 * @internal
 */
export function callEnvelopeToCbor(envelope: CallEnvelope): CborRecord {
  const c = envelope?.content;
  if (typeof c !== 'object' || c === null) throw invalid('content', `must be the request content, got ${describe(c)}`);
  if (c.request_type !== 'call') throw invalid('content.request_type', `must be 'call', got ${String(c.request_type)}`);
  if (typeof c.method_name !== 'string') throw invalid('content.method_name', 'must be a string');
  const content: CborRecord = { request_type: 'call' };
  if (c.nonce !== undefined) content.nonce = bytesArg(c.nonce, 'content.nonce');
  content.ingress_expiry = u64ToCbor(c.ingress_expiry, 'content.ingress_expiry');
  content.sender = principalArg(c.sender, 'content.sender');
  content.canister_id = principalArg(c.canister_id, 'content.canister_id');
  content.method_name = c.method_name;
  content.arg = bytesArg(c.arg, 'content.arg');
  const out: CborRecord = { content };
  if (envelope.sender_pubkey !== undefined) out.sender_pubkey = bytesArg(envelope.sender_pubkey, 'sender_pubkey');
  if (envelope.sender_sig !== undefined) out.sender_sig = bytesArg(envelope.sender_sig, 'sender_sig');
  if (envelope.sender_delegation !== undefined) {
    out.sender_delegation = envelope.sender_delegation.map((signed, i) => {
      const d = signed.delegation;
      const field = `sender_delegation.${i}`;
      const delegation: CborRecord = {
        pubkey: bytesArg(d.pubkey, `${field}.delegation.pubkey`),
        expiration: u64ToCbor(d.expiration, `${field}.delegation.expiration`),
      };
      if (d.targets !== undefined) delegation.targets = d.targets.map((t, j) => principalArg(t, `${field}.delegation.targets.${j}`));
      return { delegation, signature: bytesArg(signed.signature, `${field}.signature`) };
    });
  }
  return out;
}

/**
 * @returns the `call` envelope in the decoded CBOR `value`, found at `path` of a `what`.
 *   Unknown fields are ignored and `null` optional fields read as absent, as serde reads them.
 * @throws {ProtocolError} `ICWS_ERR_BAD_MESSAGE` naming the first bad field; an envelope of
 *   another request type (`query`, `read_state`) is refused, as the upstream gateway refuses to
 *   relay it
 * @internal
 */
export function readCallEnvelope(value: unknown, what: string, path: string): CallEnvelope {
  const map = read.record(value, what, path);
  const at = (field: string) => (path === '' ? field : `${path}.${field}`);
  const content = read.record(map.content, what, at('content'));
  if (content.request_type !== 'call') {
    throw badField(what, at('content.request_type'), "'call' (only call envelopes are relayed)", content.request_type);
  }
  const envelope: CallEnvelope = {
    content: {
      request_type: 'call',
      canister_id: read.principal(content.canister_id, what, at('content.canister_id')),
      method_name: read.text(content.method_name, what, at('content.method_name')),
      arg: read.bytes(content.arg, what, at('content.arg')),
      sender: read.principal(content.sender, what, at('content.sender')),
      ingress_expiry: read.u64(content.ingress_expiry, what, at('content.ingress_expiry')),
    },
  };
  const nonce = read.optionalBytes(content.nonce, what, at('content.nonce'));
  if (nonce !== undefined) envelope.content.nonce = nonce;
  const pubkey = read.optionalBytes(map.sender_pubkey, what, at('sender_pubkey'));
  if (pubkey !== undefined) envelope.sender_pubkey = pubkey;
  const sig = read.optionalBytes(map.sender_sig, what, at('sender_sig'));
  if (sig !== undefined) envelope.sender_sig = sig;
  if (map.sender_delegation !== undefined && map.sender_delegation !== null) {
    const chain = read.array(map.sender_delegation, what, at('sender_delegation'));
    envelope.sender_delegation = chain.map((entry, i) => readSignedDelegation(entry, what, at(`sender_delegation.${i}`)));
  }
  return envelope;
}

function readSignedDelegation(value: unknown, what: string, path: string): SignedDelegation {
  const signed = read.record(value, what, path);
  const d = read.record(signed.delegation, what, `${path}.delegation`);
  const delegation: Delegation = {
    pubkey: read.bytes(d.pubkey, what, `${path}.delegation.pubkey`),
    expiration: read.u64(d.expiration, what, `${path}.delegation.expiration`),
  };
  if (d.targets !== undefined && d.targets !== null) {
    const targets = read.array(d.targets, what, `${path}.delegation.targets`);
    delegation.targets = targets.map((t, j) => read.principal(t, what, `${path}.delegation.targets.${j}`));
  }
  return { delegation, signature: read.bytes(signed.signature, what, `${path}.signature`) };
}

function principalArg(p: Principal, field: string): Uint8Array {
  if (typeof p?.toUint8Array !== 'function') throw invalid(field, `must be a Principal, got ${describe(p)}`);
  return p.toUint8Array();
}

function bytesArg(b: Uint8Array, field: string): Uint8Array {
  if (!(b instanceof Uint8Array)) throw invalid(field, `must be a Uint8Array, got ${describe(b)}`);
  return b;
}

function invalid(field: string, problem: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `call envelope: ${field} ${problem}`, { field });
}
