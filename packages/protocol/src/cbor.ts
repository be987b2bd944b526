/**
 * CBOR plumbing shared by the frame codecs: one encoder configured to write what Rust's
 * `serde_cbor` writes for the protocol's structs, one lenient-but-safe decoder, and readers that
 * check one field each and name it when it is wrong.
 * @internal
 */
import { Decoder, Encoder } from 'cbor-x';
import { Principal } from '@icp-sdk/core/principal';
import { SELF_DESCRIBE_TAG } from './cbor-head';
import { MAX_PRINCIPAL_BYTES } from './envelope-limits';
import { ProtocolError, ProtocolErrorCode } from './errors';

const MAX_U64 = (1n << 64n) - 1n;
const MAX_U32 = 0xffff_ffff;

// Structs as definite-length maps with text keys in insertion order, byte arrays as plain byte
// strings (no typed-array tag): the layout serde_cbor gives `#[derive(Serialize)]` structs.
const encoder = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });
// Maps become plain objects; 8-byte integers become bigints, shorter ones numbers; cbor-x skips
// tag 55799.
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/** A decoded CBOR map. */
export type CborRecord = Record<string, unknown>;

/**
 * @returns `value` as CBOR, prefixed with tag 55799 when `selfDescribe` is true, in a buffer of
 * its own (cbor-x returns views into a shared 8 KiB block, which one retained frame would pin).
 * Integers meant as u64 must already be passed through {@link u64ToCbor}.
 */
export function encodeCbor(value: unknown, selfDescribe: boolean): Uint8Array<ArrayBuffer> {
  const body = encoder.encode(value);
  const prefix = selfDescribe ? SELF_DESCRIBE_TAG.length : 0;
  const out = new Uint8Array(prefix + body.length);
  if (selfDescribe) out.set(SELF_DESCRIBE_TAG);
  out.set(body, prefix);
  return out;
}

/**
 * Decodes one CBOR item (optionally tagged 55799) that must be a map.
 * @param what - name of the expected message, for error messages
 * @throws {ProtocolError} `ICWS_ERR_BAD_MESSAGE` if the bytes are not one CBOR map
 */
export function decodeCborRecord(bytes: Uint8Array, what: string): CborRecord {
  if (!(bytes instanceof Uint8Array)) {
    throw badMessage(`${what}: expected bytes, got ${describe(bytes)}`);
  }
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (cause) {
    throw new ProtocolError(ProtocolErrorCode.BAD_MESSAGE, `${what}: not valid CBOR (${String(cause)})`, { cause });
  }
  if (!isRecord(value)) throw badMessage(`${what}: expected a CBOR map, got ${describe(value)}`);
  return value;
}

/**
 * @returns the u64 `value` in the form the encoder writes minimally, as serde_cbor does
 * (a number below 2^32, a bigint above: cbor-x writes numbers above 2^32 as floats).
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` when `value` is not an integer in [0, 2^64)
 */
export function u64ToCbor(value: bigint, field: string): number | bigint {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_U64) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `${field} must be a bigint in [0, 2^64), got ${describe(value)}`, {
      field,
    });
  }
  return value <= BigInt(MAX_U32) ? Number(value) : value;
}

/**
 * @returns `bytes` as a plain `Uint8Array` view on the same memory (no copy): decoded byte
 * strings come out as Node `Buffer`s, which should not leak into the protocol's values.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Readers of one decoded field: each returns the value with its protocol type or throws
 * `ICWS_ERR_BAD_MESSAGE` naming `field` (a dotted path) of the message `what`.
 */
export const read = {
  record(value: unknown, what: string, field: string): CborRecord {
    return asRecord(value, what, field);
  },
  u64(value: unknown, what: string, field: string): bigint {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    if (typeof value === 'bigint' && value >= 0n && value <= MAX_U64) return value;
    throw badField(what, field, 'an unsigned 64-bit integer', value);
  },
  bool(value: unknown, what: string, field: string): boolean {
    if (typeof value === 'boolean') return value;
    throw badField(what, field, 'a boolean', value);
  },
  text(value: unknown, what: string, field: string): string {
    if (typeof value === 'string') return value;
    throw badField(what, field, 'a text string', value);
  },
  bytes(value: unknown, what: string, field: string): Uint8Array {
    if (value instanceof Uint8Array) return plainBytes(value);
    throw badField(what, field, 'a byte string', value);
  },
  /** Absent and `null` (serde's `None`) both read as `undefined`. */
  optionalBytes(value: unknown, what: string, field: string): Uint8Array | undefined {
    return value === undefined || value === null ? undefined : read.bytes(value, what, field);
  },
  array(value: unknown, what: string, field: string): unknown[] {
    if (Array.isArray(value)) return value;
    throw badField(what, field, 'an array', value);
  },
  principal(value: unknown, what: string, field: string): Principal {
    const bytes = read.bytes(value, what, field);
    if (bytes.length > MAX_PRINCIPAL_BYTES) throw badField(what, field, `a principal (at most ${MAX_PRINCIPAL_BYTES} bytes)`, bytes);
    return Principal.fromUint8Array(bytes.slice());
  },
};

/** @returns a `ICWS_ERR_BAD_MESSAGE` error for `field` of `what`. */
export function badField(what: string, field: string, expected: string, got: unknown): ProtocolError {
  return badMessage(`${what}: field '${field}' must be ${expected}, got ${describe(got)}`, field);
}

function badMessage(message: string, field?: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.BAD_MESSAGE, message, { field });
}

function asRecord(value: unknown, what: string, field: string): CborRecord {
  if (isRecord(value)) return value;
  throw badField(what, field, 'a map', value);
}

function isRecord(value: unknown): value is CborRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Map);
}

/** @returns a short description of a decoded value's type, for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing (field missing)';
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`;
  if (typeof value === 'string') return `a text string of length ${value.length}`;
  if (typeof value !== 'object') return typeof value;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null ? 'a map' : `a ${(value as object).constructor.name}`;
}
