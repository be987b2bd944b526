import { Cbor, Expiry, requestIdOf as agentRequestIdOf } from '@icp-sdk/core/agent';
import { DelegationChain, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { sha256 } from '@noble/hashes/sha2';
import { decodeEnvelope } from './envelope-decode';
import { createRequestIdOf, requestIdOf } from './request-id';

const canister = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
const sender = Ed25519KeyIdentity.generate().getPrincipal();
const text = (s: string) => new TextEncoder().encode(s);

/** Hashes content the way the agent does, then the way the replica does after a CBOR round trip. */
function bothIds(content: Record<string, unknown>): [Uint8Array, Uint8Array] {
  const decoded = decodeEnvelope(Cbor.encode({ content }));
  return [agentRequestIdOf(content), requestIdOf(decoded.content)];
}

describe('requestIdOf gives the ids @dfinity/agent computes', () => {
  test('for a call with a nonce', () => {
    const [agent, ours] = bothIds({
      request_type: 'call',
      canister_id: canister,
      method_name: 'increment',
      arg: Uint8Array.of(0x44, 0x49, 0x44, 0x4c, 0, 0),
      sender,
      ingress_expiry: Expiry.fromDeltaInMilliseconds(5 * 60_000),
      nonce: Uint8Array.from({ length: 16 }, (_, i) => i * 7),
    });
    expect(ours).toEqual(agent);
  });

  test('for a query without a nonce, from the anonymous principal', () => {
    const [agent, ours] = bothIds({
      request_type: 'query',
      canister_id: canister,
      method_name: 'get',
      arg: new Uint8Array(0),
      sender: Principal.anonymous(),
      ingress_expiry: Expiry.fromDeltaInMilliseconds(60_000),
    });
    expect(ours).toEqual(agent);
  });

  test('for a read_state with several paths, including empty labels', () => {
    const [agent, ours] = bothIds({
      request_type: 'read_state',
      paths: [[text('time')], [text('request_status'), new Uint8Array(32).fill(9), text('reply')], [new Uint8Array(0)], []],
      sender,
      ingress_expiry: Expiry.fromDeltaInMilliseconds(3 * 60_000),
      nonce: Uint8Array.of(1, 2, 3),
    });
    expect(ours).toEqual(agent);
  });

  test('for an empty list of paths', () => {
    const [agent, ours] = bothIds({ request_type: 'read_state', paths: [], sender, ingress_expiry: 1n });
    expect(ours).toEqual(agent);
  });

  test.each([
    ['with', { targets: [canister, Principal.fromText('rrkah-fqaaa-aaaaa-aaaaq-cai')] }],
    ['without', {}],
  ])('for a delegation %s targets', async (_with, options) => {
    const root = Ed25519KeyIdentity.generate();
    const chain = await DelegationChain.create(root, Ed25519KeyIdentity.generate().getPublicKey(), new Date(Date.now() + 60_000), options);
    const { delegation } = chain.delegations[0];
    const decoded = decodeEnvelope(
      Cbor.encode({
        content: { request_type: 'query', canister_id: canister, method_name: 'm', arg: new Uint8Array(0), sender, ingress_expiry: 1n },
        sender_delegation: chain.delegations,
      }),
    );
    expect(requestIdOf(decoded.sender_delegation![0].delegation)).toEqual(agentRequestIdOf({ ...delegation }));
  });

  test.each([0n, 127n, 128n, 300n, 2n ** 53n + 1n, 2n ** 64n - 1n])('for the natural number %p', (n) => {
    expect(requestIdOf({ n })).toEqual(agentRequestIdOf({ n }));
  });
});

describe('requestIdOf, as the spec defines it', () => {
  test('does not depend on the order of fields', () => {
    expect(requestIdOf({ a: 'x', b: Uint8Array.of(1), c: 5n })).toEqual(requestIdOf({ c: 5n, b: Uint8Array.of(1), a: 'x' }));
  });

  test('leaves out undefined fields', () => {
    expect(requestIdOf({ a: 'x', nonce: undefined })).toEqual(requestIdOf({ a: 'x' }));
  });

  test('tells numbers and the equal text apart', () => {
    expect(requestIdOf({ a: 1n })).not.toEqual(requestIdOf({ a: '1' }));
  });

  test('gives the same ids from its cache of short values as when hashing them afresh', () => {
    const values: Array<Record<string, string | Uint8Array | bigint>> = [];
    for (let i = 0; i < 300; i++) {
      const small = Uint8Array.of(i & 0xff, i >> 8);
      values.push({ s: `m${i % 7}`, b: small, n: BigInt(i % 5), nonce: small, long: new Uint8Array(65).fill(i & 0xff) });
    }
    for (const round of [1, 2]) {
      for (const value of values) expect([round, requestIdOf(value)]).toEqual([round, agentRequestIdOf(value)]);
    }
  });

  test('tells a blob and the text of the same bytes apart only as the spec does (it does not)', () => {
    expect(requestIdOf({ a: 'abc' })).toEqual(requestIdOf({ a: text('abc') }));
    expect(requestIdOf({ a: 'é' })).toEqual(requestIdOf({ a: text('é') }));
    expect(requestIdOf({ a: 'é' })).not.toEqual(requestIdOf({ a: Uint8Array.of(0xe9) }));
  });

  test('hashes nested maps', () => {
    expect(requestIdOf({ m: { k: 'v' } })).toEqual(agentRequestIdOf({ m: { k: 'v' } }));
  });

  test('matches the example of the IC interface spec ("Request ids")', () => {
    const id = requestIdOf({
      request_type: 'call',
      sender: Uint8Array.of(0x04),
      ingress_expiry: 1685570400000000000n,
      canister_id: Uint8Array.of(0, 0, 0, 0, 0, 0, 0x04, 0xd2),
      method_name: 'hello',
      arg: Uint8Array.of(0x44, 0x49, 0x44, 0x4c, 0x00, 0xfd, 0x2a),
    });
    expect(Buffer.from(id).toString('hex')).toBe('1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101');
  });

  test('hashes a Principal as its bytes', () => {
    expect(requestIdOf({ canister_id: canister, sender })).toEqual(requestIdOf({ canister_id: canister.toUint8Array(), sender: sender.toUint8Array() }));
    expect(requestIdOf({ targets: [canister] })).toEqual(agentRequestIdOf({ targets: [canister] }));
  });

  test('refuses negative numbers and undefined inside arrays', () => {
    expect(() => requestIdOf({ n: -1n })).toThrow(RangeError);
    expect(() => requestIdOf({ a: [undefined] })).toThrow(TypeError);
  });
});

describe('createRequestIdOf', () => {
  test('hashes with the function it is given, and gives the same ids with any correct sha256', () => {
    let calls = 0;
    const counting = createRequestIdOf((data) => {
      calls++;
      return sha256(data);
    });
    const content = { request_type: 'query', sender: Uint8Array.of(4), ingress_expiry: 7n, nonce: Uint8Array.of(1) };
    expect(counting(content)).toEqual(requestIdOf(content));
    expect(calls).toBeGreaterThan(0);
  });

  test('keeps caches of its own: a wrong hash in one does not leak into another', () => {
    const broken = createRequestIdOf(() => new Uint8Array(32));
    const content = { method_name: 'cached-apart', arg: Uint8Array.of(1, 2, 3) };
    expect(broken(content)).toEqual(new Uint8Array(32));
    expect(requestIdOf(content)).toEqual(agentRequestIdOf(content));
    expect(createRequestIdOf(sha256)(content)).toEqual(agentRequestIdOf(content));
  });
});
