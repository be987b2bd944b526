/**
 * `ic.setCertifiedDataSource`: certified data read once per round, after the round's last
 * message, however many messages of the round set it.
 */
import { Cbor, lookup_path, LookupPathStatus, type HashTree } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { defineCanister, query, update } from '@icws/backend-cdk';
import { TestClock } from '../clock';
import { Replica } from '../replica';

const caller = Principal.anonymous();
const none = new Uint8Array(IDL.encode([], []));

/** Counts its `bump` calls; certifies the count through a source that records each time it is read. */
const counter = defineCanister((ic, reads: number[]) => {
  let count = 0;
  const source = (): Uint8Array => {
    reads.push(count);
    return Uint8Array.of(count);
  };
  return {
    bump: update([], [], () => {
      count++;
      ic.setCertifiedDataSource!(source);
    }),
    bumpAndTrap: update([], [], () => {
      ic.setCertifiedDataSource!(() => Uint8Array.of(99));
      throw new Error('trap');
    }),
    broken: update([], [], () => ic.setCertifiedDataSource!(() => new Uint8Array(33))),
    exact: update([IDL.Nat8], [], (n) => ic.setCertifiedData(Uint8Array.of(Number(n)))),
    inQuery: query([], [], () => ic.setCertifiedDataSource!(source)),
  };
});

describe('ic.setCertifiedDataSource', () => {
  let replica: Replica;
  let id: Principal;
  let reads: number[];
  let logged: string[];
  beforeEach(async () => {
    logged = [];
    replica = await Replica.create({ clock: new TestClock(), signer: 'inline', verifier: 'inline', log: (line) => logged.push(line) });
    reads = [];
    id = replica.install('counter', counter, { init: reads });
  });
  afterEach(() => replica.close());

  async function certifiedData(): Promise<Uint8Array | undefined> {
    const { tree } = Cbor.decode<{ tree: HashTree }>(await replica.certificate({ canisters: [id], requestIds: [], subnet: false }));
    const found = lookup_path(['canister', id.toUint8Array(), 'certified_data'], tree);
    return found.status === LookupPathStatus.Found ? found.value : undefined;
  }

  it('reads the source once for a round of many messages, after the last of them', async () => {
    await Promise.all(Array.from({ length: 20 }, () => replica.update(id, 'bump', none, caller)));
    expect(reads).toEqual([20]);
    expect(await certifiedData()).toEqual(Uint8Array.of(20));
  });

  it('does not read it again in rounds where no message set it', async () => {
    await replica.update(id, 'bump', none, caller);
    await replica.tick();
    await replica.tick();
    expect(reads).toEqual([1]);
  });

  it('discards the source of a message that traps, like its other effects', async () => {
    await replica.update(id, 'bump', none, caller);
    expect(await replica.update(id, 'bumpAndTrap', none, caller)).toMatchObject({ status: 'rejected' });
    expect(await certifiedData()).toEqual(Uint8Array.of(1));
  });

  it('is replaced by bytes set later', async () => {
    await replica.update(id, 'bump', none, caller);
    await replica.update(id, 'exact', new Uint8Array(IDL.encode([IDL.Nat8], [7])), caller);
    expect(await certifiedData()).toEqual(Uint8Array.of(7));
  });

  it('logs a source that gives more than 32 bytes and keeps the data as it was', async () => {
    await replica.update(id, 'bump', none, caller);
    expect(await replica.update(id, 'broken', none, caller)).toMatchObject({ status: 'replied' });
    expect(await certifiedData()).toEqual(Uint8Array.of(1));
    expect(logged.join('\n')).toMatch(/\[counter\] the certified data source failed: certified data is at most 32 bytes, got 33/);
  });

  it('traps in a query', async () => {
    expect(await replica.query(id, 'inQuery', none, caller)).toMatchObject({ status: 'rejected', rejectMessage: expect.stringContaining('cannot be called in a query') });
  });
});
