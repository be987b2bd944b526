/**
 * A canister that certifies whatever messages it is given, the way an IC WebSocket canister does
 * (certified data = root hash of `websocket/<key> → sha256(content)`), and returns the certificate
 * and tree with a query: real replica certificates for client-side verification tests, without
 * the WebSocket CDK.
 */
import { Cbor } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { defineCanister, query, update } from '@icws/backend-cdk';
import { type Replica } from '@icws/replica';
import { CERTIFICATION_LABEL } from '@icws/protocol';
import { fork, labeled, leaf, reconstruct, sha256, type HashTree } from '../../packages/backend-cdk/src/certification';

const Entry = IDL.Record({ key: IDL.Text, content: IDL.Vec(IDL.Nat8) });
const Certified = IDL.Record({ cert: IDL.Vec(IDL.Nat8), tree: IDL.Vec(IDL.Nat8) });

/** @returns the tree `websocket/<key> → sha256(content)` over `entries` (keys sorted, as lookups require). */
export function messagesTree(entries: Array<{ key: string; content: Uint8Array }>): HashTree {
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const leaves = sorted.map((e) => labeled(e.key, leaf(sha256(e.content))));
  const inner = leaves.reduceRight<HashTree | undefined>((right, node) => (right === undefined ? node : fork(node, right)), undefined);
  return labeled(CERTIFICATION_LABEL, inner ?? [0]);
}

export default defineCanister((ic) => {
  let tree: HashTree = messagesTree([]);
  return {
    put: update([IDL.Vec(Entry)], [], (entries) => {
      tree = messagesTree(entries as Array<{ key: string; content: Uint8Array }>);
      ic.setCertifiedData(reconstruct(tree));
    }),
    get: query([], [Certified], () => ({ cert: ic.dataCertificate() ?? new Uint8Array(), tree: Cbor.encode(tree) })),
  };
});

/** Has the canister `id` in `replica` certify `entries`; @returns the certificate and CBOR tree that prove them. */
export async function certify(
  replica: Replica,
  id: Principal,
  caller: Principal,
  entries: Array<{ key: string; content: Uint8Array }>,
): Promise<{ cert: Uint8Array; tree: Uint8Array }> {
  const put = await replica.update(id, 'put', IDL.encode([IDL.Vec(Entry)], [entries]), caller);
  if (put.status !== 'replied') throw new Error(`put: ${put.rejectMessage}`);
  const got = await replica.query(id, 'get', IDL.encode([], []), caller);
  if (got.status !== 'replied') throw new Error(`get: ${got.rejectMessage}`);
  const [value] = IDL.decode([Certified], got.reply) as unknown as [{ cert: Uint8Array; tree: Uint8Array }];
  return { cert: new Uint8Array(value.cert), tree: new Uint8Array(value.tree) };
}
