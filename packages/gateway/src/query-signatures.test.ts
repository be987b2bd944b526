/**
 * QuerySignatureVerifier against the embedded replica's real certificates and node key: replies
 * signed by the node are taken, and the subnet's node keys are read once per subnet (every five
 * minutes), not once per canister, while a canister outside the ranges read gets its own read.
 */
import { randomBytes } from 'node:crypto';
import type { ApiQueryResponse } from '@icp-sdk/core/agent';
import type { Principal } from '@icp-sdk/core/principal';
import { nodeSignatureMessage } from '@icws/protocol';
import { Replica } from '@icws/replica';
import { canisterIdNear, redelegate } from '../../../test/support/delegations';
import { requestIdOf } from './native-hash';
import { QuerySignatureVerifier } from './query-signatures';
import { FakeClock } from './testing/fake-clock';

let replica: Replica;
let canisterA: Principal;
beforeAll(async () => {
  replica = await Replica.create({ signer: 'inline', verifier: 'inline', log: () => undefined });
  canisterA = replica.install('counter', (await import('../../../examples/counter/canister')).default);
});
afterAll(() => replica.close());

/** A reply to a query, signed by the replica's node as the replica signs its replies. */
function signedReply(arg = Uint8Array.of(1, 2, 3)): ApiQueryResponse {
  const requestId = new Uint8Array(randomBytes(32));
  const timestamp = BigInt(Date.now()) * 1_000_000n;
  const signature = replica.nodeKey.sign(nodeSignatureMessage({ status: 'replied', reply: { arg } }, timestamp, requestId, requestIdOf));
  return {
    status: 'replied',
    reply: { arg },
    signatures: [{ timestamp, signature, identity: replica.nodeKey.nodeId.toUint8Array() }],
    requestId,
    httpDetails: { ok: true, status: 200, statusText: 'OK', headers: [] },
  } as unknown as ApiQueryResponse;
}

/**
 * A verifier whose subnet state comes from the replica, with a delegation re-signed for the
 * ranges `rangesFor` gives the canister asked about. The clock starts four minutes behind the
 * certificates' time, so it can move on five minutes with them still recent.
 */
function verifier(rangesFor: (canisterId: Principal) => Array<[Principal, Principal]>) {
  const reads: string[] = [];
  const clock = new FakeClock(Date.now() - 4 * 60_000);
  const source = {
    readSubnetState: async (canisterId: Principal) => {
      reads.push(canisterId.toText());
      return redelegate(await replica.certificate({ canisters: [], requestIds: [], subnet: true }), replica.rootKey, rangesFor(canisterId));
    },
    rootKey: () => replica.rootKey.der,
  };
  return { verifier: new QuerySignatureVerifier(source, clock), reads, clock };
}

describe('QuerySignatureVerifier', () => {
  describe('#verify', () => {
    it("takes a reply signed by a node of the canister's subnet and refuses it altered", async () => {
      const { verifier: v } = verifier((id) => [[id, id]]);
      await expect(v.verify(canisterA, signedReply())).resolves.toBeUndefined();
      const altered = signedReply();
      (altered as { reply: { arg: Uint8Array } }).reply.arg = Uint8Array.of(9);
      await expect(v.verify(canisterA, altered)).rejects.toMatchObject({ code: 'ICWS_ERR_QUERY_SIGNATURE', message: expect.stringMatching(/does not match the reply/) });
    });

    it("reads a subnet's node keys once for every canister its verified ranges hold", async () => {
      const canisterB = canisterIdNear(canisterA, 3);
      const { verifier: v, reads } = verifier(() => [[canisterA, canisterIdNear(canisterA, 5)]]);
      await v.verify(canisterA, signedReply());
      await Promise.all([v.verify(canisterB, signedReply()), v.verify(canisterA, signedReply()), v.verify(canisterB, signedReply())]);
      expect(reads).toEqual([canisterA.toText()]);
      expect(v.subnetStateReads).toBe(1);
    });

    it('reads them for a canister outside the ranges read', async () => {
      const outside = canisterIdNear(canisterA, 9);
      const { verifier: v, reads } = verifier((id) => [[id, id]]);
      await v.verify(canisterA, signedReply());
      await v.verify(outside, signedReply());
      await v.verify(outside, signedReply());
      expect(reads).toEqual([canisterA.toText(), outside.toText()]);
    });

    it("reads a subnet's keys again once when they are five minutes old, for all its canisters at once", async () => {
      const canisterB = canisterIdNear(canisterA, 1);
      const { verifier: v, reads, clock } = verifier(() => [[canisterA, canisterIdNear(canisterA, 5)]]);
      await Promise.all([v.verify(canisterA, signedReply()), v.verify(canisterB, signedReply())]);
      await clock.advance(4 * 60_000);
      await Promise.all([v.verify(canisterA, signedReply()), v.verify(canisterB, signedReply())]);
      expect(reads).toHaveLength(1);
      await clock.advance(60_000);
      await Promise.all([v.verify(canisterA, signedReply()), v.verify(canisterB, signedReply())]);
      expect(reads).toHaveLength(2);
    });

    it('refuses a reply signed by a node the subnet state does not name, after reading it again', async () => {
      const { verifier: v, reads } = verifier((id) => [[id, id]]);
      const reply = signedReply();
      (reply as { signatures: Array<{ identity: Uint8Array }> }).signatures[0].identity = canisterIdNear(canisterA, 1).toUint8Array();
      await expect(v.verify(canisterA, reply)).rejects.toMatchObject({ code: 'ICWS_ERR_QUERY_SIGNATURE', message: expect.stringMatching(/which is not a node of the canister's subnet/) });
      expect(reads).toHaveLength(2);
    });
  });
});
