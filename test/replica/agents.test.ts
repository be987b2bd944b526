/**
 * Every generation of the IC agent that applications use works against the replica at its default
 * settings (root key fetched, certificates and query signatures checked): `@icp-sdk/core` 6
 * (v4 calls, v3 queries and read_state), `@dfinity/agent` 3.x (v3 calls, v2 queries and read_state)
 * and `@dfinity/agent` 2.x, which the upstream `ic-websocket-js` client uses.
 */
import * as sdkAgent from '@icp-sdk/core/agent';
import * as sdkCandid from '@icp-sdk/core/candid';
import * as sdkPrincipal from '@icp-sdk/core/principal';
import * as agent3 from '@dfinity/agent';
import * as candid3 from '@dfinity/candid';
import * as principal3 from '@dfinity/principal';
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { startReplica, type RunningReplica } from '@icws/replica';
import counter from '../../examples/counter/canister';
import { post, signedEnvelope } from '../support/envelopes';
import { loadUpstream } from '../support/upstream-client';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The ICP ledger's id: agents sync their clock with a read_state of `time` against it by default. */
const LEDGER_ID = 'ryjl3-tyaaa-aaaaa-aaaba-cai';
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** One generation of the agent: its modules and the few calls whose shape changed between them. */
interface AgentKit {
  readonly name: string;
  /** The endpoints its calls, queries and read_states go to. */
  readonly endpoints: { call: string; query: string; readState: string };
  readonly agent: Any;
  readonly IDL: Any;
  readonly Principal: Any;
  /** The class of the error an actor throws when the canister rejects an update call. */
  readonly RejectError: Any;
  /** An identity of `@icp-sdk/core/identity` made usable by this agent. */
  identity(identity: Any): Any;
  /** `Certificate.create` named the principal `canisterId` up to 3.x and `principal: {canisterId}` since 5. */
  certificateTarget(canisterId: Any): Record<string, unknown>;
}

const KITS: readonly AgentKit[] = [
  {
    name: '@icp-sdk/core 6',
    endpoints: { call: 'v4', query: 'v3', readState: 'v3' },
    agent: sdkAgent,
    IDL: sdkCandid.IDL,
    Principal: sdkPrincipal.Principal,
    RejectError: sdkAgent.RejectError,
    identity: (identity) => identity,
    certificateTarget: (canisterId) => ({ principal: { canisterId } }),
  },
  {
    name: '@dfinity/agent 3',
    endpoints: { call: 'v3', query: 'v2', readState: 'v2' },
    agent: agent3,
    IDL: candid3.IDL,
    Principal: principal3.Principal,
    RejectError: agent3.RejectError,
    identity: (identity) => identity,
    certificateTarget: (canisterId) => ({ canisterId }),
  },
  (() => {
    const upstream = loadUpstream();
    return {
      name: '@dfinity/agent 2',
      endpoints: { call: 'v3', query: 'v2', readState: 'v2' },
      agent: upstream.agent,
      IDL: upstream.candid.IDL,
      Principal: upstream.principal.Principal,
      // 2.x's AgentError, the parent of UpdateCallRejectedError (not exported by itself), resets
      // the prototype of its subclasses' instances to its own.
      RejectError: Object.getPrototypeOf(upstream.agent.ActorCallError),
      identity: forAgent2,
      certificateTarget: (canisterId: Any) => ({ canisterId }),
    };
  })(),
];

/**
 * @returns `identity` (of `@icp-sdk/core`) for `@dfinity/agent` 2, whose requests hold ArrayBuffers
 *   and an `Expiry` whose hash input is an ArrayBuffer, which newer request-id code would hash as
 *   maps: the content (read_state paths included) is handed to the identity with those as
 *   Uint8Arrays, which agent 2 encodes as before.
 */
function forAgent2(identity: Any): Any {
  const modern = (value: Any): Any => {
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    if (Array.isArray(value)) return value.map(modern);
    if (value !== null && typeof value === 'object' && typeof value.toHash === 'function') {
      return Object.assign(Object.create(value), { toHash: () => new Uint8Array(value.toHash()) });
    }
    return value;
  };
  return {
    getPrincipal: () => identity.getPrincipal(),
    transformRequest: (request: Any) =>
      identity.transformRequest({ ...request, body: Object.fromEntries(Object.entries(request.body).map(([key, value]) => [key, modern(value)])) }),
  };
}

/** What the replica answered, by method and path. */
interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

let running: RunningReplica;
let counterId: string;

beforeAll(async () => {
  running = await startReplica({ port: 0, canisters: [{ name: 'counter', module: counter }], log: () => undefined });
  counterId = running.canisterIds.counter.toText();
});
afterAll(() => running.close());

/** @returns a fetch that records each exchange with the replica in `log`. */
function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    log.push({ method: init?.method ?? (input instanceof Request ? input.method : 'GET'), path: url.pathname, status: response.status });
    return response;
  };
}

/** A default agent of `kit`, as an application makes it for a local network. */
async function agentOf(kit: AgentKit, log: Exchange[], identity?: Any, options: Record<string, unknown> = {}): Promise<Any> {
  return kit.agent.HttpAgent.create({ host: running.url.origin, identity, shouldFetchRootKey: true, fetch: recordingFetch(log), ...options });
}

function counterActor(kit: AgentKit, agent: Any): Any {
  const factory = ({ IDL }: { IDL: Any }) =>
    IDL.Service({
      increment: IDL.Func([], [IDL.Nat], []),
      get: IDL.Func([], [IDL.Nat], ['query']),
      whoami: IDL.Func([], [IDL.Principal], ['query']),
      fail: IDL.Func([IDL.Text], [], []),
    });
  return kit.agent.Actor.createActor(factory, { agent, canisterId: counterId });
}

describe.each(KITS)('a stock $name HttpAgent and Actor at default settings', (kit) => {
  test('fetch the root key, call an update method and read a query, at the endpoints of their generation', async () => {
    const log: Exchange[] = [];
    const agent = await agentOf(kit, log, kit.identity(Ed25519KeyIdentity.generate()));
    expect(Uint8Array.from(agent.rootKey)).toEqual(Uint8Array.from(running.replica.rootKey.der));
    const actor = counterActor(kit, agent);
    const before: bigint = await actor.get();
    expect(await actor.increment()).toBe(before + 1n);
    expect(await actor.get()).toBe(before + 1n);

    const { call, query } = kit.endpoints;
    expect(log).toContainEqual({ method: 'POST', path: `/api/${call}/canister/${counterId}/call`, status: 200 });
    expect(log).toContainEqual({ method: 'POST', path: `/api/${query}/canister/${counterId}/query`, status: 200 });
    expect(log.filter(({ status }) => status >= 400)).toEqual([]);
  });

  test('read a certificate with read_state that Certificate.create verifies', async () => {
    const log: Exchange[] = [];
    const agent = await agentOf(kit, log);
    const canisterId = kit.Principal.fromText(counterId);
    const path = [utf8('canister'), canisterId.toUint8Array(), utf8('certified_data')];
    const { certificate } = await agent.readState(canisterId, { paths: [path] });
    const verified = await kit.agent.Certificate.create({ certificate, rootKey: agent.rootKey, ...kit.certificateTarget(canisterId) });

    const lookup = (labels: Any[]) => kit.agent.lookupResultToBuffer((verified.lookup_path ?? verified.lookup).call(verified, labels));
    expect(lookup(['time'])).toBeDefined();
    expect(lookup(path)).toBeDefined();
    expect(log).toContainEqual({ method: 'POST', path: `/api/${kit.endpoints.readState}/canister/${counterId}/read_state`, status: 200 });
  });

  test("reach the caller with the canister's reject message as the agent's reject error", async () => {
    const actor = counterActor(kit, await agentOf(kit, []));
    const error = await actor.fail('out of coffee').then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(kit.RejectError);
    expect((error as Error).message).toContain(`Canister ${counterId} trapped: out of coffee`);
  });

  test('call as a DelegationIdentity, whose root principal the canister sees as the caller', async () => {
    const root = Ed25519KeyIdentity.generate();
    const session = Ed25519KeyIdentity.generate();
    const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() + 60_000), {
      targets: [sdkPrincipal.Principal.fromText(counterId)],
    });
    const actor = counterActor(kit, await agentOf(kit, [], kit.identity(DelegationIdentity.fromDelegation(session, chain))));
    expect((await actor.whoami()).toText()).toBe(root.getPrincipal().toText());
    await expect(actor.increment()).resolves.toEqual(expect.any(BigInt));
  });
});

describe('an asynchronous call', () => {
  test('@icp-sdk/core 6 with callSync off gets 202 at /api/v2 and polls request_status with read_state', async () => {
    const log: Exchange[] = [];
    const agent = await agentOf(KITS[0], log, Ed25519KeyIdentity.generate());
    const canisterId = sdkPrincipal.Principal.fromText(counterId);
    const { IDL } = sdkCandid;
    const before = IDL.decode([IDL.Nat], (await agent.query(canisterId, { methodName: 'get', arg: IDL.encode([], []) })).reply.arg)[0] as bigint;
    const { reply } = await agent.update(canisterId, { methodName: 'increment', arg: IDL.encode([], []), callSync: false });
    expect(IDL.decode([IDL.Nat], reply)[0]).toBe(before + 1n);
    expect(log).toContainEqual({ method: 'POST', path: `/api/v2/canister/${counterId}/call`, status: 202 });
    expect(log).toContainEqual({ method: 'POST', path: `/api/v3/canister/${counterId}/read_state`, status: 200 });
  });
});

describe("an agent's time sync", () => {
  test(`@dfinity/agent 2 syncs its clock with a read_state of time against ${LEDGER_ID}, which the replica does not host`, async () => {
    const { agent: upstream } = loadUpstream();
    const log: Exchange[] = [];
    const agent = await upstream.HttpAgent.create({ host: running.url.origin, shouldFetchRootKey: true, fetch: recordingFetch(log) });
    const timeSync = log.filter(({ path }) => path === `/api/v2/canister/${LEDGER_ID}/read_state`);
    expect(timeSync.length).toBeGreaterThan(0);
    expect(timeSync.every(({ status }) => status === 200)).toBe(true);

    log.length = 0;
    await agent.syncTime();
    expect(log).toContainEqual({ method: 'POST', path: `/api/v2/canister/${LEDGER_ID}/read_state`, status: 200 });
  });

  test('@icp-sdk/core 6 syncs its clock by default against the ledger id, and with the subnet when asked', async () => {
    const log: Exchange[] = [];
    const agent = await agentOf(KITS[0], log);
    await agent.syncTime();
    expect(agent.hasSyncedTime()).toBe(true);
    expect(log).toContainEqual({ method: 'POST', path: `/api/v3/canister/${LEDGER_ID}/read_state`, status: 200 });

    log.length = 0;
    await agent.syncTime({ subnetId: sdkPrincipal.Principal.fromText(running.replica.subnetId.toText()) });
    expect(log).toContainEqual({ method: 'POST', path: `/api/v3/subnet/${running.replica.subnetId.toText()}/read_state`, status: 200 });
  });

  test('a read_state of anything but time on a canister the replica does not host is still refused', async () => {
    // Refusals are retried by default; once is enough to see this one.
    const agent = await agentOf(KITS[0], [], undefined, { retryTimes: 0 });
    const ledger = sdkPrincipal.Principal.fromText(LEDGER_ID);
    const error = await agent
      .readState(ledger, { paths: [[utf8('canister'), ledger.toUint8Array(), utf8('certified_data')]] })
      .then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(sdkAgent.AgentError);
    expect(String((error as Error).message)).toContain('ICWS_ERR_CANISTER_NOT_FOUND');
  });
});

describe('the subnet read_state', () => {
  test("@icp-sdk/core 6's SubnetStatus reads the subnet's time, public key and node keys", async () => {
    const agent = await agentOf(KITS[0], []);
    const subnetId = sdkPrincipal.Principal.fromText(running.replica.subnetId.toText());
    const status = await sdkAgent.SubnetStatus.request({ subnetId, agent, paths: ['time', 'publicKey', 'nodeKeys'] });
    expect(status.get('time')).toBeInstanceOf(Date);
    expect(status.get('publicKey')).toBeInstanceOf(Uint8Array);
    const nodeKeys = status.get('nodeKeys') as Map<string, Uint8Array>;
    expect([...nodeKeys.keys()]).toContain(running.replica.nodeKey.nodeId.toText());
  });
});

describe('the refusals of the subnet read_state', () => {
  const identity = new sdkAgent.AnonymousIdentity();
  const subnetUrl = (subnetId: string) => `/api/v3/subnet/${subnetId}/read_state`;

  test("a subnet id other than the replica's with 400 naming the replica's subnet", async () => {
    const other = principal3.Principal.fromUint8Array(new Uint8Array(29).fill(7)).toText();
    const body = await signedEnvelope(identity, { request_type: 'read_state', paths: [[utf8('time')]] });
    const response = await post(running.url, subnetUrl(other), body);
    expect(response.status).toBe(400);
    expect(response.errorCode).toBe('ICWS_ERR_SUBNET_NOT_FOUND');
    expect(response.text).toContain(`read the state of subnet ${running.replica.subnetId.toText()}`);
  });

  test('a canister path through the subnet URL with 400', async () => {
    const canister = principal3.Principal.fromText(counterId);
    const body = await signedEnvelope(identity, { request_type: 'read_state', paths: [[utf8('canister'), canister.toUint8Array(), utf8('certified_data')]] });
    const response = await post(running.url, subnetUrl(running.replica.subnetId.toText()), body);
    expect(response.status).toBe(400);
    expect(response.errorCode).toBe('ICWS_ERR_READ_STATE_PATH');
    expect(response.text).toContain("a subnet's read_state serves time and subnet/<subnet_id>/");
  });
});

describe('endpoints the replica does not serve', () => {
  test('a known path with another method answers 405 with Allow', async () => {
    const response = await fetch(new URL(`/api/v3/canister/${counterId}/query`, running.url));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.text()).toContain(`use POST for /api/v3/canister/${counterId}/query`);
  });

  test('an unknown path answers 404 with the list of endpoints', async () => {
    const response = await fetch(new URL(`/api/v4/canister/${counterId}/query`, running.url), { method: 'POST', body: new Uint8Array(1) });
    expect(response.status).toBe(404);
    const text = await response.text();
    expect(text).toContain(`no such endpoint: POST /api/v4/canister/${counterId}/query`);
    expect(text).toContain('POST /api/{v2,v3}/canister/<canister_id>/{query,read_state}');
  });
});
