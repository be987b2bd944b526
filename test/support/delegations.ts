/**
 * Certificates with a delegation made by hand: the subnet's own signature and tree, under a
 * delegation the root key signs again for other canister ranges. A subnet that holds a genuine
 * delegation for its own canisters could present such a certificate for a canister it does not
 * host; clients must refuse it.
 */
import { Cbor, lookup_path, LookupPathStatus, type HashTree } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { encodeUleb128, fork, labeled, leaf, reconstruct } from '@icws/backend-cdk';
import { IC_STATE_ROOT_DOMAIN_SEPARATOR, withDomainSeparator } from '@icws/protocol';
import { encodeCanisterRanges } from '../../packages/replica/src/canister-ranges';
import { encodeCertificate, encodeDelegation } from '../../packages/replica/src/response-cbor';
import { signWithBlsKey, type BlsKeyPair } from '../../packages/replica/src/root-key';

/** Which layouts of the canister ranges the delegation holds. */
export type RangesLayout = 'both' | 'older' | 'newer';

interface Cert {
  tree: HashTree;
  signature: Uint8Array;
  delegation?: { subnet_id: Uint8Array; certificate: Uint8Array };
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * @returns `certificate` (which must carry a delegation) with its delegation replaced by one that
 *   `rootKey` signs for `ranges`, in `layout`, with the same subnet id and subnet key
 */
export function redelegate(
  certificate: Uint8Array,
  rootKey: BlsKeyPair,
  ranges: ReadonlyArray<readonly [Principal, Principal]>,
  layout: RangesLayout = 'both',
): Uint8Array {
  const cert = Cbor.decode<Cert>(new Uint8Array(certificate));
  if (cert.delegation === undefined) throw new Error('the certificate has no delegation to replace');
  const subnetId = new Uint8Array(cert.delegation.subnet_id);
  const inner = Cbor.decode<Cert>(new Uint8Array(cert.delegation.certificate));
  const key = lookup_path(['subnet', subnetId, 'public_key'], inner.tree);
  if (key.status !== LookupPathStatus.Found) throw new Error('the delegation holds no subnet key');
  const encoded = encodeCanisterRanges(ranges);
  const subnetEntry = layout === 'newer'
    ? labeled(utf8('public_key'), leaf(key.value as Uint8Array))
    : fork(labeled(utf8('canister_ranges'), leaf(encoded)), labeled(utf8('public_key'), leaf(key.value as Uint8Array)));
  const subnet = labeled(utf8('subnet'), labeled(subnetId, subnetEntry));
  const time = labeled(utf8('time'), leaf(encodeUleb128(BigInt(Date.now()) * 1_000_000n)));
  const tree = layout === 'older'
    ? fork(subnet, time)
    : fork(fork(labeled(utf8('canister_ranges'), labeled(subnetId, labeled(ranges[0]![0].toUint8Array(), leaf(encoded)))), subnet), time);
  const signature = signWithBlsKey(rootKey, withDomainSeparator(IC_STATE_ROOT_DOMAIN_SEPARATOR, reconstruct(tree)));
  return encodeCertificate(cert.tree, cert.signature, encodeDelegation(subnetId, encodeCertificate(tree, signature)));
}

/** @returns the id `offset` places after `id` (offset may be negative), in the same 10-byte form. */
export function canisterIdNear(id: Principal, offset: number): Principal {
  const bytes = new Uint8Array(id.toUint8Array());
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(offset));
  return Principal.fromUint8Array(bytes);
}
