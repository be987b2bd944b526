/** Stable collections in a canister under unit test: typed, part of each message, kept across upgrades and restarts. */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { defineCanister, query, update, upgradeHooks } from '../canister/define';
import { IcwsError } from '@icws/protocol';
import { FakeCanisterContext } from '../testing/fake-canister-context';
import { TestCanister } from '../testing/test-canister';
import { StableCell } from './stable-cell';
import { StableMap } from './stable-map';
import { StableVec } from './stable-vec';

/** A canister keeping scores by name, a counter and a log, all stable. */
const scores = defineCanister((ic) => {
  const byName = StableMap.open(ic, 'scores', IDL.Text, IDL.Nat);
  const total = StableCell.open(ic, 'total', IDL.Nat, 0n);
  const log = StableVec.open(ic, 'log', IDL.Text);
  const add = (name: string, points: bigint) => {
    byName.set(name, (byName.get(name) ?? 0n) + points);
    total.set(total.get() + points);
    log.push(`${name}+${points}`);
  };
  return {
    add: update([IDL.Text, IDL.Nat], [IDL.Nat], (name, points) => {
      add(name, BigInt(points));
      return total.get();
    }),
    add_then_trap: update([IDL.Text, IDL.Nat], [], (name, points) => {
      add(name, BigInt(points));
      throw new Error('changed my mind');
    }),
    add_in_query: query([IDL.Text, IDL.Nat], [IDL.Nat], (name, points) => {
      add(name, BigInt(points));
      return total.get();
    }),
    remove: update([IDL.Text], [IDL.Bool], (name) => byName.delete(name)),
    score: query([IDL.Text], [IDL.Opt(IDL.Nat)], (name) => {
      const score = byName.get(name);
      return score === undefined ? ([] as []) : ([score] as [bigint]);
    }),
    total: query([], [IDL.Nat], () => total.get()),
    names: query([IDL.Opt(IDL.Text), IDL.Bool], [IDL.Vec(IDL.Text)], (from, reverse) => [...byName.keys({ from: from[0], reverse })]),
    log: query([IDL.Nat], [IDL.Vec(IDL.Text)], (from) => [...log.values(Number(from))]),
    pop: update([], [IDL.Opt(IDL.Text)], () => {
      const last = log.pop();
      return last === undefined ? ([] as []) : ([last] as [string]);
    }),
  };
});

describe('stable collections', () => {
  it('keep what updates write, in key order for maps and in push order for vectors', () => {
    const canister = TestCanister.install(scores, undefined);
    for (const [name, points] of [['carol', 3n], ['alice', 1n], ['bob', 2n], ['alice', 4n]] as const) canister.update('add', [name, points]);
    expect(canister.query('score', ['alice'])).toEqual([5n]);
    expect(canister.query('total', [])).toBe(10n);
    expect(canister.query('names', [[], false])).toEqual(['bob', 'alice', 'carol']);
    expect(canister.query('names', [['alice'], false])).toEqual(['alice', 'carol']);
    expect(canister.query('names', [[], true])).toEqual(['carol', 'alice', 'bob']);
    expect(canister.query('log', [1n])).toEqual(['alice+1', 'bob+2', 'alice+4']);
    expect(canister.update('remove', ['bob'])).toBe(true);
    expect(canister.update('remove', ['bob'])).toBe(false);
    expect(canister.update('pop', [])).toEqual(['alice+4']);
    expect(canister.query('log', [0n])).toEqual(['carol+3', 'alice+1', 'bob+2']);
  });

  it('roll back every write of a message that traps, and discard those of a query', () => {
    const canister = TestCanister.install(scores, undefined);
    canister.update('add', ['alice', 1n]);
    expect(() => canister.update('add_then_trap', ['alice', 10n])).toThrow('changed my mind');
    expect(canister.query('add_in_query', ['bob', 100n])).toBe(101n);
    expect(canister.query('score', ['alice'])).toEqual([1n]);
    expect(canister.query('score', ['bob'])).toEqual([]);
    expect(canister.query('total', [])).toBe(1n);
    expect(canister.query('log', [0n])).toEqual(['alice+1']);
  });

  it('iterate past a page of entries', () => {
    const canister = TestCanister.install(scores, undefined);
    const names = Array.from({ length: 150 }, (_, i) => `n${String(i).padStart(3, '0')}`);
    for (const name of names) canister.update('add', [name, 1n]);
    expect(canister.query('names', [[], false])).toEqual(names);
    expect(canister.query('names', [[], true])).toEqual([...names].reverse());
    expect(canister.query('log', [0n])).toHaveLength(150);
  });

  it('survive a restart, where the heap does not', () => {
    const canister = TestCanister.install(scores, undefined);
    canister.update('add', ['alice', 2n]);
    const restarted = canister.restart();
    expect(restarted.query('total', [])).toBe(2n);
    expect(restarted.update('add', ['alice', 3n])).toBe(5n);
  });

  it('refuse keys and values that are not of their types, naming the collection', () => {
    const context = new FakeCanisterContext();
    context.execute({ caller: Principal.anonymous(), mode: 'update' }, () => {
      const map = StableMap.open(context, 'by_id', IDL.Nat, IDL.Text);
      expect(() => map.set(-1 as unknown as bigint, 'x')).toThrow('StableMap "by_id": the key is not a nat');
      expect(() => map.set(1n, 7 as unknown as string)).toThrow(expect.objectContaining({ code: 'ICWS_ERR_STABLE_VALUE' }));
      const vec = StableVec.open(context, 'v', IDL.Text);
      expect(() => vec.set(0, 'x')).toThrow('StableVec "v": index 0 is past the end (length 0); push to append');
      expect(() => StableCell.open(context, '', IDL.Nat, 0n)).toThrow(expect.objectContaining({ code: 'ICWS_ERR_STABLE_COLLECTION' }));
    });
  });

  it('cannot be used outside a message', () => {
    const context = new FakeCanisterContext();
    const cell = context.execute({ caller: Principal.anonymous(), mode: 'update' }, () => StableCell.open(context, 'c', IDL.Nat, 0n));
    expect(() => cell.get()).toThrow(expect.objectContaining({ code: 'ICWS_ERR_CANISTER_CONTEXT' }));
  });

  it('trap, naming the collection and the fix, once reopened with other types; the other methods still work', () => {
    const before = TestCanister.install(scores, undefined);
    before.update('add', ['alice', 1n]);
    const changed = defineCanister((ic) => {
      const byName = StableMap.open(ic, 'scores', IDL.Text, IDL.Int);
      const total = StableCell.open(ic, 'total', IDL.Nat, 0n);
      return {
        score: query([IDL.Text], [IDL.Opt(IDL.Int)], (name) => {
          const score = byName.get(name);
          return score === undefined ? ([] as []) : ([score] as [bigint]);
        }),
        total: query([], [IDL.Nat], () => total.get()),
      };
    });
    const after = before.restart(changed);
    expect(after.context.logs).toContain(
      'stable collection "scores" holds StableMap<text, nat> but is opened as StableMap<text, int>: open it with the types it was created with, ' +
        'or give the new types a new collection name (and copy the entries over in postUpgrade)',
    );
    let error: unknown;
    try {
      after.query('score', ['alice']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(IcwsError);
    expect((error as Error).message).toContain('stable collection "scores" holds StableMap<text, nat> but is opened as StableMap<text, int>');
    expect(after.query('total', [])).toBe(1n);
  });
});

/** Version 1 keeps a heap counter and saves it in preUpgrade; version 2 reads it back in postUpgrade. */
function versioned(version: number, events: string[]) {
  return defineCanister((ic) => {
    const saved = StableCell.open(ic, 'saved', IDL.Nat, 0n);
    let count = 0n;
    events.push(`v${version} factory`);
    return {
      increment: update([], [IDL.Nat], () => ++count),
      count: query([], [IDL.Nat], () => count),
      version: query([], [IDL.Nat], () => BigInt(version)),
      ...upgradeHooks({
        preUpgrade: () => {
          events.push(`v${version} preUpgrade`);
          saved.set(count);
        },
        postUpgrade: () => {
          events.push(`v${version} postUpgrade`);
          if (version === 99) throw new Error('cannot read the saved state');
          count = saved.get();
        },
      }),
    };
  });
}

describe('TestCanister#upgrade', () => {
  it('runs preUpgrade on the old module and postUpgrade on the new one, keeping stable memory and dropping the heap', () => {
    const events: string[] = [];
    const canister = TestCanister.install(versioned(1, events), undefined);
    canister.update('increment', []);
    canister.update('increment', []);
    canister.context.execute({ caller: canister.id, mode: 'update' }, () => canister.context.setTimer(1_000, () => events.push('old timer')));
    canister.upgrade(versioned(2, events));
    expect(events).toEqual(['v1 factory', 'v1 preUpgrade', 'v2 factory', 'v2 postUpgrade']);
    expect(canister.query('version', [])).toBe(2n);
    expect(canister.query('count', [])).toBe(2n);
    canister.context.advanceTime(2_000);
    expect(events).not.toContain('old timer');
  });

  it('changes nothing when the new module fails, and says which step threw', () => {
    const events: string[] = [];
    const canister = TestCanister.install(versioned(1, events), undefined);
    canister.update('increment', []);
    expect(() => canister.upgrade(versioned(99, events))).toThrow(/upgrade of .* failed: the new module threw: cannot read the saved state/);
    expect(canister.query('version', [])).toBe(1n);
    expect(canister.update('increment', [])).toBe(2n);
    const restarted = canister.restart(versioned(3, events));
    // preUpgrade of the failed upgrade saved 1, but that write was discarded with it.
    expect(restarted.query('count', [])).toBe(0n);
  });
});
