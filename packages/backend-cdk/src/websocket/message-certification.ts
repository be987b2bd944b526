import { CERTIFICATION_LABEL } from '@icws/protocol';
import type { CanisterContext } from '../canister/define';
import { CertifiedMap, encodeHashTreeCbor, labeled, leaf, pruned, reconstruct, sha256, type CertifiedMapSnapshot, type HashTree } from '../certification';

/** The part of the canister context certification needs. @internal */
export type CertificationContext = Pick<CanisterContext, 'onCommit' | 'onRollback' | 'setCertifiedData' | 'setCertifiedDataSource'>;

/**
 * The certification of queued messages: a map from message key to `sha256(content)` under the
 * label `websocket`, whose root hash is the canister's certified data.
 *
 * ```
 * labeled("websocket", ─┬─ "<gw>_00000000000000000000" → leaf(sha256(content₀))
 *                       ├─ "<gw>_00000000000000000001" → leaf(sha256(content₁))
 *                       └─ …                                                    )
 * ```
 * A client looks its message up at `["websocket", key]` in the witness that comes with it.
 *
 * Changes are staged during a message and applied when it commits (`ic.onCommit`), and the root
 * hash is certified once per round where the host reads a certified data source
 * (`ic.setCertifiedDataSource`), else once per message: the tree's upper levels are hashed once for
 * all the messages a round queues, and a message that traps leaves the tree untouched. (Undoing changes one by one would
 * not do: the tree's shape, and so its root hash, depends on the order of its rebalancings.)
 * Insert and delete are O(log n); the witness of k consecutive keys is O(log n + k).
 * @internal
 */
export class MessageCertification {
  readonly #map = new CertifiedMap();
  /** Changes of the message executing now: content to certify, or `undefined` to remove. */
  #pending: Array<readonly [key: Uint8Array, content: Uint8Array | undefined]> = [];

  constructor(private readonly ic: CertificationContext) {}

  /** How many messages are certified (committed changes only). */
  get size(): number {
    return this.#map.size;
  }

  /** Certifies `content` under `keyBytes` when the current message commits. */
  add(keyBytes: Uint8Array, content: Uint8Array): void {
    this.#stage(keyBytes, content);
  }

  /** Drops the certification of `keyBytes` when the current message commits. */
  remove(keyBytes: Uint8Array): void {
    this.#stage(keyBytes, undefined);
  }

  /** @returns the leaf stored under `keyBytes`, if any (for tests and diagnostics). */
  get(keyBytes: Uint8Array): HashTree | undefined {
    return this.#map.get(keyBytes);
  }

  /** @returns the 32 bytes to certify: the root hash of `labeled("websocket", map)`. */
  certifiedData(): Uint8Array {
    return reconstruct(labeled(CERTIFICATION_LABEL, pruned(this.#map.rootHash())));
  }

  /**
   * @returns the CBOR witness (self-describe tag, agent array form) of the keys from `firstKey` to
   *   `lastKey`, both certified: their labels and leaves are revealed, everything else pruned, so
   *   its root hash is {@link certifiedData}.
   */
  witness(firstKey: Uint8Array, lastKey: Uint8Array): Uint8Array {
    return witnessOf(this.#map, firstKey, lastKey);
  }

  /**
   * @returns the committed certification as it is now, frozen: its witnesses stay those of now
   *   while later messages change the tree. O(1).
   */
  snapshot(): { witness(firstKey: Uint8Array, lastKey: Uint8Array): Uint8Array } {
    const frozen = this.#map.snapshot();
    return { witness: (firstKey, lastKey) => witnessOf(frozen, firstKey, lastKey) };
  }

  #stage(keyBytes: Uint8Array, content: Uint8Array | undefined): void {
    if (this.#pending.length === 0) {
      this.ic.onCommit(() => this.#commit());
      this.ic.onRollback(() => (this.#pending = []));
    }
    this.#pending.push([keyBytes, content]);
  }

  #commit(): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const [key, content] of pending) {
      if (content === undefined) this.#map.delete(key);
      else this.#map.set(key, leaf(sha256(content)));
    }
    if (this.ic.setCertifiedDataSource !== undefined) this.ic.setCertifiedDataSource(this.#certifiedDataSource);
    else this.ic.setCertifiedData(this.certifiedData());
  }

  readonly #certifiedDataSource = (): Uint8Array => this.certifiedData();
}

function witnessOf(map: CertifiedMap | CertifiedMapSnapshot, firstKey: Uint8Array, lastKey: Uint8Array): Uint8Array {
  return encodeHashTreeCbor(labeled(CERTIFICATION_LABEL, map.witnessRange(firstKey, lastKey)));
}
