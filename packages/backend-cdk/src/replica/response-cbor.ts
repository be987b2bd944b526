import { encodeHashTreeCbor, type HashTree } from '../certification';
import { encodeCbor } from './cbor';
import type { QueryResponseBody } from './query-response';

/** CBOR tag 55799 ("self-describe"), which the IC puts in front of its CBOR. */
const SELF_DESCRIBE = Uint8Array.of(0xd9, 0xd9, 0xf7);
const MAJOR_UNSIGNED = 0;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const ARRAY_OF_ONE = 0x81;
const MAP_OF_ONE = 0xa1;
const MAP_OF_TWO = 0xa2;
const MAP_OF_THREE = 0xa3;
const utf8 = new TextEncoder();

/** Map keys and text values, encoded once. */
const TEXT = {
  tree: textItem('tree'),
  signature: textItem('signature'),
  status: textItem('status'),
  replied: textItem('replied'),
  certificate: textItem('certificate'),
  reply: textItem('reply'),
  arg: textItem('arg'),
  signatures: textItem('signatures'),
  timestamp: textItem('timestamp'),
  identity: textItem('identity'),
};

/**
 * @returns the CBOR of the certificate `{tree, signature}` (self-describe tag first), as cbor-x
 *   encodes it but written directly: a certificate is made for every update call and every data
 *   certificate, and a general-purpose encoder spends most of its time on the tree's nested arrays.
 *   A plain Uint8Array of its own, since it is handed to canisters and callers.
 */
export function encodeCertificate(tree: HashTree, signature: Uint8Array): Uint8Array {
  const treeCbor = encodeHashTreeCbor(tree).subarray(SELF_DESCRIBE.length);
  return concat([SELF_DESCRIBE, Uint8Array.of(MAP_OF_TWO), TEXT.tree, treeCbor, TEXT.signature, header(MAJOR_BYTES, signature.length), signature], false);
}

/**
 * @returns the CBOR body answering a v3 call that was executed: `{status: "replied", certificate}`;
 *   a slice of Node's buffer pool, to be written to the socket and dropped
 */
export function encodeCallReply(certificate: Uint8Array): Uint8Array {
  return concat([SELF_DESCRIBE, Uint8Array.of(MAP_OF_TWO), TEXT.status, TEXT.replied, TEXT.certificate, header(MAJOR_BYTES, certificate.length), certificate], true);
}

/**
 * @returns the CBOR body of a query reply; a reply (the common case) is written directly, into a
 *   slice of Node's buffer pool, to be written to the socket and dropped; a reject goes through the
 *   general encoder
 */
export function encodeQueryResponse(body: QueryResponseBody): Uint8Array {
  if (body.status !== 'replied' || body.signatures.length !== 1) return encodeCbor(body);
  const [{ timestamp, signature, identity }] = body.signatures;
  const { arg } = body.reply;
  return concat([
    SELF_DESCRIBE,
    Uint8Array.of(MAP_OF_THREE),
    TEXT.status,
    TEXT.replied,
    TEXT.reply,
    Uint8Array.of(MAP_OF_ONE),
    TEXT.arg,
    header(MAJOR_BYTES, arg.length),
    arg,
    TEXT.signatures,
    Uint8Array.of(ARRAY_OF_ONE, MAP_OF_THREE),
    TEXT.timestamp,
    unsigned(timestamp),
    TEXT.signature,
    header(MAJOR_BYTES, signature.length),
    signature,
    TEXT.identity,
    header(MAJOR_BYTES, identity.length),
    identity,
  ], true);
}

/** @returns a natural number (below 2^64) as the shortest CBOR unsigned integer. */
function unsigned(n: bigint): Uint8Array {
  if (n < 0x1_0000_0000n) return header(MAJOR_UNSIGNED, Number(n));
  const out = new Uint8Array(9);
  out[0] = (MAJOR_UNSIGNED << 5) | 27;
  new DataView(out.buffer).setBigUint64(1, n);
  return out;
}

function textItem(text: string): Uint8Array {
  const bytes = utf8.encode(text);
  return concat([header(MAJOR_TEXT, bytes.length), bytes], false);
}

/** @returns the shortest CBOR header of a major type with `length`. */
function header(major: number, length: number): Uint8Array {
  const type = major << 5;
  if (length < 24) return Uint8Array.of(type | length);
  if (length < 0x100) return Uint8Array.of(type | 24, length);
  if (length < 0x10000) return Uint8Array.of(type | 25, length >>> 8, length & 0xff);
  return Uint8Array.of(type | 26, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}

/**
 * Joins `parts`. A `pooled` result is a slice of Node's buffer pool: a Uint8Array above 64 bytes
 * gets a backing store of its own, which costs more than the copying when it happens for every
 * request. Only for bytes that go to a socket: a slice shares its ArrayBuffer, which decoders that
 * ignore byteOffset (the agent's, for one) misread.
 */
function concat(parts: readonly Uint8Array[], pooled: boolean): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = pooled ? Buffer.allocUnsafe(length) : new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
