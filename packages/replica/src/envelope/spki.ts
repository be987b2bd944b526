import { EnvelopeError } from './envelope-error';

/** Key types whose signatures the replica verifies (IC interface spec, "Signatures"). */
export type KeyType = 'ed25519' | 'ecdsa-p256' | 'ecdsa-secp256k1';

const ED25519 = '1.3.101.112';
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const CURVES: Record<string, KeyType> = { '1.2.840.10045.3.1.7': 'ecdsa-p256', '1.3.132.0.10': 'ecdsa-secp256k1' };

// Key types agents may send that we do not verify, so the error can name them.
const UNSUPPORTED: Record<string, string> = {
  '1.3.6.1.4.1.56387.1.1': 'WebAuthn (DER-wrapped COSE)',
  '1.3.6.1.4.1.56387.1.2': 'canister signature',
  '1.3.6.1.4.1.44668.5.3.1.2.1': 'BLS12-381',
  '1.3.101.113': 'Ed448',
  '1.2.840.113549.1.1.1': 'RSA',
};
const OTHER_CURVES: Record<string, string> = { '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521', '1.2.840.10045.3.1.1': 'P-192' };
const SUPPORTED_NAMES = 'Ed25519, ECDSA P-256 or ECDSA secp256k1';

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/**
 * Reads just enough of a DER SubjectPublicKeyInfo to tell which verifier applies, before any key
 * is handed to OpenSSL, so that only the three supported key types ever reach it and a refusal can
 * name the key type the caller used.
 *
 * @param field - where the key came from, for messages (e.g. `sender_pubkey`)
 * @throws EnvelopeError 400 `ICWS_ERR_UNSUPPORTED_KEY` naming the key type, or 400
 *   `ICWS_ERR_BAD_PUBLIC_KEY` when the bytes are not a well-formed key
 */
export function keyTypeOf(der: Uint8Array, field = 'public key'): KeyType {
  const parsed = parseSpki(der);
  if (parsed === null) throw badKey(`${field} is not a DER-encoded SubjectPublicKeyInfo`);
  const { algorithm, parameter, key } = parsed;
  if (algorithm === ED25519) {
    if (key.length !== 32) throw badKey(`${field} is an Ed25519 key of ${key.length} bytes; Ed25519 keys have 32`);
    return 'ed25519';
  }
  if (algorithm === EC_PUBLIC_KEY) {
    const type = parameter === undefined ? undefined : CURVES[parameter];
    if (type === undefined) {
      const curve = parameter === undefined ? 'an unnamed curve' : `curve ${OTHER_CURVES[parameter] ?? parameter}`;
      throw unsupported(`${field} has key type ECDSA on ${curve}`);
    }
    const uncompressed = key.length === 65 && key[0] === 0x04;
    const compressed = key.length === 33 && (key[0] === 0x02 || key[0] === 0x03);
    if (!uncompressed && !compressed) throw badKey(`${field} is not a valid elliptic curve point (${key.length} bytes)`);
    return type;
  }
  const name = UNSUPPORTED[algorithm];
  throw unsupported(name === undefined ? `${field} has an unknown key type (algorithm OID ${algorithm})` : `${field} has key type ${name}`);
}

/** @returns the algorithm OID, its OID parameter if any, and the key bits; null when not SPKI. */
function parseSpki(der: Uint8Array): { algorithm: string; parameter?: string; key: Uint8Array } | null {
  const outer = readTlv(der, 0);
  if (outer === null || outer.tag !== 0x30 || outer.end !== der.length) return null;
  const algorithmSeq = readTlv(der, outer.start);
  if (algorithmSeq === null || algorithmSeq.tag !== 0x30) return null;
  const bits = readTlv(der, algorithmSeq.end);
  if (bits === null || bits.tag !== 0x03 || bits.end !== outer.end || bits.end - bits.start < 1 || der[bits.start] !== 0) return null;
  const oid = readTlv(der, algorithmSeq.start);
  if (oid === null || oid.tag !== 0x06 || oid.end > algorithmSeq.end) return null;
  const algorithm = oidText(der.subarray(oid.start, oid.end));
  if (algorithm === null) return null;
  let parameter: string | undefined;
  if (oid.end < algorithmSeq.end) {
    const param = readTlv(der, oid.end);
    if (param === null || param.end !== algorithmSeq.end) return null;
    if (param.tag === 0x06) parameter = oidText(der.subarray(param.start, param.end)) ?? undefined;
  }
  return { algorithm, parameter, key: der.subarray(bits.start + 1, bits.end) };
}

function readTlv(der: Uint8Array, at: number): Tlv | null {
  if (at + 2 > der.length) return null;
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3 || start + count > der.length) return null;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i];
    start += count;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : null;
}

function oidText(bytes: Uint8Array): string | null {
  if (bytes.length === 0 || bytes[bytes.length - 1] & 0x80) return null;
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) return null;
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs[0];
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

function unsupported(what: string): EnvelopeError {
  return new EnvelopeError(400, 'ICWS_ERR_UNSUPPORTED_KEY', `${what}, which this replica does not support; sign with an ${SUPPORTED_NAMES} key`);
}

function badKey(message: string): EnvelopeError {
  return new EnvelopeError(400, 'ICWS_ERR_BAD_PUBLIC_KEY', `${message}; send the key as @dfinity/identity's toDer() produces it`);
}
