/**
 * The gateway cuts a large batch's witness down to each message's own path: the root hash the
 * certificate covers stays the same, and the message's key is found in it as before.
 */
import { Cbor, lookup_path, LookupPathStatus, reconstruct, type HashTree } from '@icp-sdk/core/agent';
import { CertifiedMap, encodeHashTreeCbor, labeled, leaf, sha256 } from '@icws/backend-cdk';
import { BatchWitness, PRUNE_ABOVE_BYTES } from '../../packages/gateway/src/batch-witness';

const utf8 = new TextEncoder();
const key = (n: number) => `sqdfl-mr4km-2hfjy-gajqo-xqvh7-hf4mf-nra4i-3it6l-neaw4-soolw-tae_${String(n).padStart(20, '0')}`;

/** The witness a canister sends for keys [from, to] of a queue of `count` messages. */
function batchTree(count: number, from: number, to: number): Uint8Array {
  const map = new CertifiedMap();
  for (let n = 0; n < count; n++) map.set(utf8.encode(key(n)), leaf(sha256(utf8.encode(`message ${n}`))));
  return encodeHashTreeCbor(labeled('websocket', map.witnessRange(utf8.encode(key(from)), utf8.encode(key(to)))));
}

describe('BatchWitness', () => {
  it('gives each message a tree with the root hash of the batch and its own key in it, far smaller', async () => {
    const bytes = batchTree(5_000, 1_000, 1_499);
    expect(bytes.length).toBeGreaterThan(PRUNE_ABOVE_BYTES);
    const root = await reconstruct(Cbor.decode<HashTree>(bytes));
    const witness = BatchWitness.of(bytes)!;
    for (const n of [1_000, 1_001, 1_250, 1_499]) {
      const cut = witness.forKey(key(n))!;
      expect(cut.length).toBeLessThan(bytes.length / 20);
      const tree = Cbor.decode<HashTree>(cut);
      expect(await reconstruct(tree)).toEqual(root);
      expect(lookup_path(['websocket', key(n)], tree)).toEqual({ status: LookupPathStatus.Found, value: sha256(utf8.encode(`message ${n}`)) });
    }
  });

  it('leaves a small tree as it is, for clients that share a process to check once', () => {
    expect(BatchWitness.of(batchTree(100, 10, 20))).toBeUndefined();
  });

  it('has no tree for a key the batch does not hold, nor for bytes that are not a hash tree', () => {
    expect(BatchWitness.of(batchTree(5_000, 0, 499))!.forKey(key(600))).toBeUndefined();
    expect(BatchWitness.of(new Uint8Array(PRUNE_ABOVE_BYTES + 1).fill(0xff))).toBeUndefined();
    expect(BatchWitness.of(Cbor.encode([9, new Uint8Array(PRUNE_ABOVE_BYTES)]))).toBeUndefined();
  });
});
