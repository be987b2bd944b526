/**
 * Every malformed, oversized, unsigned, wrongly signed or expired request gets a 4xx whose body
 * names the problem, and nothing it does affects other requests.
 */
import { Cbor, HttpAgent } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { AnonymousIdentity } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { startReplica, type RunningReplica } from '@icws/replica';
import counter from '../../examples/counter/canister';
import { post, requestIdFor, signedEnvelope, type ContentFields } from '../support/envelopes';

let running: RunningReplica;
let canisterId: Principal;
const alice = Ed25519KeyIdentity.generate();
const mallory = Ed25519KeyIdentity.generate();
const noArgs = new Uint8Array(IDL.encode([], []));

beforeAll(async () => {
  running = await startReplica({ port: 0, canisters: [{ name: 'counter', module: counter }, { name: 'other', module: counter }], log: () => undefined });
  canisterId = running.canisterIds.counter;
});
afterAll(() => running.close());

const call = (fields: Partial<ContentFields> = {}): ContentFields => ({
  request_type: 'call',
  canister_id: canisterId,
  method_name: 'increment',
  arg: noArgs,
  ...fields,
});
const callUrl = () => `/api/v3/canister/${canisterId.toText()}/call`;
const readStateUrl = () => `/api/v2/canister/${canisterId.toText()}/read_state`;
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

describe('the replica refuses', () => {
  test.each([
    ['a body that is not CBOR', () => new TextEncoder().encode('{"hello": "json"}'), 400, 'request body is not valid CBOR', 'ICWS_ERR_BAD_CBOR'],
    ['an envelope without content', () => Cbor.encode({ sender_sig: new Uint8Array(64) }), 400, 'content', 'ICWS_ERR_MALFORMED_ENVELOPE'],
    ['content with a field of the wrong type', () => Cbor.encode({ content: { request_type: 'call', method_name: 5 } }), 400, 'content', 'ICWS_ERR_MALFORMED_ENVELOPE'],
  ])('%s with 400 and the code in a header and at the end of the body', async (_name, makeBody, status, fragment, code) => {
    const response = await post(running.url, callUrl(), makeBody());
    expect(response.status).toBe(status);
    expect(response.text).toContain(fragment);
    expect(response.errorCode).toBe(code);
    expect(response.text.endsWith(` (${code})`)).toBe(true);
  });

  test('a body over the size limit with 413', async () => {
    const response = await post(running.url, callUrl(), new Uint8Array(3 * 1024 * 1024));
    expect(response.status).toBe(413);
    expect(response.text).toMatch(/exceeds the limit of \d+ bytes/);
    expect(response.errorCode).toBe('ICWS_ERR_TOO_LARGE');
  });

  test('a non-anonymous sender without a signature with 403', async () => {
    const body = await signedEnvelope(alice, call(), (envelope) => {
      delete envelope.sender_sig;
    });
    const response = await post(running.url, callUrl(), body);
    expect(response.status).toBe(403);
    expect(response.text).toContain(`content.sender ${alice.getPrincipal().toText()} is not anonymous, so the envelope needs sender_sig`);
  });

  test('a signature made by another key with 403', async () => {
    const forged = await signedEnvelope(mallory, call({ sender: alice.getPrincipal() }), (envelope) => {
      envelope.sender_pubkey = alice.getPublicKey().toDer();
    });
    const response = await post(running.url, callUrl(), forged);
    expect(response.status).toBe(403);
    expect(response.text).toContain('sender_sig is not a signature of request');
  });

  test('a signed request whose content was changed afterwards with 403', async () => {
    const body = await signedEnvelope(alice, call(), (envelope) => {
      (envelope.content as Record<string, unknown>).method_name = 'add';
    });
    const response = await post(running.url, callUrl(), body);
    expect(response.status).toBe(403);
    expect(response.text).toContain('sender_sig is not a signature of request');
  });

  test('a sender that is not the principal of the key with 403', async () => {
    const body = await signedEnvelope(alice, call({ sender: mallory.getPrincipal() }));
    const response = await post(running.url, callUrl(), body);
    expect(response.status).toBe(403);
    expect(response.text).toContain(`content.sender ${mallory.getPrincipal().toText()} is not the principal ${alice.getPrincipal().toText()} of sender_pubkey`);
  });

  test('an expired request with 400, in the form agents resync their clock on', async () => {
    const body = await signedEnvelope(alice, call({ ingress_expiry: nowNs() - 60_000_000_000n }));
    const response = await post(running.url, callUrl(), body);
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/^Invalid request expiry: content.ingress_expiry .* in the past/);
  });

  test('an expiry too far in the future with 400', async () => {
    const body = await signedEnvelope(alice, call({ ingress_expiry: nowNs() + 3_600_000_000_000n }));
    const response = await post(running.url, callUrl(), body);
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/^Invalid request expiry: .* in the future, more than the/);
  });

  test('a call posted to the URL of another canister with 400', async () => {
    const other = running.canisterIds.other;
    const body = await signedEnvelope(alice, call());
    const response = await post(running.url, `/api/v3/canister/${other.toText()}/call`, body);
    expect(response.status).toBe(400);
    expect(response.text).toContain(`content.canister_id ${canisterId.toText()} differs from the canister ${other.toText()} in the URL`);
  });

  test('a query sent to the call endpoint with 400', async () => {
    const body = await signedEnvelope(alice, call({ request_type: 'query', method_name: 'get' }));
    const response = await post(running.url, callUrl(), body);
    expect(response.status).toBe(400);
    expect(response.text).toContain('content.request_type is "query" but this endpoint accepts "call" requests');
  });

  test('a canister that is not installed with 400', async () => {
    const ghost = Principal.fromText('rrkah-fqaaa-aaaaa-aaaaq-cai');
    const body = await signedEnvelope(alice, call({ canister_id: ghost }));
    const response = await post(running.url, `/api/v3/canister/${ghost.toText()}/call`, body);
    expect(response.status).toBe(400);
    expect(response.text).toContain(`canister ${ghost.toText()} is not installed on this replica`);
  });

  test('an expired delegation with 403', async () => {
    const session = Ed25519KeyIdentity.generate();
    const chain = await DelegationChain.create(alice, session.getPublicKey(), new Date(Date.now() - 1000));
    const body = await signedEnvelope(DelegationIdentity.fromDelegation(session, chain), call());
    const response = await post(running.url, callUrl(), body);
    expect(response.status).toBe(403);
    expect(response.text).toContain('sender_delegation[0] expired at');
  });

  test('a delegation limited to other canisters with 403', async () => {
    const session = Ed25519KeyIdentity.generate();
    const chain = await DelegationChain.create(alice, session.getPublicKey(), new Date(Date.now() + 60_000), { targets: [running.canisterIds.other] });
    const body = await signedEnvelope(DelegationIdentity.fromDelegation(session, chain), call());
    const response = await post(running.url, callUrl(), body);
    expect(response.status).toBe(403);
    expect(response.text).toContain(`does not cover canister ${canisterId.toText()}`);
  });

  test('reading the status of a request sent by someone else with 403', async () => {
    const fields = call();
    const body = await signedEnvelope(alice, fields);
    expect((await post(running.url, callUrl(), body)).status).toBe(200);
    const { content } = Cbor.decode<{ content: Record<string, unknown> }>(body);
    const requestId = requestIdFor(content);
    const snoop = await signedEnvelope(mallory, { request_type: 'read_state', paths: [[new TextEncoder().encode('request_status'), requestId]] });
    const response = await post(running.url, readStateUrl(), snoop);
    expect(response.status).toBe(403);
    expect(response.text).toContain('was sent by another principal; only its sender may read its status');
  });

  test('a read_state path outside what the replica serves with 400', async () => {
    const body = await signedEnvelope(alice, { request_type: 'read_state', paths: [[new TextEncoder().encode('api_boundary_nodes')]] });
    const response = await post(running.url, readStateUrl(), body);
    expect(response.status).toBe(400);
    expect(response.text).toContain('unsupported read_state path api_boundary_nodes');
  });

  test('an unknown endpoint with 404 and a wrong method with 405', async () => {
    expect(await post(running.url, '/api/v2/nonsense', new Uint8Array())).toMatchObject({ status: 404, text: expect.stringContaining('no such endpoint') });
    const response = await fetch(new URL(callUrl(), running.url));
    expect(response.status).toBe(405);
    expect(await response.text()).toContain('use POST');
  });

  test('and keeps serving everyone else while it does', async () => {
    const garbage = Array.from({ length: 20 }, (_, i) => post(running.url, callUrl(), new Uint8Array([0xff, i])));
    const agent = await HttpAgent.create({ host: running.url.origin, identity: new AnonymousIdentity(), shouldFetchRootKey: true });
    const replies = await Promise.all([
      agent.query(canisterId, { methodName: 'get', arg: noArgs }),
      agent.call(canisterId, { methodName: 'increment', arg: noArgs }),
      ...garbage,
    ]);
    expect(replies.slice(2).every((r) => (r as { status: number }).status === 400)).toBe(true);
    expect(replies[0]).toMatchObject({ status: 'replied' });
  });
});

describe('a replayed call', () => {
  test('is answered with the first outcome and not executed twice', async () => {
    const body = await signedEnvelope(alice, call({ nonce: new Uint8Array([1, 2, 3]) }));
    const first = await post(running.url, callUrl(), body);
    const executed = running.replica.stats.updatesExecuted;
    const second = await post(running.url, callUrl(), body);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(running.replica.stats.updatesExecuted).toBe(executed);
  });
});
