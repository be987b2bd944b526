/** The replica's execution model: rounds, timers on the replica clock, certified data, traps. */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { defineCanister, query, update } from '@icws/backend-cdk';
import { TestClock } from './clock';
import { Replica } from './replica';

const alice = Principal.fromText('2vxsx-fae');
const nothing = new Uint8Array(IDL.encode([], []));
const decodeNat = (reply: Uint8Array) => IDL.decode([IDL.Nat], reply)[0] as bigint;

const ticker = defineCanister<{ everyMs: number }>((ic, init) => {
  let ticks = 0n;
  let fired: bigint[] = [];
  let interval = ic.setTimerInterval(init.everyMs, () => {
    ticks++;
  });
  return {
    ticks: query([], [IDL.Nat], () => ticks),
    firedAt: query([], [IDL.Vec(IDL.Nat64)], () => fired),
    once: update([IDL.Nat32], [], (delayMs) => {
      ic.setTimer(Number(delayMs), () => {
        fired = [...fired, ic.time()];
      });
    }),
    stop: update([], [], () => ic.clearTimer(interval)),
    restart: update([], [], () => {
      interval = ic.setTimerInterval(init.everyMs, () => void ticks++);
    }),
    setThenTrap: update([], [], () => {
      ic.setTimer(1, () => void (ticks += 1000n));
      ic.setCertifiedData(new Uint8Array([9]));
      throw new Error('changed my mind');
    }),
    certifyTooMuch: update([], [], () => ic.setCertifiedData(new Uint8Array(33))),
    certifyInQuery: query([], [], () => ic.setCertifiedData(new Uint8Array(1))),
    nop: update([], [], () => undefined),
    now: update([], [IDL.Nat64], () => ic.time()),
  };
});

describe('a replica on a test clock', () => {
  let clock: TestClock;
  let replica: Replica;
  let id: Principal;
  beforeEach(async () => {
    clock = new TestClock(1_700_000_000_000);
    replica = await Replica.create({ clock, signer: 'inline', log: () => undefined });
    id = replica.install('ticker', ticker, { init: { everyMs: 1000 } });
  });
  afterEach(() => replica.close());

  const ticks = async () => {
    const outcome = await replica.query(id, 'ticks', nothing, alice);
    if (outcome.status !== 'replied') throw new Error(outcome.rejectMessage);
    return decodeNat(outcome.reply);
  };

  const fired = async () => {
    const outcome = await replica.query(id, 'firedAt', nothing, alice);
    if (outcome.status !== 'replied') throw new Error(outcome.rejectMessage);
    return [...(IDL.decode([IDL.Vec(IDL.Nat64)], outcome.reply) as unknown as [Iterable<bigint>])[0]];
  };
  const now = async () => {
    const outcome = await replica.update(id, 'now', nothing, alice);
    if (outcome.status !== 'replied') throw new Error(outcome.rejectMessage);
    return IDL.decode([IDL.Nat64], outcome.reply)[0] as bigint;
  };

  test('fires an interval timer once per round that finds it due, and re-arms it one interval after that round', async () => {
    expect(await ticks()).toBe(0n);
    await clock.advance(999);
    expect(await ticks()).toBe(0n);
    await clock.advance(1);
    expect(await ticks()).toBe(1n);
    // Ten intervals pass at once: the IC's timer library runs the timer once, not ten times.
    await clock.advance(10_000);
    expect(await ticks()).toBe(2n);
    await clock.advance(999);
    expect(await ticks()).toBe(2n);
    await clock.advance(1);
    expect(await ticks()).toBe(3n);
  });

  test('runs a due timer in the next round, at that round\'s time rather than its due time', async () => {
    await replica.update(id, 'once', new Uint8Array(IDL.encode([IDL.Nat32], [250])), alice);
    const setAt = clock.nowNs();
    await clock.advance(5_000);
    expect(await fired()).toEqual([setAt + 5_000_000_000n]);
  });

  test('runs each round strictly after the previous one, 1 ns later when the clock has not moved', async () => {
    const first = await now();
    const second = await now();
    expect(second - first).toBe(1n);
    await clock.advance(3);
    expect((await now()) - second).toBe(3_000_000n);
  });

  test('fires a timer of N ms after advance(N), though the rounds since the clock last moved took nanoseconds', async () => {
    for (let i = 0; i < 3; i++) await replica.update(id, 'nop', nothing, alice);
    await replica.update(id, 'once', new Uint8Array(IDL.encode([IDL.Nat32], [250])), alice);
    await clock.advance(250);
    expect(await fired()).toHaveLength(1);
  });

  test('ticks: runs a round on demand at the next nanosecond, and timers due by then', async () => {
    await replica.update(id, 'once', new Uint8Array(IDL.encode([IDL.Nat32], [0])), alice);
    const before = replica.roundTimeNs;
    const timeNs = await replica.tick();
    expect(timeNs).toBe(before + 1n);
    expect(replica.roundTimeNs).toBe(timeNs);
    expect(await fired()).toEqual([timeNs]);
  });

  test('cancels a timer with clearTimer', async () => {
    await replica.update(id, 'stop', nothing, alice);
    await clock.advance(5_000);
    expect(await ticks()).toBe(0n);
  });

  test('rolls back timers and certified data of a method that throws, and rejects with its message', async () => {
    const outcome = await replica.update(id, 'setThenTrap', nothing, alice);
    expect(outcome).toMatchObject({ status: 'rejected', rejectCode: 5, errorCode: 'IC0503' });
    expect(outcome.status === 'rejected' && outcome.rejectMessage).toBe(`Canister ${id.toText()} trapped: changed my mind`);
    await replica.update(id, 'stop', nothing, alice);
    await clock.advance(10);
    expect(await ticks()).toBe(0n);
  });

  test('refuses certified data over 32 bytes and in queries', async () => {
    expect(await replica.update(id, 'certifyTooMuch', nothing, alice)).toMatchObject({
      status: 'rejected',
      rejectMessage: expect.stringContaining('certified data is at most 32 bytes, got 33'),
    });
    expect(await replica.query(id, 'certifyInQuery', nothing, alice)).toMatchObject({
      status: 'rejected',
      rejectMessage: expect.stringContaining('setCertifiedData cannot be called in a query'),
    });
  });

  test('rejects arguments that are not the method\'s Candid types', async () => {
    const outcome = await replica.update(id, 'once', new Uint8Array(IDL.encode([IDL.Text], ['soon'])), alice);
    expect(outcome).toMatchObject({ status: 'rejected', rejectCode: 5, rejectMessage: expect.stringContaining("failed to decode the arguments of 'once'") });
  });

  test('refuses to install a canister under a taken id or a non-canister id', () => {
    expect(() => replica.install('again', ticker, { id, init: { everyMs: 1 } })).toThrow(/already taken by "ticker"/);
    expect(() => replica.install('user', ticker, { id: alice, init: { everyMs: 1 } })).toThrow(/is not a canister id/);
  });

  test('gives the first canister the id the IC SDK gives it locally', () => {
    expect(id.toText()).toBe('bkyz2-fmaaa-aaaaa-qaaaq-cai');
  });
});

describe('a replica with an injected wall clock', () => {
  const counter = defineCanister(() => {
    let n = 0n;
    return { increment: update([], [IDL.Nat], () => ++n) };
  });
  let wallNs: bigint;
  let clock: TestClock;
  let replica: Replica;
  let id: Principal;
  beforeEach(async () => {
    wallNs = 1_700_000_000_000_000_000n;
    clock = new TestClock(1_700_000_000_000);
    replica = await Replica.create({ clock, signer: 'inline', log: () => undefined, wallClock: () => wallNs });
    id = replica.install('counter', counter);
  });
  afterEach(() => replica.close());

  /** Submits a call as the HTTP interface does, with an ingress expiry a minute from the wall clock. */
  async function submitExpiringCall(): Promise<Uint8Array> {
    const requestId = crypto.getRandomValues(new Uint8Array(32));
    await replica.submit({ requestId, sender: alice, canisterId: id, methodName: 'increment', arg: nothing, ingressExpiryNs: wallNs + 60_000_000_000n });
    return requestId;
  }

  test('forgets a request status once the wall clock passes its ingress expiry', async () => {
    const requestId = await submitExpiringCall();
    expect(replica.requestSender(requestId)?.toText()).toBe(alice.toText());
    wallNs += 59_000_000_000n;
    await replica.update(id, 'increment', nothing, alice);
    expect(replica.requestSender(requestId)?.toText()).toBe(alice.toText());
    wallNs += 2_000_000_000n;
    await replica.update(id, 'increment', nothing, alice);
    expect(replica.requestSender(requestId)).toBeUndefined();
  });

  test('keeps it however far the replica clock moves while the wall clock stands still', async () => {
    const requestId = await submitExpiringCall();
    await clock.advance(3_600_000);
    await replica.update(id, 'increment', nothing, alice);
    expect(replica.requestSender(requestId)?.toText()).toBe(alice.toText());
  });
});

