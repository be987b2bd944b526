/**
 * Queries run against certified state: `ic.dataCertificate()` always has a certificate, which
 * covers exactly what the query reads, whether or not a round is under way when the query arrives.
 */
import { Certificate, lookupResultToBuffer } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { defineCanister, IcwsError, query, update } from '@icws/backend-cdk';
import { TestClock } from './clock';
import { Replica, type ReplicaOptions } from './replica';
import { yieldToEventLoop } from './round-scheduler';

const alice = Principal.fromText('2vxsx-fae');
const nothing = new Uint8Array(IDL.encode([], []));
const Read = IDL.Record({ value: IDL.Nat32, certificate: IDL.Opt(IDL.Vec(IDL.Nat8)) });

function certifiedBytes(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

/**
 * A certified counter with two readers: `read` asks for its certificate plainly, `readGuarded`
 * wraps the request in try/catch, as a canister that treats a missing certificate as "none" does.
 */
const certifiedCounter = defineCanister((ic) => {
  let value = 0;
  const set = (next: number) => {
    value = next;
    ic.setCertifiedData(certifiedBytes(value));
  };
  set(0);
  return {
    set: update([IDL.Nat32], [], (next) => set(Number(next))),
    /** Takes long enough that a round of a few of them gives the event loop turns in between. */
    slowIncrement: update([], [], () => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      set(value + 1);
    }),
    read: query([], [Read], () => {
      const certificate = ic.dataCertificate();
      return { value, certificate: certificate === undefined ? [] : [certificate] };
    }),
    readGuarded: query([], [Read], () => {
      let certificate: Uint8Array | undefined;
      try {
        certificate = ic.dataCertificate();
      } catch {
        certificate = undefined;
      }
      return { value, certificate: certificate === undefined ? [] : [certificate] };
    }),
  };
});

interface Reading {
  value: number;
  /** The certified data the certificate proves, or undefined when the query had no certificate. */
  certified: Uint8Array | undefined;
  timeNs: bigint | undefined;
}

describe('queries on a replica', () => {
  let replica: Replica;
  let clock: TestClock;
  let id: Principal;

  async function start(options: ReplicaOptions): Promise<void> {
    clock = new TestClock();
    replica = await Replica.create({ clock, log: () => undefined, verifier: 'inline', ...options });
    id = replica.install('counter', certifiedCounter);
  }
  afterEach(() => replica.close());

  /** Runs a reader and checks its certificate as an agent does. */
  async function read(method: 'read' | 'readGuarded'): Promise<Reading> {
    const outcome = await replica.query(id, method, nothing, alice);
    if (outcome.status !== 'replied') throw new Error(outcome.rejectMessage);
    const [{ value, certificate }] = IDL.decode([Read], outcome.reply) as unknown as [{ value: number; certificate: [] | [Uint8Array] }];
    if (certificate.length === 0) return { value, certified: undefined, timeNs: undefined };
    const verified = await Certificate.create({ certificate: certificate[0], rootKey: replica.rootKey.der, principal: { canisterId: id } });
    const certified = lookupResultToBuffer(verified.lookup_path(['canister', id.toUint8Array(), 'certified_data']));
    const time = lookupResultToBuffer(verified.lookup_path(['time']));
    return { value, certified, timeNs: time === undefined ? undefined : decodeLeb128(time) };
  }

  /** Both readers at once: the guarded one must answer exactly as the plain one. */
  async function readBoth(): Promise<[Reading, Reading]> {
    return Promise.all([read('read'), read('readGuarded')]);
  }

  /** Gives the event loop turns until the replica's rounds are in `state`; false if they never are. */
  async function caught(state: 'executing' | 'signing', done: () => boolean): Promise<boolean> {
    while (!done()) {
      if (replica.roundState === state) return true;
      await yieldToEventLoop();
    }
    return false;
  }

  describe('#query', () => {
    it('gives a plain and a guarded reader the same valid certificate of the value they read', async () => {
      await start({ signer: 'inline' });
      await replica.update(id, 'set', new Uint8Array(IDL.encode([IDL.Nat32], [41])), alice);
      const [plain, guarded] = await readBoth();
      expect(plain).toEqual({ value: 41, certified: certifiedBytes(41), timeNs: expect.any(BigInt) });
      expect(guarded).toEqual(plain);
    });

    it('answers a query that arrives while a round executes once that round, finished without more turns, is certified', async () => {
      await start({ signer: 'inline' });
      const { rounds } = replica.stats;
      let finished = 0;
      const calls = Array.from({ length: 5 }, () => replica.update(id, 'slowIncrement', nothing, alice).then(() => finished++));
      // Each call takes longer than a slice, so the round gives the event loop a turn after each.
      expect(await caught('executing', () => finished > 0)).toBe(true);
      const readings = readBoth();
      expect(replica.roundState).toBe('executing');
      // With queries waiting, the round runs the rest of its calls without giving turns away.
      let turnsWhileExecuting = 0;
      while (replica.roundState === 'executing') {
        await yieldToEventLoop();
        if (replica.roundState === 'executing') turnsWhileExecuting++;
      }
      expect(turnsWhileExecuting).toBe(0);
      const [plain, guarded] = await readings;
      expect(plain).toEqual({ value: 5, certified: certifiedBytes(5), timeNs: expect.any(BigInt) });
      expect(guarded).toEqual(plain);
      await Promise.all(calls);
      expect(replica.stats.rounds).toBe(rounds + 1);
    });

    it('answers a query that arrives while a round is signed (on the worker) after the signature, with it', async () => {
      await start({});
      // Signing on the worker takes about a millisecond: try a few calls until a query lands during one.
      for (let attempt = 1; attempt <= 20; attempt++) {
        let finished = false;
        const call = replica.update(id, 'set', new Uint8Array(IDL.encode([IDL.Nat32], [attempt])), alice).then(() => (finished = true));
        if (await caught('signing', () => finished)) {
          const [plain, guarded] = await readBoth();
          expect(plain).toEqual({ value: attempt, certified: certifiedBytes(attempt), timeNs: expect.any(BigInt) });
          expect(guarded).toEqual(plain);
          await call;
          return;
        }
        await call;
      }
      throw new Error('no query arrived while a round was signed in 20 attempts');
    });

    it('refreshes a certificate older than ten seconds with an empty round before the query runs', async () => {
      await start({ signer: 'inline' });
      const before = await read('read');
      const { rounds, updatesExecuted } = replica.stats;
      await clock.advance(11_000);
      const after = await read('readGuarded');
      expect(after.timeNs).toBe(clock.nowNs());
      expect(after.timeNs! - before.timeNs!).toBeGreaterThan(10_000_000_000n);
      expect(replica.stats.rounds).toBe(rounds + 1);
      expect(replica.stats.updatesExecuted).toBe(updatesExecuted);
      await clock.advance(5_000);
      expect((await read('read')).timeNs).toBe(after.timeNs);
      expect(replica.stats.rounds).toBe(rounds + 1);
    });
  });

  describe('#close', () => {
    it('rejects the calls and queries waiting for a round with ICWS_ERR_REPLICA_CLOSED', async () => {
      await start({});
      const call = replica.update(id, 'set', new Uint8Array(IDL.encode([IDL.Nat32], [1])), alice);
      const waiting = replica.query(id, 'read', nothing, alice);
      const settled = Promise.allSettled([call, waiting]);
      await replica.close();
      const [callResult, queryResult] = await settled;
      for (const result of [callResult, queryResult]) {
        expect(result.status).toBe('rejected');
        const reason = (result as PromiseRejectedResult).reason as unknown;
        expect(reason).toBeInstanceOf(IcwsError);
        expect(reason).toMatchObject({ code: 'ICWS_ERR_REPLICA_CLOSED' });
      }
      expect(replica.roundState).toBe('closed');
      await expect(replica.query(id, 'read', nothing, alice)).rejects.toMatchObject({ code: 'ICWS_ERR_REPLICA_CLOSED' });
    });
  });
});

function decodeLeb128(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 7n) | BigInt(bytes[i] & 0x7f);
  return value;
}
