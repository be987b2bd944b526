import type { Principal } from '@icp-sdk/core/principal';
import { LOCAL_CANISTER_RANGE } from './canister-ids';
import { encodeCbor } from './cbor';

/** An inclusive range of canister ids, `[first, last]`. */
export type CanisterRange = readonly [first: Principal, last: Principal];

/**
 * The canister ranges of the replica's subnet, as its delegation certifies them: the local range
 * that ids are allocated from, plus a range of one id for each canister installed with an id of its
 * own outside it. Sorted and disjoint, as the IC's routing table is.
 */
export class CanisterRanges {
  #ranges: CanisterRange[] = [LOCAL_CANISTER_RANGE];

  /** The ranges, sorted by their first id. */
  get ranges(): readonly CanisterRange[] {
    return this.#ranges;
  }

  /** @returns whether `id` lies in one of the ranges. */
  covers(id: Principal): boolean {
    return this.#ranges.some(([first, last]) => first.compareTo(id) !== 'gt' && last.compareTo(id) !== 'lt');
  }

  /** Adds a range of one id when `id` is not covered yet. @returns whether the ranges changed */
  include(id: Principal): boolean {
    if (this.covers(id)) return false;
    this.#ranges = [...this.#ranges, [id, id] as const].sort(([a], [b]) => (a.compareTo(b) === 'lt' ? -1 : 1));
    return true;
  }
}

/** @returns the ranges as the state tree holds them: CBOR (self-described) list of `[first, last]` id bytes. */
export function encodeCanisterRanges(ranges: readonly CanisterRange[]): Uint8Array {
  return encodeCbor(ranges.map(([first, last]) => [first.toUint8Array(), last.toUint8Array()]));
}
