/**
 * The strict decoder of request envelopes: what a replica uses before it trusts a body. Every
 * field is type-checked and bounded, and fields the spec does not define are refused.
 */
import { Decoder } from 'cbor-x';
import { MAX_DELEGATION_TARGETS, MAX_DELEGATIONS, MAX_NONCE_BYTES, MAX_PATH_LABELS, MAX_PRINCIPAL_BYTES, MAX_READ_STATE_PATHS } from './envelope-limits';
import type { Envelope, RequestContent, RequestType, SignedDelegation } from './envelope-types';
import { ProtocolError, ProtocolErrorCode } from './errors';

const MAX_NAT64 = (1n << 64n) - 1n;
/** How messages name the envelope itself. */
const BODY = 'request body';
const REQUEST_TYPES: readonly RequestType[] = ['call', 'query', 'read_state'];

const ENVELOPE_FIELDS = new Set(['content', 'sender_pubkey', 'sender_sig', 'sender_delegation']);
const CALL_FIELDS = new Set(['request_type', 'canister_id', 'method_name', 'arg', 'sender', 'ingress_expiry', 'nonce']);
const READ_STATE_FIELDS = new Set(['request_type', 'paths', 'sender', 'ingress_expiry', 'nonce']);
const SIGNED_DELEGATION_FIELDS = new Set(['delegation', 'signature']);
const DELEGATION_FIELDS = new Set(['pubkey', 'expiration', 'targets']);

// Plain objects for maps (no records, no Map), byte strings as Uint8Array, 64-bit integers as
// bigint; cbor-x unwraps the self-describe tag 55799 that agents put in front of every body.
const decoder = new Decoder({ mapsAsObjects: true, useRecords: false });

/**
 * Decodes a request body into a typed {@link Envelope} (principals as bytes), checking the type of
 * every field so later stages can trust the shape. Unknown fields are refused rather than ignored:
 * they would be part of the signed request id yet invisible to the receiver. Byte strings are
 * copied, so the envelope does not pin the body's buffer. The body's size is the caller's to bound.
 *
 * @throws {ProtocolError} `ICWS_ERR_BAD_CBOR`, `ICWS_ERR_MALFORMED_ENVELOPE` naming the offending
 *   field (also in `field`), or `ICWS_ERR_DELEGATION_CHAIN_TOO_LONG` / `ICWS_ERR_DELEGATION_TARGETS` /
 *   `ICWS_ERR_READ_STATE_TOO_LARGE` when a list exceeds its bound in `envelope-limits.ts`
 */
export function decodeEnvelope(body: Uint8Array): Envelope {
  let value: unknown;
  try {
    value = decoder.decode(body);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ProtocolError(ProtocolErrorCode.BAD_CBOR, `request body is not valid CBOR (${reason}); send the envelope CBOR-encoded, as @dfinity/agent does`, {
      cause: err,
    });
  }
  const fields = mapOf(value, BODY, ENVELOPE_FIELDS);
  const envelope: Envelope = { content: decodeContent(required(fields, 'content', '')) };
  const pubkey = optional(fields, 'sender_pubkey');
  if (pubkey !== undefined) envelope.sender_pubkey = blob(pubkey, 'sender_pubkey');
  const sig = optional(fields, 'sender_sig');
  if (sig !== undefined) envelope.sender_sig = blob(sig, 'sender_sig');
  const delegations = optional(fields, 'sender_delegation');
  if (delegations !== undefined) {
    const list = arrayOf(delegations, 'sender_delegation');
    if (list.length > MAX_DELEGATIONS) {
      throw new ProtocolError(
        ProtocolErrorCode.DELEGATION_CHAIN_TOO_LONG,
        `sender_delegation has ${list.length} delegations, more than the ${MAX_DELEGATIONS} allowed; shorten the chain`,
        { field: 'sender_delegation' },
      );
    }
    envelope.sender_delegation = list.map(decodeSignedDelegation);
  }
  return envelope;
}

function decodeContent(value: unknown): RequestContent {
  const raw = value as Record<string, unknown> | null;
  const type = typeof raw === 'object' && raw !== null ? raw.request_type : undefined;
  if (type === undefined) {
    mapOf(value, 'content', CALL_FIELDS);
    throw malformed(`content.request_type is missing; it must be one of ${REQUEST_TYPES.map((t) => `"${t}"`).join(', ')}`, 'content.request_type');
  }
  if (typeof type !== 'string' || !(REQUEST_TYPES as readonly string[]).includes(type)) {
    throw malformed(`content.request_type must be one of ${REQUEST_TYPES.map((t) => `"${t}"`).join(', ')}, got ${shown(type)}`, 'content.request_type');
  }
  const requestType = type as RequestType;
  const fields = mapOf(value, 'content', requestType === 'read_state' ? READ_STATE_FIELDS : CALL_FIELDS);
  const base = {
    sender: principalBytes(required(fields, 'sender', 'content'), 'content.sender'),
    ingress_expiry: nat64(required(fields, 'ingress_expiry', 'content'), 'content.ingress_expiry'),
  };
  const nonceValue = optional(fields, 'nonce');
  const nonce = nonceValue === undefined ? {} : { nonce: blob(nonceValue, 'content.nonce', MAX_NONCE_BYTES) };
  if (requestType === 'read_state') {
    const rawPaths = arrayOf(required(fields, 'paths', 'content'), 'content.paths');
    if (rawPaths.length > MAX_READ_STATE_PATHS) {
      throw readStateTooLarge(`content.paths has ${rawPaths.length} paths, more than the ${MAX_READ_STATE_PATHS} allowed`, 'content.paths');
    }
    const paths = rawPaths.map((path, i) => {
      const labels = arrayOf(path, `content.paths[${i}]`);
      if (labels.length > MAX_PATH_LABELS) throw readStateTooLarge(`content.paths[${i}] has ${labels.length} labels, more than the ${MAX_PATH_LABELS} allowed`, `content.paths[${i}]`);
      return labels.map((label, j) => blob(label, `content.paths[${i}][${j}]`));
    });
    return { request_type: requestType, paths, ...base, ...nonce };
  }
  return {
    request_type: requestType,
    canister_id: principalBytes(required(fields, 'canister_id', 'content'), 'content.canister_id'),
    method_name: text(required(fields, 'method_name', 'content'), 'content.method_name'),
    arg: blob(required(fields, 'arg', 'content'), 'content.arg'),
    ...base,
    ...nonce,
  };
}

function decodeSignedDelegation(value: unknown, index: number): SignedDelegation {
  const name = `sender_delegation[${index}]`;
  const fields = mapOf(value, name, SIGNED_DELEGATION_FIELDS);
  const inner = mapOf(required(fields, 'delegation', name), `${name}.delegation`, DELEGATION_FIELDS);
  const targetsValue = optional(inner, 'targets');
  if (Array.isArray(targetsValue) && targetsValue.length > MAX_DELEGATION_TARGETS) {
    throw new ProtocolError(
      ProtocolErrorCode.DELEGATION_TARGETS,
      `${name}.delegation.targets lists ${targetsValue.length} canisters, more than the ${MAX_DELEGATION_TARGETS} allowed`,
      { field: `${name}.delegation.targets` },
    );
  }
  return {
    delegation: {
      pubkey: blob(required(inner, 'pubkey', `${name}.delegation`), `${name}.delegation.pubkey`),
      expiration: nat64(required(inner, 'expiration', `${name}.delegation`), `${name}.delegation.expiration`),
      ...(targetsValue === undefined
        ? {}
        : { targets: arrayOf(targetsValue, `${name}.delegation.targets`).map((t, i) => principalBytes(t, `${name}.delegation.targets[${i}]`)) }),
    },
    signature: blob(required(fields, 'signature', name), `${name}.signature`),
  };
}

/** @returns `value` as a plain object whose defined keys are all in `allowed`. */
function mapOf(value: unknown, name: string, allowed: ReadonlySet<string>): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    throw malformed(`${name} must be a CBOR map, got ${kindOf(value)}`, name);
  }
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (fields[key] !== undefined && !allowed.has(key)) {
      throw malformed(`${name} has an unknown field ${shown(key)}; allowed fields are ${[...allowed].join(', ')}`, name === BODY ? key : `${name}.${key}`);
    }
  }
  return fields;
}

/** CBOR `undefined` counts as absent, as it does for the request id. */
function optional(fields: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
}

function required(fields: Record<string, unknown>, key: string, parent: string): unknown {
  const value = optional(fields, key);
  if (value === undefined) {
    const field = parent === '' ? key : `${parent}.${key}`;
    throw malformed(`${field} is missing`, field);
  }
  return value;
}

/** @returns a copy, so the envelope does not pin the (possibly pooled) body buffer. */
function blob(value: unknown, name: string, maxBytes?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw malformed(`${name} must be a blob (CBOR byte string), got ${kindOf(value)}`, name);
  if (maxBytes !== undefined && value.length > maxBytes) throw malformed(`${name} must be at most ${maxBytes} bytes, got ${value.length}`, name);
  return new Uint8Array(value);
}

function principalBytes(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw malformed(`${name} must be a principal (CBOR byte string), got ${kindOf(value)}`, name);
  if (value.length > MAX_PRINCIPAL_BYTES) throw malformed(`${name} must be a principal of at most ${MAX_PRINCIPAL_BYTES} bytes, got ${value.length}`, name);
  return new Uint8Array(value);
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string') throw malformed(`${name} must be text, got ${kindOf(value)}`, name);
  return value;
}

function nat64(value: unknown, name: string): bigint {
  if (typeof value === 'bigint' && value >= 0n && value <= MAX_NAT64) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw malformed(`${name} must be a nat64 (unsigned CBOR integer), got ${kindOf(value)}`, name);
}

function arrayOf(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw malformed(`${name} must be an array, got ${kindOf(value)}`, name);
  return value;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `a ${value.length}-byte blob`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `text ${shown(value)}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`;
  if (typeof value === 'object') return Object.getPrototypeOf(value) === Object.prototype ? 'a map' : 'a tagged or unsupported CBOR value';
  return typeof value;
}

/** Quotes untrusted text for a message, cut short so a hostile body cannot flood logs. */
function shown(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

function readStateTooLarge(message: string, field: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.READ_STATE_TOO_LARGE, `${message}; split the read_state into several requests`, { field });
}

function malformed(message: string, field: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.MALFORMED_ENVELOPE, `${message}; send the request as @dfinity/agent encodes it (IC interface spec, "Envelope")`, { field });
}
