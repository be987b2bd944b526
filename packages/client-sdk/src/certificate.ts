/**
 * Verification of an IC certificate for one canister, delegation included:
 *
 * ```
 *  root key ──verifies──▶ delegation certificate (subnet id S; at most 30 days old)
 *                           ├─ canister ranges of S ∋ canister id   (either layout)
 *                           └─ /subnet/S/public_key ──verifies──▶ certificate (its tree, its time)
 * ```
 *
 * A certificate without a delegation must be signed by the root key itself (a local replica).
 * The canister ranges are read from `/canister_ranges/S/<shard>` (the newer layout) and
 * `/subnet/S/canister_ranges` (the older one); the canister must lie in a range the root key
 * certified, otherwise a subnet could vouch for another subnet's canister.
 */
import { Cbor, flatten_forks, lookup_path, lookup_subtree, LookupPathStatus, LookupSubtreeStatus, NodeType, reconstruct, type HashTree } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { decodeUleb128, equalBytes, IC_STATE_ROOT_DOMAIN_SEPARATOR, withDomainSeparator } from '@icws/protocol';
import { sharedBlsVerifier, type BlsVerifier } from './bls-verifier';
import { describeError, IcWebSocketError, IcWebSocketErrorCode as Code } from './errors';

/** DER prefix of a BLS12-381 public key on G2, as root and subnet keys are encoded. */
const BLS_DER_PREFIX = Uint8Array.from(
  '308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100'.match(/../g)!.map((b) => parseInt(b, 16)),
);
const BLS_KEY_LENGTH = 96;
/** Agents accept a delegation this old (mainnet renews them long before). */
export const MAX_DELEGATION_AGE_MS = 30 * 24 * 60 * 60_000;
/** A certificate may be this far ahead of the local clock (clock skew). */
export const MAX_CERTIFICATE_SKEW_MS = 5 * 60_000;

/** Options of {@link verifyCertificate}. */
export interface VerifyCertificateOptions {
  /** DER root key (the NNS key on mainnet). */
  rootKey: Uint8Array;
  /** The canister the certificate must be entitled to speak for. */
  canisterId: Principal;
  /** Current time, ms since the epoch. */
  nowMs: number;
  /** Oldest certificate accepted, in minutes. */
  maxAgeInMinutes: number;
  /** Checks the BLS signatures. @default sharedBlsVerifier() (mcl-wasm on a worker, see ./bls-verifier.ts) */
  blsVerifier?: BlsVerifier;
}

/** What a verified certificate tells. */
export interface VerifiedCertificate {
  tree: HashTree;
  /** When it was signed, ms since the epoch. */
  timeMs: number;
  /** The subnet that signed it; undefined when the root key signed it directly. */
  subnetId: Principal | undefined;
}

interface Cert {
  tree: HashTree;
  signature: Uint8Array;
  delegation?: { subnet_id: Uint8Array; certificate: Uint8Array };
}

/**
 * Verifies `bytes` as a certificate for `canisterId` under `rootKey`.
 * @throws {IcWebSocketError} `ICWS_ERR_CERTIFICATE_TOO_OLD` when it is older than allowed (or too far
 *   in the future), `ICWS_ERR_INVALID_CERTIFICATE` for everything else: malformed, a signature that
 *   does not verify, a delegation that does not cover the canister, nested delegations
 */
export async function verifyCertificate(bytes: Uint8Array, options: VerifyCertificateOptions): Promise<VerifiedCertificate> {
  const cert = decodeCertificate(bytes, 'certificate');
  const timeMs = certificateTimeMs(cert, 'certificate');
  const ageMs = options.nowMs - timeMs;
  const maxAgeMs = options.maxAgeInMinutes * 60_000;
  if (ageMs > maxAgeMs || -ageMs > MAX_CERTIFICATE_SKEW_MS) {
    const when = ageMs > 0 ? `more than ${options.maxAgeInMinutes} minutes in the past` : `more than ${MAX_CERTIFICATE_SKEW_MS / 60_000} minutes in the future`;
    throw new IcWebSocketError(Code.CERTIFICATE_TOO_OLD, `the certificate is out of date: it was signed at ${new Date(timeMs).toISOString()}, ${when} (local time ${new Date(options.nowMs).toISOString()})`);
  }
  let signingKey = options.rootKey;
  let subnetId: Principal | undefined;
  if (cert.delegation !== undefined) {
    ({ subnetId, subnetKey: signingKey } = await checkDelegation(cert.delegation, options));
  }
  await checkSignature(cert, signingKey, subnetId === undefined ? 'the root key' : `the key of subnet ${subnetId.toText()}`, 'the certificate', options);
  return { tree: cert.tree, timeMs, subnetId };
}

/**
 * @returns the canister ranges `[first, last]` of `subnetId` that `tree` reveals, in both layouts
 * @throws {IcWebSocketError} `ICWS_ERR_INVALID_CERTIFICATE` when a revealed range is malformed
 */
export function canisterRangesOf(tree: HashTree, subnetId: Principal): Array<[Principal, Principal]> {
  const leaves: Uint8Array[] = [];
  const shards = lookup_subtree(['canister_ranges', subnetId.toUint8Array()], tree);
  if (shards.status === LookupSubtreeStatus.Found) {
    for (const node of flatten_forks(shards.value)) {
      const shard = node[0] === NodeType.Labeled ? lookup_path([], node[2]) : undefined;
      if (shard?.status === LookupPathStatus.Found && shard.value instanceof Uint8Array) leaves.push(shard.value);
    }
  }
  const older = lookup_path(['subnet', subnetId.toUint8Array(), 'canister_ranges'], tree);
  if (older.status === LookupPathStatus.Found && older.value instanceof Uint8Array) leaves.push(older.value);
  return leaves.flatMap((leaf) => decodeRanges(leaf, subnetId));
}

async function checkDelegation(
  delegation: NonNullable<Cert['delegation']>,
  options: VerifyCertificateOptions,
): Promise<{ subnetId: Principal; subnetKey: Uint8Array }> {
  let subnetId: Principal;
  try {
    subnetId = Principal.fromUint8Array(new Uint8Array(delegation.subnet_id));
  } catch (cause) {
    throw invalid(`its delegation names no subnet id: ${describeError(cause)}`, cause);
  }
  const subnet = `subnet ${subnetId.toText()}`;
  const inner = decodeCertificate(delegation.certificate, `delegation certificate of ${subnet}`);
  if (inner.delegation !== undefined) throw invalid(`the delegation certificate of ${subnet} has a delegation of its own; only one level is allowed`);
  const innerTimeMs = certificateTimeMs(inner, `delegation certificate of ${subnet}`);
  if (options.nowMs - innerTimeMs > MAX_DELEGATION_AGE_MS || innerTimeMs - options.nowMs > MAX_CERTIFICATE_SKEW_MS) {
    throw invalid(`the delegation to ${subnet} was signed at ${new Date(innerTimeMs).toISOString()}, out of the 30 days a delegation is accepted`);
  }
  await checkSignature(inner, options.rootKey, 'the root key', `the delegation certificate of ${subnet}`, options);
  const ranges = canisterRangesOf(inner.tree, subnetId);
  const canister = options.canisterId;
  if (ranges.length === 0) throw invalid(`the delegation to ${subnet} holds no canister ranges, so it does not cover canister ${canister.toText()}`);
  if (!ranges.some(([first, last]) => first.compareTo(canister) !== 'gt' && last.compareTo(canister) !== 'lt')) {
    const shown = [...new Set(ranges.map(([first, last]) => `${first.toText()}–${last.toText()}`))].join(', ');
    throw invalid(`the delegation to ${subnet} does not cover canister ${canister.toText()} (its canister ranges: ${shown}); the certificate is not from the canister's subnet`);
  }
  const key = lookup_path(['subnet', subnetId.toUint8Array(), 'public_key'], inner.tree);
  if (key.status !== LookupPathStatus.Found || !(key.value instanceof Uint8Array)) throw invalid(`the delegation to ${subnet} holds no public key of the subnet`);
  return { subnetId, subnetKey: key.value };
}

async function checkSignature(cert: Cert, derKey: Uint8Array, signer: string, what: string, options: VerifyCertificateOptions): Promise<void> {
  if (derKey.length !== BLS_DER_PREFIX.length + BLS_KEY_LENGTH || !equalBytes(derKey.subarray(0, BLS_DER_PREFIX.length), BLS_DER_PREFIX)) {
    throw invalid(`${what} does not verify against ${signer}: it is not a DER BLS12-381 public key of ${BLS_DER_PREFIX.length + BLS_KEY_LENGTH} bytes`);
  }
  let valid: boolean;
  try {
    const message = withDomainSeparator(IC_STATE_ROOT_DOMAIN_SEPARATOR, await reconstruct(cert.tree));
    valid = await (options.blsVerifier ?? sharedBlsVerifier()).verify(derKey.subarray(BLS_DER_PREFIX.length), cert.signature, message);
  } catch (cause) {
    throw invalid(`${what} does not verify against ${signer}: ${describeError(cause)}`, cause);
  }
  if (!valid) throw invalid(`${what} does not verify against ${signer}: its signature is not the one over its tree`);
}

function decodeCertificate(bytes: Uint8Array, what: string): Cert {
  let cert: Cert;
  try {
    // A copy at offset 0: the agent's lookups misread values of buffers that start at an offset.
    cert = Cbor.decode<Cert>(new Uint8Array(bytes));
  } catch (cause) {
    throw invalid(`the ${what} is not CBOR: ${describeError(cause)}`, cause);
  }
  if (!Array.isArray(cert?.tree) || !(cert.signature instanceof Uint8Array)) throw invalid(`the ${what} is not a map of tree and signature`);
  const { delegation } = cert;
  if (delegation !== undefined && (!(delegation?.subnet_id instanceof Uint8Array) || !(delegation.certificate instanceof Uint8Array))) {
    throw invalid(`the ${what} has a delegation without subnet_id and certificate bytes`);
  }
  return cert;
}

function certificateTimeMs(cert: Cert, what: string): number {
  const time = lookup_path(['time'], cert.tree);
  if (time.status !== LookupPathStatus.Found || !(time.value instanceof Uint8Array)) throw invalid(`the ${what} holds no time`);
  return Number(decodeUleb128(time.value) / 1_000_000n);
}

function decodeRanges(leaf: Uint8Array, subnetId: Principal): Array<[Principal, Principal]> {
  try {
    const ranges = Cbor.decode<Array<[Uint8Array, Uint8Array]>>(new Uint8Array(leaf));
    return ranges.map(([first, last]) => [Principal.fromUint8Array(new Uint8Array(first)), Principal.fromUint8Array(new Uint8Array(last))]);
  } catch (cause) {
    throw invalid(`the canister ranges of subnet ${subnetId.toText()} are not a CBOR list of [first, last] ids: ${describeError(cause)}`, cause);
  }
}


function invalid(message: string, cause?: unknown): IcWebSocketError {
  return new IcWebSocketError(Code.INVALID_CERTIFICATE, message, { cause });
}
