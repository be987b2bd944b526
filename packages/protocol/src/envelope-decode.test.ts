import { AnonymousIdentity, Cbor, HttpAgent, type Identity } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { decodeEnvelope } from './envelope-decode';
import { MAX_DELEGATION_TARGETS, MAX_DELEGATIONS, MAX_PATH_LABELS, MAX_READ_STATE_PATHS } from './envelope-limits';
import { ProtocolError } from './errors';

const canister = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
const text = (s: string) => new TextEncoder().encode(s);

/** @returns the first body a stock HttpAgent POSTs for `send`; the fake server answers 500. */
async function captured(identity: Identity, send: (agent: HttpAgent) => Promise<unknown>): Promise<{ url: string; body: Uint8Array }> {
  const posts: { url: string; body: Uint8Array }[] = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    posts.push({ url: String(url), body: new Uint8Array(init!.body as Uint8Array) });
    return new Response('refused by the test', { status: 500 });
  }) as typeof globalThis.fetch;
  const agent = new HttpAgent({ fetch, host: 'http://127.0.0.1:4943', identity, verifyQuerySignatures: false, retryTimes: 0 });
  await send(agent).catch(() => undefined);
  expect(posts.length).toBeGreaterThan(0);
  return posts[0];
}

const validContent = {
  request_type: 'call',
  canister_id: canister,
  method_name: 'greet',
  arg: Uint8Array.of(0x44, 0x49, 0x44, 0x4c, 0, 0),
  sender: Principal.anonymous(),
  ingress_expiry: 1_800_000_000_000_000_000n,
};

/** @returns the error decoding `body` throws. */
function refusal(body: Uint8Array): ProtocolError {
  try {
    decodeEnvelope(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected the body to be refused');
}

describe('decodeEnvelope (strict) reads what a stock HttpAgent sends', () => {
  test('a v4 call signed with Ed25519, nonce included', async () => {
    const identity = Ed25519KeyIdentity.generate();
    const { url, body } = await captured(identity, (agent) => agent.call(canister, { methodName: 'greet', arg: Uint8Array.of(1, 2) }));
    expect(url).toBe(`http://127.0.0.1:4943/api/v4/canister/${canister.toText()}/call`);

    const envelope = decodeEnvelope(body);
    expect(envelope.content).toEqual({
      request_type: 'call',
      canister_id: canister.toUint8Array(),
      method_name: 'greet',
      arg: Uint8Array.of(1, 2),
      sender: identity.getPrincipal().toUint8Array(),
      ingress_expiry: expect.any(BigInt),
      nonce: expect.any(Uint8Array),
    });
    expect(envelope.sender_pubkey).toEqual(Uint8Array.from(identity.getPublicKey().toDer()));
    expect(envelope.sender_sig).toHaveLength(64);
    expect(envelope.sender_delegation).toBeUndefined();
  });

  test('an anonymous query, without nonce or signature', async () => {
    const { url, body } = await captured(new AnonymousIdentity(), (agent) => agent.query(canister, { methodName: 'get', arg: new Uint8Array(0) }));
    expect(url).toMatch(/\/api\/v3\/canister\/ryjl3-tyaaa-aaaaa-aaaba-cai\/query$/);

    const envelope = decodeEnvelope(body);
    expect(envelope).toEqual({
      content: {
        request_type: 'query',
        canister_id: canister.toUint8Array(),
        method_name: 'get',
        arg: new Uint8Array(0),
        sender: Uint8Array.of(0x04),
        ingress_expiry: expect.any(BigInt),
      },
    });
    expect('nonce' in envelope.content).toBe(false);
  });

  test('a read_state with its paths', async () => {
    const requestId = new Uint8Array(32).fill(7);
    const paths = [[text('time')], [text('request_status'), requestId]];
    const { url, body } = await captured(Ed25519KeyIdentity.generate(), (agent) => agent.readState({ canisterId: canister }, { paths }));
    expect(url).toMatch(/\/read_state$/);

    const { content } = decodeEnvelope(body);
    expect(content).toMatchObject({ request_type: 'read_state', paths });
  });

  test('a call through a DelegationIdentity, with the delegation chain and its targets', async () => {
    const root = Ed25519KeyIdentity.generate();
    const session = Ed25519KeyIdentity.generate();
    const chain = await DelegationChain.create(root, session.getPublicKey(), new Date(Date.now() + 60_000), { targets: [canister] });
    const { body } = await captured(DelegationIdentity.fromDelegation(session, chain), (agent) => agent.call(canister, { methodName: 'm', arg: new Uint8Array(0) }));

    const envelope = decodeEnvelope(body);
    expect(envelope.sender_pubkey).toEqual(Uint8Array.from(root.getPublicKey().toDer()));
    expect(envelope.sender_delegation).toEqual([
      {
        delegation: { pubkey: Uint8Array.from(session.getPublicKey().toDer()), expiration: chain.delegations[0].delegation.expiration, targets: [canister.toUint8Array()] },
        signature: Uint8Array.from(chain.delegations[0].signature),
      },
    ]);
  });

  test('with or without the self-describe tag 55799 in front', () => {
    const tagged = Cbor.encode({ content: validContent });
    expect(Buffer.from(tagged.subarray(0, 3)).toString('hex')).toBe('d9d9f7');
    expect(decodeEnvelope(tagged.subarray(3))).toEqual(decodeEnvelope(tagged));
  });

  test('into plain Uint8Array copies even from a Buffer, so the body buffer can be reused', () => {
    const body = Buffer.from(Cbor.encode({ content: validContent }));
    const envelope = decodeEnvelope(body);
    body.fill(0);
    if (envelope.content.request_type === 'read_state') throw new Error('expected a call');
    expect(envelope.content.arg.constructor).toBe(Uint8Array);
    expect(envelope.content.arg).toEqual(validContent.arg);
  });

  test('with small integers for ingress_expiry as bigint', () => {
    expect(decodeEnvelope(Cbor.encode({ content: { ...validContent, ingress_expiry: 5 } })).content.ingress_expiry).toBe(5n);
  });
});

describe('decodeEnvelope (strict) refuses', () => {
  test.each([
    ['an empty body', new Uint8Array(0)],
    ['a truncated body', Cbor.encode({ content: validContent }).subarray(0, 20)],
    ['trailing bytes after the envelope', Uint8Array.from([...Cbor.encode({ content: validContent }), 0])],
    ['bytes that are not CBOR', text('{"content": {}}')],
  ])('%s as bad CBOR', (_what, body) => {
    const err = refusal(body);
    expect(err).toMatchObject({ code: 'ICWS_ERR_BAD_CBOR', kind: 'protocol' });
    expect(err.message).toContain('request body is not valid CBOR');
  });

  test.each([
    ['a body that is not a map', [1, 2], 'request body must be a CBOR map, got an array'],
    ['a missing content', { sender_sig: new Uint8Array(64) }, 'content is missing'],
    ['an unknown envelope field', { content: validContent, extra: 1 }, 'request body has an unknown field "extra"'],
    ['content that is not a map', { content: new Uint8Array(3) }, 'content must be a CBOR map, got a 3-byte blob'],
    ['a missing request_type', { content: { ...validContent, request_type: undefined } }, 'content.request_type is missing'],
    ['an unknown request_type', { content: { ...validContent, request_type: 'update' } }, 'content.request_type must be one of "call", "query", "read_state", got "update"'],
    ['a method_name that is not text', { content: { ...validContent, method_name: 5 } }, 'content.method_name must be text, got the number 5'],
    ['a missing arg', { content: { ...validContent, arg: undefined } }, 'content.arg is missing'],
    ['a missing sender', { content: { ...validContent, sender: undefined } }, 'content.sender is missing'],
    ['an unknown content field', { content: { ...validContent, sender_info: new Uint8Array(1) } }, 'content has an unknown field "sender_info"'],
    ['a read_state field in a call', { content: { ...validContent, paths: [] } }, 'content has an unknown field "paths"'],
    ['an ingress_expiry that is text', { content: { ...validContent, ingress_expiry: '1' } }, 'content.ingress_expiry must be a nat64'],
    ['a negative ingress_expiry', { content: { ...validContent, ingress_expiry: -1 } }, 'content.ingress_expiry must be a nat64'],
    ['a nonce over 32 bytes', { content: { ...validContent, nonce: new Uint8Array(33) } }, 'content.nonce must be at most 32 bytes, got 33'],
    ['a canister_id too long for a principal', { content: { ...validContent, canister_id: new Uint8Array(30) } }, 'content.canister_id must be a principal of at most 29 bytes'],
    ['a sender that is text', { content: { ...validContent, sender: 'aaaaa-aa' } }, 'content.sender must be a principal (CBOR byte string), got text "aaaaa-aa"'],
    ['a sender_sig that is text', { content: validContent, sender_sig: 'sig' }, 'sender_sig must be a blob'],
  ])('%s as malformed, naming the field', (_what, value, fragment) => {
    const err = refusal(Cbor.encode(value));
    expect(err).toMatchObject({ code: 'ICWS_ERR_MALFORMED_ENVELOPE' });
    expect(err.message).toContain(fragment);

  });

  test.each([
    ['a missing content', { sender_sig: new Uint8Array(64) }, 'content'],
    ['an unknown envelope field', { content: validContent, extra: 1 }, 'extra'],
    ['an unknown content field', { content: { ...validContent, sender_info: new Uint8Array(1) } }, 'content.sender_info'],
    ['a method_name that is not text', { content: { ...validContent, method_name: 5 } }, 'content.method_name'],
    ['a nonce over 32 bytes', { content: { ...validContent, nonce: new Uint8Array(33) } }, 'content.nonce'],
    ['a delegation without a signature', { content: validContent, sender_delegation: [{ delegation: { pubkey: new Uint8Array(44), expiration: 1n } }] }, 'sender_delegation[0].signature'],
  ])('%s with the field in err.field', (_what, value, field) => {
    expect(refusal(Cbor.encode(value)).field).toBe(field);
  });

  const readState = { request_type: 'read_state', sender: Principal.anonymous(), ingress_expiry: 1n };
  test.each([
    ['missing', { ...readState }, 'content.paths is missing'],
    ['not an array', { ...readState, paths: text('time') }, 'content.paths must be an array'],
    ['an array of blobs instead of arrays of blobs', { ...readState, paths: [text('time')] }, 'content.paths[0] must be an array'],
    ['holding a label that is text', { ...readState, paths: [[text('request_status'), 'id']] }, 'content.paths[0][1] must be a blob'],
  ])('read_state paths %s', (_what, content, fragment) => {
    const err = refusal(Cbor.encode({ content }));
    expect(err).toMatchObject({ code: 'ICWS_ERR_MALFORMED_ENVELOPE' });
    expect(err.message).toContain(fragment);
  });

  const delegation = { pubkey: new Uint8Array(44), expiration: 1n };
  test.each([
    ['not an array', { delegation, signature: new Uint8Array(64) }, 'sender_delegation must be an array, got a map'],
    ['without a signature', [{ delegation }], 'sender_delegation[0].signature is missing'],
    ['without an expiration', [{ delegation: { pubkey: new Uint8Array(44) }, signature: new Uint8Array(64) }], 'sender_delegation[0].delegation.expiration is missing'],
    ['with targets that are not an array', [{ delegation: { ...delegation, targets: canister }, signature: new Uint8Array(64) }], 'sender_delegation[0].delegation.targets must be an array'],
    ['with the retired senders field', [{ delegation: { ...delegation, senders: [] }, signature: new Uint8Array(64) }], 'sender_delegation[0].delegation has an unknown field "senders"'],
  ])('a sender_delegation %s', (_what, senderDelegation, fragment) => {
    const err = refusal(Cbor.encode({ content: validContent, sender_pubkey: new Uint8Array(44), sender_sig: new Uint8Array(64), sender_delegation: senderDelegation }));
    expect(err).toMatchObject({ code: 'ICWS_ERR_MALFORMED_ENVELOPE' });
    expect(err.message).toContain(fragment);
  });

  test.each([
    ['paths', { content: { ...readState, paths: Array.from({ length: MAX_READ_STATE_PATHS + 1 }, () => [text('time')]) } }, 'ICWS_ERR_READ_STATE_TOO_LARGE', 'content.paths has 1001 paths, more than the 1000 allowed'],
    ['labels in a path', { content: { ...readState, paths: [Array.from({ length: MAX_PATH_LABELS + 1 }, () => new Uint8Array(0))] } }, 'ICWS_ERR_READ_STATE_TOO_LARGE', 'content.paths[0] has 128 labels, more than the 127 allowed'],
    ['delegations', { content: validContent, sender_delegation: Array.from({ length: MAX_DELEGATIONS + 1 }, () => ({ delegation, signature: new Uint8Array(64) })) }, 'ICWS_ERR_DELEGATION_CHAIN_TOO_LONG', 'sender_delegation has 21 delegations, more than the 20 allowed'],
    ['delegation targets', { content: validContent, sender_delegation: [{ delegation: { ...delegation, targets: Array.from({ length: MAX_DELEGATION_TARGETS + 1 }, () => canister) }, signature: new Uint8Array(64) }] }, 'ICWS_ERR_DELEGATION_TARGETS', 'sender_delegation[0].delegation.targets lists 1001 canisters, more than the 1000 allowed'],
  ])('too many %s, before decoding them further', (_what, value, code, fragment) => {
    const err = refusal(Cbor.encode(value));
    expect(err).toMatchObject({ code });
    expect(err.message).toContain(fragment);
  });
});
