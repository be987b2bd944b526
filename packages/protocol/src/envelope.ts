/**
 * Codecs of request envelopes for the parts that build or relay them: encoders of `call`, `query`
 * and `read_state` envelopes (the client's calls, the gateway's polls), and the lenient reader of
 * the `call` envelopes the gateway relays, which ignores unknown fields as the upstream gateway
 * does. The strict decoder a replica checks bodies with is `envelope-decode.ts`.
 */
import type { Principal } from '@icp-sdk/core/principal';
import { badField, describe, encodeCbor, read, u64ToCbor, type CborRecord } from './cbor';
import type { CallEnvelope, Delegation, Envelope, RequestContent, SignedDelegation } from './envelope-types';
import { ProtocolError, ProtocolErrorCode } from './errors';

/** A principal as an encoder takes it: a `Principal` or its bytes. */
export type PrincipalInput = Principal | Uint8Array;

/**
 * @returns `envelope` as the self-describing CBOR body of a `call`, `query` or `read_state` HTTP
 *   request, principals as byte strings, absent optional fields left out
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` naming the field that does not fit its type
 */
export function encodeEnvelope(envelope: Envelope<PrincipalInput>): Uint8Array<ArrayBuffer> {
  return encodeCbor(envelopeToCbor(envelope), true);
}

/**
 * @returns `envelope` as the self-describing CBOR body of a `call` HTTP request.
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` when a field does not fit its type
 */
export function encodeCallEnvelope(envelope: CallEnvelope): Uint8Array<ArrayBuffer> {
  return encodeCbor(callEnvelopeToCbor(envelope), true);
}

/**
 * @returns the CBOR-ready form of a `call` envelope, refusing other request types.
 * @internal
 */
export function callEnvelopeToCbor(envelope: CallEnvelope): CborRecord {
  const type: unknown = envelope?.content?.request_type;
  if (type !== 'call' && typeof envelope?.content === 'object' && envelope.content !== null) throw invalid('content.request_type', `must be 'call', got ${String(type)}`);
  return envelopeToCbor(envelope);
}

/**
 * @returns the CBOR-ready form of `envelope` (principals as bytes, u64 as integers, absent
 *   optional fields omitted).
 * @internal
 */
export function envelopeToCbor(envelope: Envelope<PrincipalInput>): CborRecord {
  const out: CborRecord = { content: contentToCbor(envelope?.content) };
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

function contentToCbor(c: RequestContent<PrincipalInput> | undefined): CborRecord {
  if (typeof c !== 'object' || c === null) throw invalid('content', `must be the request content, got ${describe(c)}`);
  const type: unknown = c.request_type;
  if (type !== 'call' && type !== 'query' && type !== 'read_state') {
    throw invalid('content.request_type', `must be 'call', 'query' or 'read_state', got ${String(type)}`);
  }
  const content: CborRecord = { request_type: c.request_type };
  if (c.nonce !== undefined) content.nonce = bytesArg(c.nonce, 'content.nonce');
  content.ingress_expiry = u64ToCbor(c.ingress_expiry, 'content.ingress_expiry');
  content.sender = principalArg(c.sender, 'content.sender');
  if (c.request_type === 'read_state') {
    if (!Array.isArray(c.paths)) throw invalid('content.paths', `must be an array of paths, got ${describe(c.paths)}`);
    content.paths = c.paths.map((path, i) => {
      if (!Array.isArray(path)) throw invalid(`content.paths.${i}`, `must be an array of labels, got ${describe(path)}`);
      return path.map((label, j) => bytesArg(label, `content.paths.${i}.${j}`));
    });
    return content;
  }
  if (typeof c.method_name !== 'string') throw invalid('content.method_name', 'must be a string');
  content.canister_id = principalArg(c.canister_id, 'content.canister_id');
  content.method_name = c.method_name;
  content.arg = bytesArg(c.arg, 'content.arg');
  return content;
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

function readSignedDelegation(value: unknown, what: string, path: string): SignedDelegation<Principal> {
  const signed = read.record(value, what, path);
  const d = read.record(signed.delegation, what, `${path}.delegation`);
  const delegation: Delegation<Principal> = {
    pubkey: read.bytes(d.pubkey, what, `${path}.delegation.pubkey`),
    expiration: read.u64(d.expiration, what, `${path}.delegation.expiration`),
  };
  if (d.targets !== undefined && d.targets !== null) {
    const targets = read.array(d.targets, what, `${path}.delegation.targets`);
    delegation.targets = targets.map((t, j) => read.principal(t, what, `${path}.delegation.targets.${j}`));
  }
  return { delegation, signature: read.bytes(signed.signature, what, `${path}.signature`) };
}

function principalArg(p: PrincipalInput, field: string): Uint8Array {
  if (p instanceof Uint8Array) return p;
  if (typeof p?.toUint8Array !== 'function') throw invalid(field, `must be a Principal or its bytes, got ${describe(p)}`);
  return p.toUint8Array();
}

function bytesArg(b: Uint8Array, field: string): Uint8Array {
  if (!(b instanceof Uint8Array)) throw invalid(field, `must be a Uint8Array, got ${describe(b)}`);
  return b;
}

function invalid(field: string, problem: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `request envelope: ${field} ${problem}`, { field });
}
