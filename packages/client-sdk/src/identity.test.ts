import { Endpoint, Expiry, makeNonce, SignIdentity, SubmitRequestType, type HttpAgentRequest } from '@icp-sdk/core/agent';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { generateRandomIdentity, RandomEd25519Identity } from './identity';

const message = new TextEncoder().encode('sign me');
const rawKey = (der: Uint8Array) => der.subarray(der.length - 32);

describe('generateRandomIdentity', () => {
  it('makes an Ed25519 identity whose signatures verify, signing natively where WebCrypto has Ed25519', async () => {
    const identity = generateRandomIdentity() as RandomEd25519Identity;
    const der = identity.getPublicKey().toDer();
    expect(der).toHaveLength(44);
    const signature = await identity.sign(message);
    expect(Ed25519KeyIdentity.verify(signature, message, rawKey(der))).toBe(true);
    expect(await identity.backend()).toBe('native'); // Node >= 20
  });

  it('makes a new key each time', () => {
    expect(generateRandomIdentity().getPrincipal().toText()).not.toBe(generateRandomIdentity().getPrincipal().toText());
  });

  it('signs in JavaScript where WebCrypto lacks Ed25519, with the same key', async () => {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const reference = Ed25519KeyIdentity.generate(new Uint8Array(seed));
    const noEd25519 = { importKey: () => Promise.reject(new DOMException('Unrecognized name', 'NotSupportedError')) } as unknown as SubtleCrypto;
    const identity = new RandomEd25519Identity(seed, noEd25519);
    expect(await identity.backend()).toBe('js');
    expect(identity.getPrincipal().toText()).toBe(reference.getPrincipal().toText());
    expect(await identity.sign(message)).toEqual(await reference.sign(message));
  });

  it('wipes the raw key once it is imported', async () => {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const identity = new RandomEd25519Identity(seed, crypto.subtle);
    await identity.backend();
    expect(seed.every((b) => b === 0)).toBe(true);
  });

  it('signs with the same key through WebCrypto as in JavaScript (Ed25519 signatures are deterministic)', async () => {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const reference = Ed25519KeyIdentity.generate(new Uint8Array(seed));
    const identity = new RandomEd25519Identity(seed, crypto.subtle);
    expect(await identity.backend()).toBe('native');
    for (const blob of [message, new Uint8Array(0), new Uint8Array(1000).fill(7)]) expect(await identity.sign(blob)).toEqual(await reference.sign(blob));
  });

  describe('#transformRequest', () => {
    const request = (endpoint: Endpoint, body: Record<string, unknown>) =>
      ({ request: { method: 'POST', headers: {} }, endpoint, body }) as unknown as HttpAgentRequest;
    const callBody = (sender: Principal) => ({
      request_type: SubmitRequestType.Call,
      canister_id: Principal.fromText('bkyz2-fmaaa-aaaaa-qaaaq-cai'),
      method_name: 'ws_message',
      arg: Uint8Array.of(1, 2, 3),
      sender,
      ingress_expiry: Expiry.fromDeltaInMilliseconds(60_000),
      nonce: makeNonce(),
    });

    it('signs a call exactly as SignIdentity.transformRequest does, keeping the content object', async () => {
      const seed = crypto.getRandomValues(new Uint8Array(32));
      const reference = Ed25519KeyIdentity.generate(new Uint8Array(seed));
      const identity = new RandomEd25519Identity(seed, crypto.subtle);
      const body = callBody(identity.getPrincipal());
      const signed = (await identity.transformRequest(request(Endpoint.Call, body))) as { body: { content: unknown } };
      expect(signed).toEqual(await SignIdentity.prototype.transformRequest.call(reference, request(Endpoint.Call, body)));
      expect(signed.body.content).toBe(body);
    });

    it('leaves other requests, and calls with values it does not hash, to SignIdentity.transformRequest', async () => {
      const seed = crypto.getRandomValues(new Uint8Array(32));
      const reference = Ed25519KeyIdentity.generate(new Uint8Array(seed));
      const identity = new RandomEd25519Identity(seed, crypto.subtle);
      await identity.backend();
      const readState = { request_type: 'read_state', paths: [[new TextEncoder().encode('time')]], sender: identity.getPrincipal(), ingress_expiry: Expiry.fromDeltaInMilliseconds(60_000) };
      const nested = { ...callBody(identity.getPrincipal()), extra: { a: 'b' } };
      for (const [endpoint, body] of [[Endpoint.ReadState, readState], [Endpoint.Call, nested]] as const) {
        expect(await identity.transformRequest(request(endpoint, body))).toEqual(await SignIdentity.prototype.transformRequest.call(reference, request(endpoint, body)));
      }
    });
  });
});
