import { AnonymousIdentity, Cbor, Expiry, HttpAgent, IC_REQUEST_DOMAIN_SEPARATOR, requestIdOf as agentRequestIdOf, type Identity, type SignIdentity } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity, ECDSAKeyIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Secp256k1KeyIdentity } from '@icp-sdk/core/identity/secp256k1';
import { Principal } from '@icp-sdk/core/principal';
import { decodeEnvelope } from './decode';
import { EnvelopeError } from './envelope-error';
import { requestIdOf } from './request-id';
import { InThreadSignatureVerifier, type SignatureItem, type SignatureVerifier } from './signature-verifier';
import type { Envelope, RequestType } from '@icws/protocol';
import { MAX_INGRESS_EXPIRY_NS } from './limits';
import { validateEnvelope } from './validate';

const canister = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
const otherCanister = Principal.fromText('rrkah-fqaaa-aaaaa-aaaaq-cai');
const SECOND_NS = 1_000_000_000n;
const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const text = (s: string) => new TextEncoder().encode(s);
const inFuture = (ms: number) => new Date(Date.now() + ms);

/**
 * Signs a request the way HttpAgent does (the identity's transformRequest over content built like
 * the agent's), sends it through CBOR and decodes it, so every test sees what the replica would.
 */
async function envelopeFrom(identity: Identity, fields: Record<string, unknown> = {}): Promise<Envelope> {
  const requestType = (fields.request_type as RequestType | undefined) ?? 'call';
  const content: Record<string, unknown> =
    requestType === 'read_state'
      ? { request_type: requestType, paths: [[text('time')]] }
      : { request_type: requestType, canister_id: canister, method_name: 'greet', arg: Uint8Array.of(0x44, 0x49, 0x44, 0x4c, 0, 0) };
  Object.assign(content, { sender: identity.getPrincipal(), ingress_expiry: Expiry.fromDeltaInMilliseconds(5 * 60_000) }, fields);
  if (requestType === 'call' && !('nonce' in fields)) content.nonce = crypto.getRandomValues(new Uint8Array(16));
  const { body } = (await identity.transformRequest({ request: {}, endpoint: 'call', body: content } as never)) as { body: unknown };
  return decodeEnvelope(Cbor.encode(body));
}

const expected = (requestType: RequestType = 'call', effectiveCanisterId = canister) => ({ requestType, effectiveCanisterId });

async function expectRefusal(validation: Promise<unknown>, code: string, status: number, fragment: string): Promise<EnvelopeError> {
  const err = await validation.then(
    () => {
      throw new Error(`expected ${code}, but the envelope was accepted`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EnvelopeError);
  expect(err).toMatchObject({ code, status });
  expect((err as EnvelopeError).message).toContain(fragment);
  return err as EnvelopeError;
}

/** @returns a session identity acting for `root` through a fresh chain of delegations. */
async function delegated(root: SignIdentity, options: { expiration?: Date; targets?: Principal[] } = {}): Promise<DelegationIdentity> {
  const session = Ed25519KeyIdentity.generate();
  const chain = await DelegationChain.create(root, session.getPublicKey(), options.expiration ?? inFuture(60_000), { targets: options.targets });
  return DelegationIdentity.fromDelegation(session, chain);
}

describe('validateEnvelope accepts', () => {
  test.each([
    ['Ed25519', async (): Promise<SignIdentity> => Ed25519KeyIdentity.generate()],
    ['ECDSA secp256k1', async (): Promise<SignIdentity> => Secp256k1KeyIdentity.generate()],
    ['ECDSA P-256 (WebCrypto)', async (): Promise<SignIdentity> => ECDSAKeyIdentity.generate()],
  ])('calls, queries and read_states signed with %s', async (_name, makeIdentity) => {
    const identity = await makeIdentity();
    for (const requestType of ['call', 'query', 'read_state'] as const) {
      const request = await validateEnvelope(await envelopeFrom(identity, { request_type: requestType }), expected(requestType), nowNs());
      expect(request.sender.toText()).toBe(identity.getPrincipal().toText());
      expect(request.content.request_type).toBe(requestType);
    }
  });

  test('anonymous requests, which carry no key or signature', async () => {
    const request = await validateEnvelope(await envelopeFrom(new AnonymousIdentity()), expected(), nowNs());
    expect(request.sender.isAnonymous()).toBe(true);
  });

  test('and returns the request id the agent computed for the content', async () => {
    const identity = Ed25519KeyIdentity.generate();
    const envelope = await envelopeFrom(identity, { nonce: Uint8Array.of(1, 2, 3) });
    const request = await validateEnvelope(envelope, expected(), nowNs());
    expect(request.requestId).toEqual(agentRequestIdOf({ ...envelope.content }));
    expect(request.content).toBe(envelope.content);
  });

  test('requests through a delegation limited to the canister, as the caller principal of the root key', async () => {
    const root = Ed25519KeyIdentity.generate();
    const request = await validateEnvelope(await envelopeFrom(await delegated(root, { targets: [otherCanister, canister] })), expected(), nowNs());
    expect(request.sender.toText()).toBe(root.getPrincipal().toText());
  });

  test('read_state through a delegation limited to the effective canister id of the URL', async () => {
    const identity = await delegated(Ed25519KeyIdentity.generate(), { targets: [canister] });
    await expect(validateEnvelope(await envelopeFrom(identity, { request_type: 'read_state' }), expected('read_state'), nowNs())).resolves.toBeDefined();
  });

  test('requests through a chain of three delegations across key types', async () => {
    const root = Secp256k1KeyIdentity.generate();
    const middle = await ECDSAKeyIdentity.generate();
    const last = Ed25519KeyIdentity.generate();
    const session = Ed25519KeyIdentity.generate();
    let chain = await DelegationChain.create(root, middle.getPublicKey(), inFuture(60_000));
    chain = await DelegationChain.create(middle, last.getPublicKey(), inFuture(60_000), { previous: chain });
    chain = await DelegationChain.create(last, session.getPublicKey(), inFuture(60_000), { previous: chain, targets: [canister] });
    const identity = DelegationIdentity.fromDelegation(session, chain);
    const request = await validateEnvelope(await envelopeFrom(identity), expected(), nowNs());
    expect(request.sender.toText()).toBe(root.getPrincipal().toText());
  });

  test('exactly what a stock HttpAgent POSTs', async () => {
    const identity = await delegated(await ECDSAKeyIdentity.generate(), { targets: [canister] });
    const bodies: Uint8Array[] = [];
    const fetch = (async (_url: string | URL | Request, init?: RequestInit) => {
      bodies.push(new Uint8Array(init!.body as Uint8Array));
      return new Response('refused by the test', { status: 500 });
    }) as typeof globalThis.fetch;
    const agent = new HttpAgent({ fetch, host: 'http://127.0.0.1:4943', identity, verifyQuerySignatures: false, retryTimes: 0 });
    await agent.call(canister, { methodName: 'set', arg: Uint8Array.of(7) }).catch(() => undefined);
    await agent.query(canister, { methodName: 'get', arg: new Uint8Array(0) }).catch(() => undefined);

    const [call, query] = bodies.map(decodeEnvelope);
    await expect(validateEnvelope(call, expected('call'), nowNs())).resolves.toMatchObject({ content: { method_name: 'set' } });
    await expect(validateEnvelope(query, expected('query'), nowNs())).resolves.toMatchObject({ content: { method_name: 'get' } });
  });

  test('an ingress_expiry up to MAX_INGRESS_EXPIRY_NS ahead, allowing for clock drift', async () => {
    const now = nowNs();
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate(), { ingress_expiry: now + MAX_INGRESS_EXPIRY_NS });
    await expect(validateEnvelope(envelope, expected(), now)).resolves.toBeDefined();
  });

  test('with signatures checked by the verifier it is given, in one batch', async () => {
    const batches: number[] = [];
    const inThread = new InThreadSignatureVerifier();
    const counting: SignatureVerifier = {
      verify(items: readonly SignatureItem[]) {
        batches.push(items.length);
        return inThread.verify(items);
      },
    };
    const identity = await delegated(Ed25519KeyIdentity.generate());
    await validateEnvelope(await envelopeFrom(identity), expected(), nowNs(), MAX_INGRESS_EXPIRY_NS, counting);
    expect(batches).toEqual([2]); // the delegation and the request
  });
});

describe('validateEnvelope refuses', () => {
  test('a request posted to the endpoint of another request type', async () => {
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate(), { request_type: 'query' });
    await expectRefusal(validateEnvelope(envelope, expected('call'), nowNs()), 'ICWS_ERR_WRONG_REQUEST_TYPE', 400, 'content.request_type is "query" but this endpoint accepts "call" requests; send it to /api/v2/canister/<id>/query');
  });

  test('a call to another canister than the one in the URL', async () => {
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate(), { canister_id: otherCanister });
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_CANISTER_MISMATCH', 400, `content.canister_id ${otherCanister.toText()} differs from the canister ${canister.toText()} in the URL`);
  });

  test('calls to the management canister, as not supported', async () => {
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate(), { canister_id: Principal.managementCanister() });
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_MANAGEMENT_CANISTER', 400, 'management canister aaaaa-aa, which this replica does not support');
  });

  test('an expired request', async () => {
    const now = nowNs();
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate(), { ingress_expiry: now - 2n * SECOND_NS });
    await expectRefusal(validateEnvelope(envelope, expected(), now), 'ICWS_ERR_EXPIRED', 400, 'is 2 s in the past; sign a new request');
  });

  test('an ingress_expiry too far in the future', async () => {
    const now = nowNs();
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate(), { ingress_expiry: now + MAX_INGRESS_EXPIRY_NS + SECOND_NS });
    await expectRefusal(validateEnvelope(envelope, expected(), now), 'ICWS_ERR_EXPIRY_TOO_FAR', 400, 'is 361 s in the future, more than the 360 s allowed');
  });

  test('a signature with a flipped bit', async () => {
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate());
    envelope.sender_sig![0] ^= 1;
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_BAD_SIGNATURE', 403, 'sender_sig is not a signature of request');
  });

  test('content changed after signing', async () => {
    const envelope = await envelopeFrom(Secp256k1KeyIdentity.generate(), { request_type: 'query' });
    if (envelope.content.request_type !== 'query') throw new Error('expected a query');
    envelope.content.method_name = 'transfer_all';
    await expectRefusal(validateEnvelope(envelope, expected('query'), nowNs()), 'ICWS_ERR_BAD_SIGNATURE', 403, 'by sender_pubkey');
  });

  test('a signature by another key than sender_pubkey', async () => {
    const envelope = await envelopeFrom(await ECDSAKeyIdentity.generate());
    const intruder = await ECDSAKeyIdentity.generate();
    envelope.sender_sig = await intruder.sign(Uint8Array.from([...IC_REQUEST_DOMAIN_SEPARATOR, ...requestIdOf(envelope.content)]));
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_BAD_SIGNATURE', 403, 'sender_sig is not a signature of request');
  });

  test('a sender that is not the principal of sender_pubkey', async () => {
    const someoneElse = Ed25519KeyIdentity.generate().getPrincipal();
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate(), { sender: someoneElse });
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_SENDER_MISMATCH', 403, `content.sender ${someoneElse.toText()} is not the principal`);
  });

  test('a non-anonymous sender without signature', async () => {
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate());
    delete envelope.sender_sig;
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_MISSING_SIGNATURE', 403, 'so the envelope needs sender_sig');
  });

  test('a non-anonymous sender without any key', async () => {
    const envelope = await envelopeFrom(new AnonymousIdentity(), { sender: Ed25519KeyIdentity.generate().getPrincipal() });
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_MISSING_SIGNATURE', 403, 'so the envelope needs sender_pubkey');
  });

  test('an anonymous sender with a key and signature', async () => {
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate(), { sender: Principal.anonymous() });
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_ANONYMOUS_SIGNED', 403, 'carries sender_pubkey, sender_sig');
  });

  test('a sender key of an unsupported type, naming it', async () => {
    const envelope = await envelopeFrom(Ed25519KeyIdentity.generate());
    const cose = Uint8Array.from([0x30, 0x1a, 0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb8, 0x43, 0x01, 0x01, 0x03, 0x0a, 0x00, ...new Uint8Array(9)]);
    envelope.sender_pubkey = cose;
    envelope.content.sender = Principal.selfAuthenticating(cose).toUint8Array();
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_UNSUPPORTED_KEY', 400, 'sender_pubkey has key type WebAuthn');
  });
});

describe('validateEnvelope refuses delegations that', () => {
  test('expired', async () => {
    const identity = await delegated(Ed25519KeyIdentity.generate(), { expiration: inFuture(-1000) });
    await expectRefusal(validateEnvelope(await envelopeFrom(identity), expected(), nowNs()), 'ICWS_ERR_DELEGATION_EXPIRED', 403, 'sender_delegation[0] expired at');
  });

  test('are limited to other canisters', async () => {
    const identity = await delegated(Ed25519KeyIdentity.generate(), { targets: [otherCanister] });
    await expectRefusal(
      validateEnvelope(await envelopeFrom(identity), expected(), nowNs()),
      'ICWS_ERR_DELEGATION_TARGET',
      403,
      `sender_delegation[0] is limited to canister ${otherCanister.toText()} and does not cover canister ${canister.toText()}`,
    );
  });

  test('were altered after signing (a later expiration)', async () => {
    const envelope = await envelopeFrom(await delegated(Ed25519KeyIdentity.generate()));
    envelope.sender_delegation![0].delegation.expiration += 3600n * SECOND_NS;
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_BAD_DELEGATION_SIGNATURE', 403, 'sender_delegation[0].signature is not a signature of the delegation by sender_pubkey');
  });

  test('are broken in the middle of a chain', async () => {
    const root = Ed25519KeyIdentity.generate();
    const middle = Ed25519KeyIdentity.generate();
    const session = Ed25519KeyIdentity.generate();
    const first = await DelegationChain.create(root, middle.getPublicKey(), inFuture(60_000));
    // The second link is signed by a stranger instead of `middle`.
    const forged = await DelegationChain.create(Ed25519KeyIdentity.generate(), session.getPublicKey(), inFuture(60_000), { previous: first });
    const envelope = await envelopeFrom(DelegationIdentity.fromDelegation(session, forged));
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_BAD_DELEGATION_SIGNATURE', 403, 'sender_delegation[1].signature is not a signature of the delegation by sender_delegation[0].delegation.pubkey');
  });

  test('do not delegate to the key that signs the request', async () => {
    const root = Ed25519KeyIdentity.generate();
    const chain = await DelegationChain.create(root, Ed25519KeyIdentity.generate().getPublicKey(), inFuture(60_000));
    // The session key is not the delegated one: the request is signed by a key outside the chain.
    const envelope = await envelopeFrom(DelegationIdentity.fromDelegation(Ed25519KeyIdentity.generate(), chain));
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_BAD_SIGNATURE', 403, 'by the last delegated key, sender_delegation[0].delegation.pubkey');
  });

  test('are longer than 20 delegations, also in envelopes not made by decodeEnvelope', async () => {
    const keys = Array.from({ length: 21 }, () => Ed25519KeyIdentity.generate());
    let chain: DelegationChain | undefined;
    for (let i = 0; i < 20; i++) chain = await DelegationChain.create(keys[i], keys[i + 1].getPublicKey(), inFuture(60_000), { previous: chain });
    const envelope = await envelopeFrom(DelegationIdentity.fromDelegation(keys[20], chain!));
    await expect(validateEnvelope(envelope, expected(), nowNs())).resolves.toBeDefined(); // 20 is fine
    envelope.sender_delegation!.push(envelope.sender_delegation![19]);
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_DELEGATION_CHAIN_TOO_LONG', 400, 'sender_delegation has 21 delegations, more than the 20 allowed');
  });

  test('delegate back to a key already in the chain', async () => {
    const root = Ed25519KeyIdentity.generate();
    const session = Ed25519KeyIdentity.generate();
    let chain = await DelegationChain.create(root, session.getPublicKey(), inFuture(60_000));
    chain = await DelegationChain.create(session, root.getPublicKey(), inFuture(60_000), { previous: chain });
    const envelope = await envelopeFrom(DelegationIdentity.fromDelegation(root, chain));
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_DELEGATION_CYCLE', 400, 'sender_delegation[1].delegation.pubkey appears earlier in the chain');
  });

  test('delegate to a key of an unsupported type, naming the field', async () => {
    const envelope = await envelopeFrom(await delegated(Ed25519KeyIdentity.generate()));
    envelope.sender_delegation![0].delegation.pubkey = Uint8Array.of(1, 2, 3);
    await expectRefusal(validateEnvelope(envelope, expected(), nowNs()), 'ICWS_ERR_BAD_PUBLIC_KEY', 400, 'sender_delegation[0].delegation.pubkey is not a DER-encoded SubjectPublicKeyInfo');
  });
});
