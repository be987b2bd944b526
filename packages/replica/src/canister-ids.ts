import { Principal } from '@icp-sdk/core/principal';

// The range the IC SDK's local replica allocates from, so the first canister gets the id developers
// know from `dfx deploy` (bkyz2-fmaaa-aaaaa-qaaaq-cai).
const FIRST_CANISTER_INDEX = 0x80000000_00100001n;
const OPAQUE_ID_SUFFIX = [0x01, 0x01];

/** @returns the canister id the replica assigns to the `ordinal`-th canister it installs (0-based). */
export function canisterIdAt(ordinal: number): Principal {
  const bytes = new Uint8Array(10);
  new DataView(bytes.buffer).setBigUint64(0, FIRST_CANISTER_INDEX + BigInt(ordinal));
  bytes.set(OPAQUE_ID_SUFFIX, 8);
  return Principal.fromUint8Array(bytes);
}

/** @returns whether `id` has the IC's canister-id form (opaque id: 8 bytes + 0x01 0x01). */
export function isCanisterIdFormat(id: Principal): boolean {
  const bytes = id.toUint8Array();
  return bytes.length === 10 && bytes[8] === 0x01 && bytes[9] === 0x01;
}

/**
 * The canister range of the replica's subnet: the 2^20 ids of the IC SDK's local range, from
 * `canisterIdAt(-1)` (index 0x8000000000100000) to index 0x80000000001FFFFF.
 */
export const LOCAL_CANISTER_RANGE: readonly [Principal, Principal] = [canisterIdAt(-1), canisterIdAt(0xffffe)];
