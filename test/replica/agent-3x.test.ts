/**
 * The replica speaks the IC HTTP interface of the 3.x agents: stock @dfinity/agent 3.x code, with
 * its default checks (root key, certificates, query signatures), works against it unchanged. The
 * replica's own API speaks @icp-sdk/core's types; this test's principals and IDL are 3.x's.
 */
import { Actor, Certificate, type Identity, HttpAgent, lookupResultToBuffer, LookupPathStatus, RejectError, type ActorSubclass } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { DelegationChain, DelegationIdentity, ECDSAKeyIdentity, Ed25519KeyIdentity } from '@dfinity/identity';
import { Secp256k1KeyIdentity } from '@dfinity/identity-secp256k1';
import { Principal } from '@dfinity/principal';
import { Principal as ReplicaPrincipal } from '@icp-sdk/core/principal';
import { startReplica, type RunningReplica } from '@icws/replica';
import certifiedVariable, { certifiedBytes } from '../../examples/certified-variable/canister';
import counter from '../../examples/counter/canister';
import { InThreadSignatureVerifier } from '../../packages/replica/src/envelope/signature-verifier';

const counterIdl: IDL.InterfaceFactory = ({ IDL: I }) =>
  I.Service({
    increment: I.Func([], [I.Nat], []),
    add: I.Func([I.Nat], [I.Nat], []),
    get: I.Func([], [I.Nat], ['query']),
    whoami: I.Func([], [I.Principal], ['query']),
    fail: I.Func([I.Text], [], []),
    missing: I.Func([], [], ['query']),
  });
const certifiedIdl: IDL.InterfaceFactory = ({ IDL: I }) =>
  I.Service({
    set: I.Func([I.Nat32], [], []),
    get: I.Func([], [I.Record({ value: I.Nat32, certificate: I.Opt(I.Vec(I.Nat8)) })], ['query']),
  });

interface Counter {
  increment(): Promise<bigint>;
  add(n: bigint): Promise<bigint>;
  get(): Promise<bigint>;
  whoami(): Promise<Principal>;
  fail(reason: string): Promise<void>;
  missing(): Promise<void>;
}

let running: RunningReplica;
let counterId: Principal;
let certifiedId: Principal;

beforeAll(async () => {
  running = await startReplica({ port: 0, canisters: [{ name: 'counter', module: counter }, { name: 'certified', module: certifiedVariable }], log: () => undefined });
  counterId = Principal.fromText(running.canisterIds.counter.toText());
  certifiedId = Principal.fromText(running.canisterIds.certified.toText());
});
afterAll(() => running.close());

/** A default agent, as an application would make it for a local replica. */
function agentFor(identity?: Identity): Promise<HttpAgent> {
  return HttpAgent.create({ host: running.url.origin, identity, shouldFetchRootKey: true });
}

function counterActor(agent: HttpAgent): ActorSubclass<Counter> {
  return Actor.createActor<Counter>(counterIdl, { agent, canisterId: counterId });
}

describe('a stock HttpAgent and Actor', () => {
  test('fetch the root key the replica serves in /api/v2/status', async () => {
    const agent = await agentFor();
    expect(agent.rootKey).toEqual(running.replica.rootKey.der);
  });

  test('call update methods and read queries with query signatures checked', async () => {
    const actor = counterActor(await agentFor(Ed25519KeyIdentity.generate()));
    const before = await actor.get();
    expect(await actor.increment()).toBe(before + 1n);
    expect(await actor.add(41n)).toBe(before + 42n);
    expect(await actor.get()).toBe(before + 42n);
  });

  test.each([
    ['Ed25519', async () => Ed25519KeyIdentity.generate()],
    ['ECDSA secp256k1', async () => Secp256k1KeyIdentity.generate()],
    ['ECDSA P-256', async () => ECDSAKeyIdentity.generate()],
  ])('see the caller signed with %s as ic.caller()', async (_name, makeIdentity) => {
    const identity = await makeIdentity();
    const actor = counterActor(await agentFor(identity));
    expect((await actor.whoami()).toText()).toBe(identity.getPrincipal().toText());
    await expect(actor.increment()).resolves.toEqual(expect.any(BigInt));
  });

  test('call as a DelegationIdentity (an Internet Identity style session)', async () => {
    const root = Ed25519KeyIdentity.generate();
    const session = Ed25519KeyIdentity.generate();
    const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() + 60_000), { targets: [counterId] });
    const identity = DelegationIdentity.fromDelegation(session, chain);
    const actor = counterActor(await agentFor(identity));
    expect((await actor.whoami()).toText()).toBe(root.getPrincipal().toText());
    await expect(actor.increment()).resolves.toEqual(expect.any(BigInt));
  });

  test('get a certified reject when a method throws', async () => {
    const actor = counterActor(await agentFor());
    const error = await actor.fail('out of coffee').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RejectError);
    const reject = error as RejectError;
    expect(reject.message).toContain(`Canister ${counterId.toText()} trapped: out of coffee`);
    expect(reject.cause.code).toMatchObject({ rejectCode: 5, rejectErrorCode: 'IC0503' });
  });

  test('get a signed reject when a query method does not exist', async () => {
    const actor = counterActor(await agentFor());
    const error = (await actor.missing().catch((err: unknown) => err)) as RejectError;
    expect(error).toBeInstanceOf(RejectError);
    expect(error.message).toContain(`Canister ${counterId.toText()} has no query method 'missing'`);
  });
});

describe('certified data', () => {
  test('a query returns a certificate for the value that Certificate and the tree lookup verify', async () => {
    const agent = await agentFor();
    const actor = Actor.createActor<{ set(v: number): Promise<void>; get(): Promise<{ value: number; certificate: [] | [Uint8Array] }> }>(certifiedIdl, { agent, canisterId: certifiedId });
    await actor.set(1234);
    const { value, certificate } = await actor.get();
    expect(value).toBe(1234);
    expect(certificate).toHaveLength(1);

    const verified = await Certificate.create({ certificate: certificate[0]!, rootKey: agent.rootKey!, canisterId: certifiedId });
    const data = verified.lookup_path(['canister', certifiedId.toUint8Array(), 'certified_data']);
    expect(data.status).toBe(LookupPathStatus.Found);
    expect(lookupResultToBuffer(data)).toEqual(certifiedBytes(1234));
  });

  test('a certificate whose tree was altered does not verify', async () => {
    const agent = await agentFor();
    const actor = Actor.createActor<{ get(): Promise<{ value: number; certificate: [] | [Uint8Array] }> }>(certifiedIdl, { agent, canisterId: certifiedId });
    const { certificate } = await actor.get();
    const tampered = Uint8Array.from(certificate[0]!);
    const at = Buffer.from(tampered).indexOf(Buffer.from(certifiedBytes(1234)));
    expect(at).toBeGreaterThan(0);
    tampered[at] ^= 1;
    await expect(Certificate.create({ certificate: tampered, rootKey: agent.rootKey!, canisterId: certifiedId })).rejects.toThrow(/signature/i);
  });
});

describe('rounds', () => {
  test('a round signs ONE certificate however many calls it executes', async () => {
    const { replica } = running;
    await replica.certificate({ canisters: [], requestIds: [], subnet: false });
    const before = { ...replica.stats };
    const anonymous = ReplicaPrincipal.anonymous();
    const calls = Array.from({ length: 200 }, () => replica.update(running.canisterIds.counter, 'increment', new Uint8Array(IDL.encode([], [])), anonymous));
    const outcomes = await Promise.all(calls);
    const replies = outcomes.map((o) => (o.status === 'replied' ? (IDL.decode([IDL.Nat], o.reply)[0] as bigint) : -1n));
    expect(replies.slice(1).every((n, i) => n === replies[i] + 1n)).toBe(true);
    expect(replica.stats.updatesExecuted - before.updatesExecuted).toBe(200);
    expect(replica.stats.rounds - before.rounds).toBe(1);
    expect(replica.stats.certificatesSigned - before.certificatesSigned).toBe(1);
  });

  test('concurrent agent calls share rounds', async () => {
    const actor = counterActor(await agentFor());
    const before = { ...running.replica.stats };
    await Promise.all(Array.from({ length: 40 }, () => actor.increment()));
    const signed = running.replica.stats.certificatesSigned - before.certificatesSigned;
    expect(signed).toBeGreaterThan(0);
    expect(signed).toBeLessThan(40);
  });
});

describe('signature verification', () => {
  test('a verifier of yours checks the envelopes, and the replica leaves it open when it closes', async () => {
    const inThread = new InThreadSignatureVerifier();
    const checked: number[] = [];
    const close = jest.fn(async () => undefined);
    const own = await startReplica({
      port: 0,
      canisters: [{ name: 'counter', module: counter }],
      log: () => undefined,
      verifier: {
        verify(items) {
          checked.push(items.length);
          return inThread.verify(items);
        },
        close,
      },
    });
    try {
      const agent = await HttpAgent.create({ host: own.url.origin, identity: Ed25519KeyIdentity.generate(), shouldFetchRootKey: true });
      const actor = Actor.createActor<Counter>(counterIdl, { agent, canisterId: own.canisterIds.counter.toText() });
      await expect(actor.increment()).resolves.toBe(1n);
      expect(checked.length).toBeGreaterThan(0);
    } finally {
      await own.close();
    }
    expect(close).not.toHaveBeenCalled();
  });

  test('answers byte-identical query envelopes sent at once, each with its own verified reply', async () => {
    const identity = Ed25519KeyIdentity.generate();
    const actor = counterActor(await agentFor(identity));
    // Agents round the expiry of queries and send no nonce, so these envelopes are byte-identical;
    // the replica's cache of validated bodies (unit-tested beside it) must not confuse their answers.
    const [a, b] = await Promise.all([actor.whoami(), actor.whoami()]);
    expect(a.toText()).toBe(identity.getPrincipal().toText());
    expect(b.toText()).toBe(a.toText());
  });
});
