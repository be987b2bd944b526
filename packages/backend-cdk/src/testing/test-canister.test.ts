/** The canister test kit: a fake context that keeps the IC's rules, and Candid calls through it. */
import { Cbor } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { defineCanister, query, update, type CanisterContext } from '../canister/define';
import { reconstruct, type HashTree } from '../certification/hash-tree';
import { encodeUleb128 } from '@icws/protocol';
import { lookupPath } from '../certification/lookup';
import { IcwsError } from '@icws/protocol';
import { FakeCanisterContext } from './fake-canister-context';
import { TestCanister } from './test-canister';

const alice = Principal.fromText('aaaaa-aa');
const bob = Principal.anonymous();

/** A canister whose methods exercise the context; `ic` is handed out for inspection. */
const probe = defineCanister((ic, log: string[]) => {
  let count = 0n;
  const bump = (by: bigint) => {
    count += by;
    ic.onRollback(() => (count -= by));
  };
  return {
    whoami: query([], [IDL.Principal, IDL.Nat64], () => [ic.caller(), ic.time()] as [Principal, bigint]),
    add: update([IDL.Nat, IDL.Bool], [IDL.Nat], (by, fail) => {
      bump(BigInt(by));
      ic.setCertifiedData(Uint8Array.of(Number(count)));
      ic.onCommit(() => log.push(`commit ${count}`));
      if (fail) throw new Error('asked to fail');
      return count;
    }),
    add_in_query: query([IDL.Nat], [IDL.Nat], (by) => {
      bump(BigInt(by));
      ic.onCommit(() => log.push('never'));
      return count;
    }),
    count: query([], [IDL.Nat], () => count),
    certify: update([IDL.Vec(IDL.Nat8)], [], (bytes) => ic.setCertifiedData(Uint8Array.from(bytes))),
    certify_in_query: query([], [], () => ic.setCertifiedData(new Uint8Array(1))),
    certificate: query([], [IDL.Opt(IDL.Vec(IDL.Nat8))], () => optional(ic.dataCertificate())),
    certificate_in_update: update([], [IDL.Opt(IDL.Vec(IDL.Nat8))], () => optional(ic.dataCertificate())),
    commit_fails: update([], [], () => {
      bump(100n);
      ic.onCommit(() => {
        throw new Error('commit refused');
      });
    }),
    after: update([IDL.Nat32, IDL.Text, IDL.Bool], [IDL.Nat32], (ms, name, fail) => {
      const id = ic.setTimer(Number(ms), () => {
        log.push(`${name} at ${ic.time()} by ${ic.caller().toText()}`);
        if (fail) throw new Error(`${name} failed`);
      });
      if (name === 'trap') throw new Error('trapped after setting a timer');
      return id;
    }),
    every: update([IDL.Nat32], [IDL.Nat32], (ms) => ic.setTimerInterval(Number(ms), () => log.push(`tick at ${ic.time()}`))),
    cancel: update([IDL.Nat32], [], (id) => ic.clearTimer(Number(id))),
    timer_in_query: query([], [], () => void ic.setTimer(1, () => undefined)),
  };
});

/** @returns `bytes` as a Candid `opt blob` (Candid encodes a Uint8Array as `vec nat8`). */
function optional(bytes: Uint8Array | undefined): [] | [number[]] {
  return bytes === undefined ? [] : [bytes as unknown as number[]];
}

const MS = 1_000_000n;
let log: string[];
let canister: TestCanister;
beforeEach(() => {
  log = [];
  canister = TestCanister.install(probe, log, { startTimeMs: 1_000 });
});

describe('TestCanister', () => {
  describe('#update, #query', () => {
    it('pass the caller and the time of each call, and encode and decode Candid of the declared types', () => {
      expect(canister.query('whoami', [], { caller: alice })).toEqual([alice, 1_000n * MS]);
      expect(canister.update('whoami', [])).toEqual([bob, 1_000n * MS]);
      expect(canister.update('add', [2n, false])).toBe(2n);
    });

    it('commit an update: its onCommit callbacks run, then its certified data applies', () => {
      canister.update('add', [5n, false]);
      expect(log).toEqual(['commit 5']);
      expect(canister.context.certifiedData).toEqual(Uint8Array.of(5));
    });

    it('roll back an update that throws: undo callbacks run, certified data and commit callbacks do not apply', () => {
      canister.update('add', [1n, false]);
      expect(() => canister.update('add', [7n, true])).toThrow(expect.objectContaining({ code: 'ICWS_ERR_CANISTER_TRAPPED', message: expect.stringMatching(/add rejected: Canister .* trapped: asked to fail/) }));
      expect(canister.query('count', [])).toBe(1n);
      expect(canister.context.certifiedData).toEqual(Uint8Array.of(1));
      expect(log).toEqual(['commit 1']);
    });

    it('trap when an onCommit callback throws, rolling the update back', () => {
      expect(canister.call('update', 'commit_fails', new Uint8Array(IDL.encode([], [])))).toMatchObject({ status: 'rejected', message: expect.stringContaining('commit refused') });
      expect(canister.query('count', [])).toBe(0n);
    });

    it('discard what a query changes, running its undo callbacks and no commit callbacks', () => {
      expect(canister.query('add_in_query', [3n])).toBe(3n);
      expect(canister.query('count', [])).toBe(0n);
      expect(log).toEqual([]);
      expect(canister.update('add_in_query', [3n])).toBe(3n); // a query method called as an update commits
      expect(canister.query('count', [])).toBe(3n);
    });

    it('refuse certified data in a query and beyond 32 bytes', () => {
      expect(() => canister.query('certify_in_query', [])).toThrow(/trapped: setCertifiedData cannot be called in a query/);
      expect(() => canister.update('certify', [new Uint8Array(33)])).toThrow(/certified data is at most 32 bytes, got 33/);
      canister.update('certify', [new Uint8Array(32).fill(9)]);
      expect(canister.context.certifiedData).toEqual(new Uint8Array(32).fill(9));
    });

    it('reject an unknown method, an update called as a query, and arguments of other types', () => {
      expect(() => canister.update('nope', [])).toThrow(expect.objectContaining({ code: 'ICWS_ERR_CANISTER_METHOD' }));
      expect(canister.call('query', 'add', new Uint8Array(IDL.encode([IDL.Nat, IDL.Bool], [1n, false])))).toMatchObject({ status: 'rejected', code: 'ICWS_ERR_CANISTER_METHOD' });
      expect(canister.call('update', 'add', new Uint8Array(IDL.encode([IDL.Text], ['1'])))).toMatchObject({ status: 'rejected', code: 'ICWS_ERR_CANISTER_TRAPPED', message: expect.stringContaining("failed to decode the arguments of 'add'") });
      expect(canister.query('count', [])).toBe(0n);
    });
  });

  describe('data certificate', () => {
    it('in a query, certifies the committed certified data and the time in its tree; none in an update', () => {
      canister.update('certify', [Uint8Array.of(1, 2, 3)]);
      canister.context.advanceTime(5);
      const [cert] = canister.query<[] | [Uint8Array]>('certificate', []);
      const { tree, signature } = Cbor.decode<{ tree: HashTree; signature: Uint8Array }>(cert!);
      expect(lookupPath(['canister', canister.id.toUint8Array(), 'certified_data'], tree)).toEqual({ status: 'Found', value: Uint8Array.of(1, 2, 3) });
      expect(lookupPath(['time'], tree)).toEqual({ status: 'Found', value: encodeUleb128(1_005n * MS) });
      expect(reconstruct(tree)).toHaveLength(32);
      expect(signature).toHaveLength(48);
      expect(canister.update('certificate_in_update', [])).toEqual([]);
    });
  });

  describe('timers', () => {
    it('fire when time advances to them, each in a message of its own by the canister, in due order', () => {
      canister.update('after', [20, 'second', false]);
      canister.update('after', [10, 'first', false]);
      canister.context.advanceTime(9);
      expect(log).toEqual([]);
      canister.context.advanceTime(100);
      const by = canister.id.toText();
      expect(log).toEqual([`first at ${1_010n * MS} by ${by}`, `second at ${1_020n * MS} by ${by}`]);
      expect(canister.context.nowNs).toBe(1_109n * MS);
      expect(canister.context.timerCount).toBe(0);
    });

    it('repeat an interval at each due time until cleared', () => {
      const id = canister.update<number>('every', [10]);
      canister.context.advanceTime(35);
      expect(log).toEqual([1_010n, 1_020n, 1_030n].map((t) => `tick at ${t * MS}`));
      canister.update('cancel', [id]);
      canister.context.advanceTime(100);
      expect(log).toHaveLength(3);
    });

    it('are not set by a message that traps, nor by a query', () => {
      expect(() => canister.update('after', [1, 'trap', false])).toThrow(/trapped after setting a timer/);
      expect(() => canister.query('timer_in_query', [])).toThrow(/timers cannot be set in a query/);
      canister.context.advanceTime(10);
      expect(log).toEqual([]);
      expect(canister.context.timerCount).toBe(0);
    });

    it('log a timer that throws and roll back its changes, the others still running', () => {
      canister.update('after', [1, 'failing', true]);
      canister.update('after', [2, 'fine', false]);
      canister.context.advanceTime(5);
      expect(log.map((line) => line.split(' ')[0])).toEqual(['failing', 'fine']);
      expect(canister.context.logs).toEqual([expect.stringMatching(/^timer \d+ failed: failing failed$/)]);
    });
  });
});

describe('FakeCanisterContext', () => {
  it('refuses the system API outside a message, as a replica does', () => {
    const ic: CanisterContext = new FakeCanisterContext();
    for (const use of [() => ic.caller(), () => ic.time(), () => ic.setCertifiedData(new Uint8Array()), () => ic.onCommit(() => undefined)]) {
      expect(use).toThrow(expect.objectContaining({ code: 'ICWS_ERR_CANISTER_CONTEXT', message: expect.stringContaining('can only be used while the canister executes a message') }));
    }
  });

  it('runs undo callbacks newest first, logging one that throws', () => {
    const ic = new FakeCanisterContext();
    const order: number[] = [];
    ic.execute({ caller: alice, mode: 'query' }, () => {
      ic.onRollback(() => order.push(1));
      ic.onRollback(() => {
        throw new Error('undo failed');
      });
      ic.onRollback(() => order.push(3));
    });
    expect(order).toEqual([3, 1]);
    expect(ic.logs).toEqual(['an undo callback failed: undo failed']);
  });

  it('refuses to move time backwards or to start a message inside another', () => {
    const ic = new FakeCanisterContext();
    expect(() => ic.advanceTime(-1)).toThrow(RangeError);
    expect(() => ic.execute({ caller: alice, mode: 'update' }, () => ic.execute({ caller: alice, mode: 'update' }, () => undefined))).toThrow(IcwsError);
  });
});
