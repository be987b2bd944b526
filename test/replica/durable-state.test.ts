/**
 * A replica's state directory: stable memory committed a round at a time, rolled back with the
 * messages that trap, kept across restarts and upgrades (which run the canister's hooks), and the
 * same canister ids, root key and subnet across restarts.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cbor, HttpAgent } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { defineCanister, query, StableMap, update, upgradeHooks, type CanisterDefinition } from '@icws/backend-cdk';
import { Replica, type CallOutcome } from '@icws/replica';
import { startCli, stop } from '../support/replica-cli';
import { actorOf, COUNTER, counterIdl, lineMatching, temporaryDir, versionedCounter, writeCanister, type Counter } from './durable-support';

const caller = Principal.anonymous();
const none = new Uint8Array(IDL.encode([], []));

/** Notes by key: `put` writes one, `put_then_trap` writes one and traps. */
const notes = defineCanister((ic) => {
  const byKey = StableMap.open(ic, 'notes', IDL.Text, IDL.Text);
  return {
    put: update([IDL.Text, IDL.Text], [], (key, text) => void byKey.set(key, text)),
    put_then_trap: update([IDL.Text, IDL.Text], [], (key, text) => {
      byKey.set(key, text);
      throw new Error('out of ink');
    }),
    put_in_query: query([IDL.Text, IDL.Text], [], (key, text) => void byKey.set(key, text)),
    keys: query([], [IDL.Vec(IDL.Text)], () => [...byKey.keys()]),
  };
});

function call(replica: Replica, id: Principal, method: string, args: unknown[] = [], types: IDL.Type[] = [IDL.Text, IDL.Text]): Promise<CallOutcome> {
  return replica.update(id, method, new Uint8Array(IDL.encode(types.slice(0, args.length), args)), caller);
}

async function keys(replica: Replica, id: Principal): Promise<string[]> {
  const outcome = await replica.query(id, 'keys', none, caller);
  if (outcome.status !== 'replied') throw new Error(outcome.rejectMessage);
  return IDL.decode([IDL.Vec(IDL.Text)], outcome.reply)[0] as unknown as string[];
}

const open = (stateDir: string) => Replica.create({ stateDir, signer: 'inline', verifier: 'inline', log: () => undefined });

describe('Replica with a state directory', () => {
  const state = temporaryDir('icws-durable-state-');
  afterAll(() => state.remove());

  test('keeps what updates wrote, and nothing of those that trapped or of queries, across a restart', async () => {
    const { dir, remove } = temporaryDir('icws-notes-');
    try {
      const first = await open(dir);
      const id = first.install('notes', notes);
      expect((await call(first, id, 'put', ['a', 'kept'])).status).toBe('replied');
      const trapped = await call(first, id, 'put_then_trap', ['b', 'lost']);
      expect(trapped).toMatchObject({ status: 'rejected', rejectMessage: expect.stringContaining('out of ink') });
      expect((await first.query(id, 'put_in_query', new Uint8Array(IDL.encode([IDL.Text, IDL.Text], ['c', 'lost'])), caller)).status).toBe('replied');
      expect(await keys(first, id)).toEqual(['a']);
      await first.close();

      const second = await open(dir);
      expect(second.install('notes', notes).toText()).toBe(id.toText());
      expect(await keys(second, id)).toEqual(['a']);
      await second.close();
    } finally {
      remove();
    }
  });

  test("commits a round's writes together: one commit for many concurrent calls", async () => {
    const replica = await open(state.dir);
    try {
      const id = replica.install('notes', notes);
      const commits = replica.stats.stateCommits;
      const rounds = replica.stats.rounds;
      await Promise.all(Array.from({ length: 200 }, (_, i) => call(replica, id, 'put', [`k${i}`, 'x'])));
      const roundsTaken = replica.stats.rounds - rounds;
      expect(replica.stats.stateCommits - commits).toBeLessThanOrEqual(roundsTaken);
      expect(roundsTaken).toBeLessThan(200);
      expect(await keys(replica, id)).toHaveLength(200);
    } finally {
      await replica.close();
    }
  });

  test('gives each canister the id it had, whatever the order of installation, and a new canister an id holding no state', async () => {
    const { dir, remove } = temporaryDir('icws-ids-');
    try {
      const first = await open(dir);
      const a = first.install('a', notes);
      const b = first.install('b', notes);
      await call(first, b, 'put', ['in b', 'x']);
      await first.close();

      const second = await open(dir);
      expect(second.install('c', notes).toText()).not.toBe(b.toText());
      expect(second.install('b', notes).toText()).toBe(b.toText());
      expect(second.install('a', notes).toText()).toBe(a.toText());
      expect(await keys(second, b)).toEqual(['in b']);
      await second.close();
    } finally {
      remove();
    }
  });

  test("upgrades in place: the old module's preUpgrade, then the new one's factory and postUpgrade, on the same stable memory", async () => {
    const { dir, remove } = temporaryDir('icws-upgrade-');
    const events: string[] = [];
    const version = (n: number, failPostUpgrade = false) =>
      defineCanister(() => {
        let heap = 0n;
        events.push(`v${n} factory`);
        return {
          bump: update([], [IDL.Nat], () => ++heap),
          heap: query([], [IDL.Nat], () => heap),
          version: query([], [IDL.Nat], () => BigInt(n)),
          ...upgradeHooks({
            preUpgrade: () => void events.push(`v${n} preUpgrade`),
            postUpgrade: () => {
              events.push(`v${n} postUpgrade`);
              if (failPostUpgrade) throw new Error('cannot migrate');
            },
          }),
        };
      });
    const read = async (replica: Replica, id: Principal, method: string) => {
      const outcome = await replica.query(id, method, none, caller);
      return outcome.status === 'replied' ? IDL.decode([IDL.Nat], outcome.reply)[0] : outcome.rejectMessage;
    };
    try {
      const replica = await open(dir);
      const id = replica.install('app', version(1));
      await replica.update(id, 'bump', none, caller);
      replica.upgrade(id, version(2));
      expect(events).toEqual(['v1 factory', 'v1 preUpgrade', 'v2 factory', 'v2 postUpgrade']);
      expect(await read(replica, id, 'version')).toBe(2n);
      expect(await read(replica, id, 'heap')).toBe(0n);

      expect(() => replica.upgrade(id, version(3, true))).toThrow(
        expect.objectContaining({ code: 'ICWS_ERR_UPGRADE', message: expect.stringContaining('keeps running its old module, its stable memory unchanged: postUpgrade threw: cannot migrate') }),
      );
      expect(await read(replica, id, 'version')).toBe(2n);
      await replica.close();
    } finally {
      remove();
    }
  });
});

describe('icws-replica --state-dir across restarts', () => {
  test('keeps canister ids, the root key and the subnet when the canisters are given in another order', async () => {
    const { dir, remove } = temporaryDir('icws-cli-ids-');
    const subnetOf = async (url: string) => {
      const agent = await HttpAgent.create({ host: url, shouldFetchRootKey: true });
      const { certificate } = await agent.readState({ canisterId: Principal.fromText('bkyz2-fmaaa-aaaaa-qaaaq-cai') }, { paths: [[new TextEncoder().encode('time')]] });
      const { delegation } = Cbor.decode<{ delegation: { subnet_id: Uint8Array } }>(new Uint8Array(certificate));
      return { rootKey: agent.rootKey, subnet: Principal.fromUint8Array(new Uint8Array(delegation.subnet_id)).toText() };
    };
    try {
      const base = ['--listen', '127.0.0.1:0', '--state-dir', dir];
      const first = await startCli([...base, '--canister', `first=${COUNTER}`, '--canister', `second=${COUNTER}`]);
      const ids = Object.fromEntries(first.lines.filter((l) => l.startsWith('canister ')).map((l) => l.split(' ').slice(1)));
      const counter = await actorOf<Counter>(first.url, ids.second, counterIdl);
      expect(await counter.increment()).toBe(1n);
      const keys = await subnetOf(first.url);
      await stop(first.child);

      const second = await startCli([...base, '--canister', `second=${COUNTER}`, '--canister', `first=${COUNTER}`]);
      try {
        expect(second.lines.slice(0, 2)).toEqual([`canister second ${ids.second}`, `canister first ${ids.first}`]);
        expect(await subnetOf(second.url)).toEqual(keys);
        expect(await (await actorOf<Counter>(second.url, ids.second, counterIdl)).get()).toBe(1n);
      } finally {
        await stop(second.child);
      }
    } finally {
      remove();
    }
  }, 30_000);

  test('starts a changed module as an upgrade: stable memory kept, heap new, postUpgrade run', async () => {
    const { dir, remove } = temporaryDir('icws-cli-upgrade-');
    const module = join(dir, 'counter.js');
    const args = ['--listen', '127.0.0.1:0', '--state-dir', join(dir, 'state'), '--canister', `counter=${module}`];
    try {
      writeCanister(module, versionedCounter('v1'));
      const first = await startCli(args);
      const id = first.lines[0].split(' ')[2];
      const v1 = await actorOf<Counter>(first.url, id, counterIdl);
      await v1.increment();
      await v1.increment();
      expect(await v1.hooks()).toEqual([]);
      await stop(first.child);

      writeCanister(module, versionedCounter('v2'));
      const second = await startCli(args);
      try {
        await lineMatching(second, new RegExp(`^upgraded to a changed module: canister counter ${id}, stable memory kept$`));
        const v2 = await actorOf<Counter>(second.url, id, counterIdl);
        expect(await v2.version()).toBe('v2');
        expect(await v2.get()).toBe(2n);
        // The old process is gone, so its preUpgrade could not run; the new module's postUpgrade did.
        expect(await v2.hooks()).toEqual(['postUpgrade of v2']);
      } finally {
        await stop(second.child);
      }
    } finally {
      remove();
    }
  }, 30_000);
});

describe('a stable collection reopened with other types', () => {
  test('traps the calls that use it, naming the collection and the fix; the canister still starts', async () => {
    const { dir, remove } = temporaryDir('icws-retyped-');
    try {
      const first = await open(dir);
      const id = first.install('notes', notes);
      await call(first, id, 'put', ['a', 'text']);
      await first.close();

      const retyped: CanisterDefinition = defineCanister((ic) => {
        const byKey = StableMap.open(ic, 'notes', IDL.Text, IDL.Nat);
        return {
          keys: query([], [IDL.Vec(IDL.Text)], () => [...byKey.keys()]),
          ping: query([], [IDL.Text], () => 'pong'),
        };
      });
      const lines: string[] = [];
      const second = await Replica.create({ stateDir: dir, signer: 'inline', verifier: 'inline', log: (line) => lines.push(line) });
      second.install('notes', retyped);
      expect(lines).toContain(
        '[notes] stable collection "notes" holds StableMap<text, text> but is opened as StableMap<text, nat>: ' +
          'open it with the types it was created with, or give the new types a new collection name (and copy the entries over in postUpgrade)',
      );
      const outcome = await second.query(id, 'keys', none, caller);
      expect(outcome).toMatchObject({ status: 'rejected', rejectCode: 5, rejectMessage: expect.stringContaining('stable collection "notes" holds StableMap<text, text>') });
      expect((await second.query(id, 'ping', none, caller)).status).toBe('replied');
      await second.close();
    } finally {
      remove();
    }
  });
});

describe('a state directory whose key files were replaced', () => {
  test('refuses to start, naming the key file', async () => {
    const { dir, remove } = temporaryDir('icws-keys-');
    const other = temporaryDir('icws-other-keys-');
    try {
      await (await open(dir)).close();
      await (await open(other.dir)).close();
      const rootKey = readFileSync(join(dir, 'root-key.secret'));
      copyFileSync(join(other.dir, 'root-key.secret'), join(dir, 'root-key.secret'));
      await expect(open(dir)).rejects.toMatchObject({
        code: 'ICWS_ERR_STATE_DIR',
        message: expect.stringContaining(`${join(dir, 'root-key.secret')} is not the root key ${join(dir, 'state.sqlite')} was made with`),
      });
      writeFileSync(join(dir, 'root-key.secret'), rootKey);
      await (await open(dir)).close();
    } finally {
      remove();
      other.remove();
    }
  });
});
