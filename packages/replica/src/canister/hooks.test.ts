/** `ic.onCommit` and `ic.onRollback`: how a library keeps its state in step with a message's fate. */
import { Cbor, lookup_path, LookupPathStatus, type HashTree } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { TestClock } from '../clock';
import { Replica } from '../replica';
import { defineCanister, query, update } from '@icws/backend-cdk';

const caller = Principal.fromText('2vxsx-fae');
const none = new Uint8Array(IDL.encode([], []));

/** A canister that logs which of its hooks ran, in order. */
const hooked = defineCanister((ic, log: string[]) => ({
  ok: update([], [], () => {
    ic.onRollback(() => log.push('undo 1'));
    ic.onRollback(() => log.push('undo 2'));
    ic.onCommit(() => {
      log.push('commit 1');
      ic.onCommit(() => log.push('commit 2, registered by commit 1'));
      ic.setCertifiedData(new Uint8Array([1]));
    });
    log.push('body');
  }),
  trap: update([], [], () => {
    ic.onRollback(() => log.push('undo 1'));
    ic.onRollback(() => log.push('undo 2'));
    ic.onCommit(() => log.push('commit'));
    throw new Error('trap');
  }),
  commitTraps: update([], [], () => {
    ic.onRollback(() => log.push('undo'));
    ic.onCommit(() => {
      throw new Error('commit failed');
    });
  }),
  read: query([], [], () => {
    ic.onRollback(() => log.push('undo in query'));
    ic.onCommit(() => log.push('commit in query'));
  }),
}));

describe('canister hooks', () => {
  let replica: Replica;
  let id: Principal;
  let log: string[];
  beforeEach(async () => {
    replica = await Replica.create({ clock: new TestClock(), signer: 'inline', log: () => undefined });
    log = [];
    id = replica.install('hooked', hooked, { init: log });
  });
  afterEach(() => replica.close());

  it('run commit callbacks after the body of an update, where they may still certify data', async () => {
    expect(await replica.update(id, 'ok', none, caller)).toMatchObject({ status: 'replied' });
    expect(log).toEqual(['body', 'commit 1', 'commit 2, registered by commit 1']);
    const { tree } = Cbor.decode<{ tree: HashTree }>(await replica.certificate({ canisters: [id], requestIds: [], subnet: false }));
    expect(lookup_path(['canister', id.toUint8Array(), 'certified_data'], tree)).toEqual({ status: LookupPathStatus.Found, value: new Uint8Array([1]) });
  });

  it('run rollback callbacks, newest first, when the message traps; commit callbacks do not run', async () => {
    expect(await replica.update(id, 'trap', none, caller)).toMatchObject({ status: 'rejected', errorCode: 'IC0503' });
    expect(log).toEqual(['undo 2', 'undo 1']);
  });

  it('trap the message when a commit callback throws, rolling it back', async () => {
    expect(await replica.update(id, 'commitTraps', none, caller)).toMatchObject({ status: 'rejected', rejectMessage: expect.stringContaining('commit failed') });
    expect(log).toEqual(['undo']);
  });

  it('roll back every query, whose effects are discarded as on the IC', async () => {
    expect(await replica.query(id, 'read', none, caller)).toMatchObject({ status: 'replied' });
    expect(log).toEqual(['undo in query']);
  });
});
