import { hashTreeCborSize, writeHashTreeCbor, type HashTree } from '@icws/backend-cdk';
import { cborHead, cborHeadSize, MAJOR_BYTES, MAJOR_MAP, MAJOR_TEXT, MAJOR_UNSIGNED, SELF_DESCRIBE_TAG, writeCborHead } from '@icws/protocol';
import { encodeCbor } from './cbor';
import type { QueryResponseBody } from './query-response';

const ARRAY_OF_ONE = 0x81;
const utf8 = new TextEncoder();

/** Map keys and text values, encoded once. */
const TEXT = {
  tree: textItem('tree'),
  signature: textItem('signature'),
  delegation: textItem('delegation'),
  subnetId: textItem('subnet_id'),
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
 * The parts of a certificate `{tree, signature, delegation?}`; `delegation` is the CBOR of the
 * `delegation` map, from {@link encodeDelegation}.
 */
export interface CertificateParts {
  readonly tree: HashTree;
  readonly signature: Uint8Array;
  readonly delegation?: Uint8Array;
}

/**
 * @returns the CBOR of the certificate `{tree, signature, delegation?}` (self-describe tag first),
 *   as cbor-x encodes it but written directly into one buffer: a certificate is made for every
 *   update call and every data certificate, and a general-purpose encoder spends most of its time
 *   on the tree's nested arrays. A plain Uint8Array of its own, since it is handed to canisters and
 *   callers.
 * @param delegation - the CBOR of the `delegation` map, from {@link encodeDelegation}
 */
export function encodeCertificate(tree: HashTree, signature: Uint8Array, delegation?: Uint8Array): Uint8Array {
  const parts = { tree, signature, delegation };
  const treeSize = hashTreeCborSize(tree);
  const out = new Uint8Array(certificateSize(parts, treeSize));
  writeCertificate(parts, out, 0);
  return out;
}

/** @returns the size of the certificate's CBOR, tag included, its tree being `treeSize` bytes. */
function certificateSize({ signature, delegation }: CertificateParts, treeSize: number): number {
  const delegationSize = delegation === undefined ? 0 : TEXT.delegation.length + delegation.length;
  return SELF_DESCRIBE_TAG.length + 1 + TEXT.tree.length + treeSize + TEXT.signature.length + cborHeadSize(signature.length) + signature.length + delegationSize;
}

/** Writes the certificate's CBOR at `at`, into room sized by {@link certificateSize}. @returns the offset after it */
function writeCertificate({ tree, signature, delegation }: CertificateParts, out: Uint8Array, at: number): number {
  out.set(SELF_DESCRIBE_TAG, at);
  at = writeCborHead(MAJOR_MAP, delegation === undefined ? 2 : 3, out, at + SELF_DESCRIBE_TAG.length);
  out.set(TEXT.tree, at);
  at = writeHashTreeCbor(tree, out, at + TEXT.tree.length);
  out.set(TEXT.signature, at);
  at = writeCborHead(MAJOR_BYTES, signature.length, out, at + TEXT.signature.length);
  out.set(signature, at);
  at += signature.length;
  if (delegation !== undefined) {
    out.set(TEXT.delegation, at);
    out.set(delegation, at + TEXT.delegation.length);
    at += TEXT.delegation.length + delegation.length;
  }
  return at;
}

/** @returns the CBOR of a certificate's `delegation` map `{subnet_id, certificate}` (no tag). */
export function encodeDelegation(subnetId: Uint8Array, certificate: Uint8Array): Uint8Array {
  return concat([cborHead(MAJOR_MAP, 2), TEXT.subnetId, cborHead(MAJOR_BYTES, subnetId.length), subnetId, TEXT.certificate, cborHead(MAJOR_BYTES, certificate.length), certificate]);
}

const CALL_REPLY_HEAD = concat([SELF_DESCRIBE_TAG, cborHead(MAJOR_MAP, 2), TEXT.status, TEXT.replied, TEXT.certificate]);

/**
 * @returns the CBOR body answering a v3 call that was executed: `{status: "replied", certificate}`,
 *   the certificate (a CBOR byte string) written in place rather than encoded apart and copied; a
 *   slice of Node's buffer pool, to be written to the socket and dropped
 */
export function encodeCallReply(certificate: CertificateParts): Uint8Array {
  const treeSize = hashTreeCborSize(certificate.tree);
  const size = certificateSize(certificate, treeSize);
  const out = Buffer.allocUnsafe(CALL_REPLY_HEAD.length + cborHeadSize(size) + size);
  out.set(CALL_REPLY_HEAD);
  const at = writeCborHead(MAJOR_BYTES, size, out, CALL_REPLY_HEAD.length);
  writeCertificate(certificate, out, at);
  return out;
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
  return pooledConcat([
    SELF_DESCRIBE_TAG,
    cborHead(MAJOR_MAP, 3),
    TEXT.status,
    TEXT.replied,
    TEXT.reply,
    cborHead(MAJOR_MAP, 1),
    TEXT.arg,
    cborHead(MAJOR_BYTES, arg.length),
    arg,
    TEXT.signatures,
    Uint8Array.of(ARRAY_OF_ONE),
    cborHead(MAJOR_MAP, 3),
    TEXT.timestamp,
    unsigned(timestamp),
    TEXT.signature,
    cborHead(MAJOR_BYTES, signature.length),
    signature,
    TEXT.identity,
    cborHead(MAJOR_BYTES, identity.length),
    identity,
  ]);
}

/** @returns a natural number (below 2^64) as the shortest CBOR unsigned integer. */
function unsigned(n: bigint): Uint8Array {
  if (n < 0x1_0000_0000n) return cborHead(MAJOR_UNSIGNED, Number(n));
  const out = new Uint8Array(9);
  out[0] = (MAJOR_UNSIGNED << 5) | 27;
  new DataView(out.buffer).setBigUint64(1, n);
  return out;
}

function textItem(text: string): Uint8Array {
  const bytes = utf8.encode(text);
  const out = new Uint8Array(cborHeadSize(bytes.length) + bytes.length);
  out.set(bytes, writeCborHead(MAJOR_TEXT, bytes.length, out, 0));
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Joins `parts` into a slice of Node's buffer pool: a Uint8Array above 64 bytes gets a backing
 * store of its own, which costs more than the copying when it happens for every request. Only for
 * bytes that go to a socket: a slice shares its ArrayBuffer, which decoders that ignore byteOffset
 * (the agent's, for one) misread.
 */
function pooledConcat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
