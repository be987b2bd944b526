/** What the replica keeps per call, and how it refuses calls past its bound. */
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { defineCanister, update } from '@icws/backend-cdk';
import { post, signedEnvelope } from '../../../test/support/envelopes';
import { TestClock } from './clock';
import { ReplicaError } from './errors';
import { ReplicaHttpServer } from './http-server';
import { Replica, type IngressCall } from './replica';

const alice = Principal.fromText('2vxsx-fae');
const nothing = new Uint8Array(IDL.encode([], []));
const MINUTE_MS = 60_000;
const nop = defineCanister(() => ({ nop: update([], [], () => undefined) }));

describe('Replica', () => {
  describe('request statuses', () => {
    let clock: TestClock;
    let replica: Replica;
    let id: Principal;
    beforeEach(async () => {
      clock = new TestClock(1_700_000_000_000);
      // Senders' expiries and the replica's pruning both follow the test clock here.
      replica = await Replica.create({ clock, wallClock: () => clock.nowNs(), signer: 'inline', verifier: 'inline', log: () => undefined });
      id = replica.install('nop', nop);
    });
    afterEach(() => replica.close());

    const calls = (n: number) => Promise.all(Array.from({ length: n }, () => replica.update(id, 'nop', nothing, alice)));

    it('keeps one status per call until its expiry, then none: what is kept does not grow with calls expired', async () => {
      for (let batch = 0; batch < 2; batch++) {
        await calls(300);
        expect(replica.stats.requestStatuses).toBe(300);
        await clock.advance(6 * MINUTE_MS);
        await replica.tick();
        expect(replica.stats.requestStatuses).toBe(0);
        expect(replica.stats.requestStatusBytes).toBe(0);
      }
      expect(replica.stats.updatesExecuted).toBe(600);
    });

    it('keeps no more statuses than the calls within the expiry window', async () => {
      const kept: number[] = [];
      for (let batch = 0; batch < 4; batch++) {
        await calls(100);
        kept.push(replica.stats.requestStatuses);
        // Each batch expires 5 minutes after it was sent: two batches later (3 minutes apart) it is gone.
        await clock.advance(3 * MINUTE_MS);
      }
      expect(kept).toEqual([100, 200, 200, 200]);
    });
  });

  describe('admission', () => {
    let replica: Replica;
    let id: Principal;
    beforeEach(async () => {
      replica = await Replica.create({ maxPendingCalls: 3, signer: 'inline', verifier: 'inline', log: () => undefined });
      id = replica.install('nop', nop);
    });
    afterEach(() => replica.close());

    const ingress = (): IngressCall => ({
      requestId: crypto.getRandomValues(new Uint8Array(32)),
      sender: alice,
      canisterId: id,
      methodName: 'nop',
      arg: nothing,
      ingressExpiryNs: BigInt(Date.now() + 4 * MINUTE_MS) * 1_000_000n,
    });

    it('refuses calls past maxPendingCalls with ICWS_ERR_REPLICA_OVERLOADED, and admits calls again once the queue drained', async () => {
      // Submitted in one turn of the event loop: no round can start in between.
      const admitted = [ingress(), ingress(), ingress()].map((call) => replica.submit(call));
      expect(replica.stats.pendingCalls).toBe(3);
      let refusal: unknown;
      try {
        void replica.submit(ingress());
      } catch (err) {
        refusal = err;
      }
      expect(refusal).toBeInstanceOf(ReplicaError);
      expect(refusal).toMatchObject({ code: 'ICWS_ERR_REPLICA_OVERLOADED', httpStatus: 503 });
      expect((refusal as Error).message).toMatch(/3 update calls waiting .*maxPendingCalls 3.*again/);
      expect(replica.stats.callsRefused).toBe(1);

      await Promise.all(admitted);
      expect(replica.stats.pendingCalls).toBe(0);
      expect(replica.stats.updatesExecuted).toBe(3);
      await replica.submit(ingress());
      expect(replica.stats.updatesExecuted).toBe(4);
      expect(replica.stats.callsRefused).toBe(1);
    });

    it('does not count a call whose status is kept: it is not executed again', async () => {
      const call = ingress();
      await replica.submit(call);
      const again = [ingress(), ingress(), ingress()].map((c) => replica.submit(c));
      await expect(replica.submit(call)).resolves.toBeUndefined();
      await Promise.all(again);
      expect(replica.stats.updatesExecuted).toBe(4);
    });

    it('answers queries whatever the calls pending', async () => {
      const pending = [ingress(), ingress(), ingress()].map((call) => replica.submit(call));
      await expect(replica.query(id, 'nop', nothing, alice)).resolves.toMatchObject({ status: 'rejected' });
      await Promise.all(pending);
    });

    it('refuses with maxPendingCalls that is not a positive integer', async () => {
      await expect(Replica.create({ maxPendingCalls: 0, signer: 'inline' })).rejects.toMatchObject({ code: 'ICWS_ERR_USAGE', message: expect.stringMatching(/maxPendingCalls: 0/) });
    });

    it('refuses a minRoundIntervalMs that is not a number of ms >= 0', async () => {
      await expect(Replica.create({ minRoundIntervalMs: -1, signer: 'inline' })).rejects.toMatchObject({ code: 'ICWS_ERR_USAGE', message: expect.stringMatching(/minRoundIntervalMs: -1/) });
    });
  });

  describe('admission over HTTP', () => {
    let replica: Replica;
    let server: ReplicaHttpServer;
    let url: URL;
    let id: Principal;
    const identity = Ed25519KeyIdentity.generate();
    beforeAll(async () => {
      replica = await Replica.create({ maxPendingCalls: 1, signer: 'inline', verifier: 'inline', log: () => undefined });
      id = replica.install('nop', nop);
      server = new ReplicaHttpServer(replica);
      url = await server.listen(0);
    });
    afterAll(async () => {
      await server.close();
      await replica.close();
    });

    const callBody = () => signedEnvelope(identity, { request_type: 'call', canister_id: id, method_name: 'nop', arg: nothing, nonce: crypto.getRandomValues(new Uint8Array(8)) });

    it('answers a call past the bound with 503, the code in a header and the body, and retry-after; then admits calls again', async () => {
      let refused: { status: number; text: string; errorCode: string | null; retryAfter: string | null } | undefined;
      // Calls posted together arrive within one turn of the replica's event loop, mostly.
      for (let attempt = 0; attempt < 20 && refused === undefined; attempt++) {
        const bodies = await Promise.all(Array.from({ length: 20 }, callBody));
        const answers = await Promise.all(bodies.map(async (body) => {
          const response = await fetch(new URL(`/api/v2/canister/${id.toText()}/call`, url), { method: 'POST', headers: { 'content-type': 'application/cbor' }, body: new Uint8Array(body) });
          return { status: response.status, text: await response.text(), errorCode: response.headers.get('x-icws-error-code'), retryAfter: response.headers.get('retry-after') };
        }));
        expect(answers.every((answer) => answer.status === 202 || answer.status === 503)).toBe(true);
        refused = answers.find((answer) => answer.status === 503);
      }
      expect(refused).toBeDefined();
      expect(refused!.errorCode).toBe('ICWS_ERR_REPLICA_OVERLOADED');
      expect(refused!.retryAfter).toBe('1');
      expect(refused!.text).toMatch(/send the call again in a moment \(ICWS_ERR_REPLICA_OVERLOADED\)$/);
      expect(replica.stats.callsRefused).toBeGreaterThan(0);

      await replica.tick();
      const answer = await post(url, `/api/v3/canister/${id.toText()}/call`, await callBody());
      expect(answer.status).toBe(200);
    });
  });
});
