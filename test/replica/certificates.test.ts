/**
 * The replica's certificates are mainnet-shaped by default: signed by the subnet key, with the root
 * key's delegation to the subnet (its key and canister ranges in both layouts); `flat` signs with
 * the root key as a local IC SDK replica. Stock agents verify both.
 */
import { Actor, Cbor, Certificate, HttpAgent, lookup_path, lookup_subtree, lookupResultToBuffer, flatten_forks, LookupPathStatus, type HashTree } from '@icp-sdk/core/agent';
import type { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { startReplica, type RunningReplica } from '@icws/replica';
import counter from '../../examples/counter/canister';

interface Cert {
  tree: HashTree;
  signature: Uint8Array;
  delegation?: { subnet_id: Uint8Array; certificate: Uint8Array };
}
const utf8 = (s: string) => new TextEncoder().encode(s);
const decode = (bytes: Uint8Array) => Cbor.decode<Cert>(new Uint8Array(bytes));
const idl: IDL.InterfaceFactory = ({ IDL: I }) =>
  I.Service({ increment: I.Func([], [I.Nat], []), get: I.Func([], [I.Nat], ['query']) });
const rangesText = (value: Uint8Array) =>
  Cbor.decode<Array<[Uint8Array, Uint8Array]>>(new Uint8Array(value)).map(([a, b]) => [Principal.fromUint8Array(new Uint8Array(a)).toText(), Principal.fromUint8Array(new Uint8Array(b)).toText()]);
const LOCAL_RANGE = ['bnz7o-iuaaa-aaaaa-qaaaa-cai', '5g7ff-34aaa-aaaaa-7777q-cai'];
const PINNED = 'rrkah-fqaaa-aaaaa-aaaaq-cai';

async function exercise(running: RunningReplica, canisterId: Principal): Promise<Uint8Array> {
  const agent = await HttpAgent.create({ host: running.url.origin, shouldFetchRootKey: true });
  const actor = Actor.createActor<{ increment(): Promise<bigint>; get(): Promise<bigint> }>(idl, { agent, canisterId });
  expect(await actor.increment()).toBe(1n);
  expect(await actor.get()).toBe(1n); // the reply's node signature is checked against the subnet's node keys
  const { certificate } = await agent.readState({ canisterId }, { paths: [[utf8('time')]] });
  await Certificate.create({ certificate, rootKey: agent.rootKey!, principal: { canisterId } });
  return certificate;
}

describe('delegated certificates (the default)', () => {
  let running: RunningReplica;
  beforeAll(async () => {
    running = await startReplica({ port: 0, canisters: [{ name: 'counter', module: counter }, { name: 'pinned', module: counter, id: PINNED }], log: () => undefined });
  });
  afterAll(() => running.close());

  test.each(['counter', 'pinned'])('a stock agent (@dfinity/agent 3 and @icp-sdk/core 6) verifies calls, queries and read_state of %s', async (name) => {
    const certificate = await exercise(running, running.canisterIds[name]!);
    expect(decode(certificate).delegation).toBeDefined();
  });

  test('every certificate carries the root key delegation to the subnet, with its key and canister ranges in both layouts', async () => {
    const { replica } = running;
    const cert = decode(await replica.certificate({ canisters: [running.canisterIds.counter!], requestIds: [], subnet: false }));
    const subnetId = replica.subnetId.toUint8Array();
    expect(Principal.fromUint8Array(new Uint8Array(cert.delegation!.subnet_id)).toText()).toBe(replica.subnetId.toText());
    expect(replica.subnetId.toText()).toBe(Principal.selfAuthenticating(replica.subnetKey.der).toText());
    expect(replica.subnetId.toText()).not.toBe(Principal.selfAuthenticating(replica.rootKey.der).toText());

    const inner = decode(cert.delegation!.certificate);
    expect(inner.delegation).toBeUndefined();
    await Certificate.create({ certificate: cert.delegation!.certificate, rootKey: replica.rootKey.der, principal: { canisterId: running.canisterIds.counter! } });
    expect(lookup_path(['subnet', subnetId, 'public_key'], inner.tree)).toEqual({ status: LookupPathStatus.Found, value: replica.subnetKey.der });
    const older = { value: lookupResultToBuffer(lookup_path(['subnet', subnetId, 'canister_ranges'], inner.tree)) };
    expect(rangesText(older.value as Uint8Array)).toEqual([LOCAL_RANGE, [PINNED, PINNED]].sort(([a], [b]) => (Principal.fromText(a!).compareTo(Principal.fromText(b!)) === 'lt' ? -1 : 1)));
    const shards = lookup_subtree(['canister_ranges', subnetId], inner.tree);
    const [shard, ...more] = flatten_forks((shards as { value: HashTree }).value) as Array<[number, Uint8Array, [number, Uint8Array]]>;
    expect(more).toHaveLength(0);
    expect(rangesText(shard![2][1])).toEqual(rangesText(older.value as Uint8Array));
    expect(Principal.fromUint8Array(new Uint8Array(shard![1])).toText()).toBe(rangesText(older.value as Uint8Array)[0]![0]);
  });

  test('the subnet state names the node key under the delegated subnet', async () => {
    const { replica } = running;
    const cert = decode(await replica.certificate({ canisters: [], requestIds: [], subnet: true }));
    const path = ['subnet', replica.subnetId.toUint8Array(), 'node', replica.nodeKey.nodeId.toUint8Array(), 'public_key'];
    expect(lookup_path(path, cert.tree)).toEqual({ status: LookupPathStatus.Found, value: replica.nodeKey.publicKeyDer });
    expect(lookup_path(['subnet', replica.subnetId.toUint8Array(), 'public_key'], cert.tree)).toEqual({ status: LookupPathStatus.Found, value: replica.subnetKey.der });
  });
});

describe('flat certificates', () => {
  let running: RunningReplica;
  beforeAll(async () => {
    running = await startReplica({ port: 0, certificates: 'flat', canisters: [{ name: 'counter', module: counter }], log: () => undefined });
  });
  afterAll(() => running.close());

  test('are signed by the root key without a delegation, and stock agents verify them', async () => {
    const certificate = await exercise(running, running.canisterIds.counter!);
    expect(decode(certificate).delegation).toBeUndefined();
    expect(running.replica.certificateMode).toBe('flat');
    expect(running.replica.subnetKey).toBe(running.replica.rootKey);
    expect(running.replica.subnetId.toText()).toBe(Principal.selfAuthenticating(running.replica.rootKey.der).toText());
  });
});
