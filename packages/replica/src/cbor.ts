import { Encoder } from 'cbor-x';
import { SELF_DESCRIBE_TAG } from '@icws/protocol';

// Byte arrays as plain CBOR byte strings (not cbor-x's typed-array tags), objects as maps.
const encoder = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });

/** @returns `value` as CBOR prefixed with the self-describe tag, as the IC encodes its responses. */
export function encodeCbor(value: unknown): Uint8Array {
  const body = encoder.encode(value);
  const out = new Uint8Array(SELF_DESCRIBE_TAG.length + body.length);
  out.set(SELF_DESCRIBE_TAG);
  out.set(body, SELF_DESCRIBE_TAG.length);
  return out;
}
