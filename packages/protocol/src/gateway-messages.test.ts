/**
 * The frames between client and gateway. The gateway greets with its principal, relays canister
 * messages as `{key, content, cert, tree}` and relays the signed call envelopes the client sends
 * as `{envelope}`. Frames built by `@dfinity/agent` (as the upstream client builds them) must
 * decode, and what we relay must keep the request id the client signed.
 */
import { Cbor, Endpoint, Expiry, requestIdOf, SubmitRequestType, type CallRequest, type HttpAgentRequest } from '@icp-sdk/core/agent';
import { DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { Principal } from '@icp-sdk/core/principal';
import { encodeCbor } from './cbor';
import { encodeCallEnvelope } from './envelope';
import type { CallEnvelope } from './envelope-types';
import { ProtocolError, ProtocolErrorCode } from './errors';
import {
  decodeCanisterToClientMessage,
  decodeClientRequest,
  decodeGatewayHandshake,
  encodeCanisterToClientMessage,
  encodeClientRequest,
  encodeGatewayHandshake,
} from './gateway-messages';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const text = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const GATEWAY = Principal.fromText('sqdfl-mr4km-2hfjy-gajqo-xqvh7-hf4mf-nra4i-3it6l-neaw4-soolw-tae');
const CANISTER = Principal.fromText('bkyz2-fmaaa-aaaaa-qaaaq-cai');

function protocolError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

/** @returns the body a `@dfinity/agent` identity signs for a call, as the upstream client's WsAgent does. */
async function signedCall(identity: Ed25519KeyIdentity | DelegationIdentity, methodName = 'ws_open') {
  const content: CallRequest = {
    request_type: SubmitRequestType.Call,
    canister_id: CANISTER,
    method_name: methodName,
    arg: Uint8Array.of(0x44, 0x49, 0x44, 0x4c, 0, 0),
    sender: identity.getPrincipal(),
    ingress_expiry: Expiry.fromDeltaInMilliseconds(5 * 60_000),
    nonce: Uint8Array.of(1, 2, 3, 4) as CallRequest['nonce'],
  };
  const request: HttpAgentRequest = { endpoint: Endpoint.Call, request: { method: 'POST', headers: {} }, body: content };
  const signed = (await identity.transformRequest(request)) as { body: Record<string, unknown> };
  return { content, body: signed.body, frame: Cbor.encode({ envelope: signed.body }) };
}

describe('GatewayHandshakeMessage', () => {
  it('is {gateway_principal: <principal bytes>}, self-describe tagged, as the upstream gateway writes it', () => {
    const bytes = encodeGatewayHandshake({ gateway_principal: GATEWAY });
    expect(hex(bytes)).toBe('d9d9f7' + 'a1' + '71' + text('gateway_principal') + '581d' + hex(GATEWAY.toUint8Array()));
  });

  it('decodes our handshake and one encoded by @dfinity/agent', () => {
    expect(decodeGatewayHandshake(encodeGatewayHandshake({ gateway_principal: GATEWAY })).gateway_principal.toText()).toBe(GATEWAY.toText());
    const fromAgent = Cbor.encode({ gateway_principal: GATEWAY });
    expect(decodeGatewayHandshake(fromAgent).gateway_principal.toText()).toBe(GATEWAY.toText());
  });

  it('refuses a principal in text form, as the upstream client does', () => {
    const err = protocolError(() => decodeGatewayHandshake(encodeCbor({ gateway_principal: GATEWAY.toText() }, true)));
    expect(err.code).toBe(ProtocolErrorCode.BAD_MESSAGE);
    expect(err.field).toBe('gateway_principal');
  });

  it('refuses a frame without the principal', () => {
    expect(protocolError(() => decodeGatewayHandshake(encodeCbor({}, true))).field).toBe('gateway_principal');
  });
});

describe('CanisterToClientMessage', () => {
  const message = {
    key: `${GATEWAY.toText()}_00000000000000000001`,
    content: Uint8Array.of(0xd9, 0xd9, 0xf7, 0xa0),
    cert: Uint8Array.of(1, 2),
    tree: Uint8Array.of(3),
  };

  it('is {key, content, cert, tree}, untagged, as the upstream gateway writes it', () => {
    expect(hex(encodeCanisterToClientMessage(message))).toBe(
      'a4' +
        '63' + text('key') + '7854' + text(message.key) + // text of 84 bytes
        '67' + text('content') + '44d9d9f7a0' +
        '64' + text('cert') + '420102' +
        '64' + text('tree') + '4103',
    );
  });

  it('is read by @dfinity/agent as the upstream client expects: a text key and three byte strings', () => {
    const decoded = Cbor.decode<Record<string, unknown>>(encodeCanisterToClientMessage(message));
    expect(decoded.key).toBe(message.key);
    for (const field of ['content', 'cert', 'tree']) expect(decoded[field]).toBeInstanceOf(Uint8Array);
  });

  it('round-trips, with or without the self-describe tag', () => {
    expect(decodeCanisterToClientMessage(encodeCanisterToClientMessage(message))).toEqual(message);
    expect(decodeCanisterToClientMessage(encodeCbor(message, true))).toEqual(message);
  });

  it.each(['key', 'content', 'cert', 'tree'])('refuses a frame whose %s is missing or mistyped', (field) => {
    const err = protocolError(() => decodeCanisterToClientMessage(encodeCbor({ ...message, [field]: 7 }, false)));
    expect(err.code).toBe(ProtocolErrorCode.BAD_MESSAGE);
    expect(err.field).toBe(field);
  });
});

describe('ClientRequest', () => {
  const identity = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(7));

  it('decodes the frame @dfinity/agent encodes for a signed call, as the upstream client sends it', async () => {
    const { content, body, frame } = await signedCall(identity);
    const { envelope } = decodeClientRequest(frame);
    expect(envelope.content).toEqual({
      request_type: 'call',
      canister_id: CANISTER,
      method_name: 'ws_open',
      arg: content.arg,
      sender: identity.getPrincipal(),
      ingress_expiry: content.ingress_expiry.toBigInt(),
      nonce: Uint8Array.of(1, 2, 3, 4),
    });
    expect(envelope.sender_pubkey).toEqual(new Uint8Array(identity.getPublicKey().toDer()));
    expect(envelope.sender_sig).toEqual(new Uint8Array(body.sender_sig as Uint8Array));
    expect(envelope.sender_delegation).toBeUndefined();
  });

  it('relays the client’s own envelope bytes, so the request id it signed is kept', async () => {
    const { content, frame } = await signedCall(identity);
    const { envelopeCbor } = decodeClientRequest(frame);
    const prefix = 'd9d9f7' + 'a1' + '68' + text('envelope');
    expect(hex(frame).startsWith(prefix)).toBe(true);
    expect(hex(envelopeCbor)).toBe('d9d9f7' + hex(frame).slice(prefix.length));
    const relayed = Cbor.decode<{ content: Record<string, unknown> }>(envelopeCbor);
    expect(requestIdOf(relayed.content)).toEqual(requestIdOf(content));
  });

  it('re-encodes the envelope with the same request id when the frame has another layout', async () => {
    const { content, body } = await signedCall(identity);
    const frame = Cbor.encode({ hint: 'extra key', envelope: body });
    const { envelope, envelopeCbor } = decodeClientRequest(frame);
    expect(envelopeCbor).toEqual(encodeCallEnvelope(envelope));
    expect(requestIdOf(Cbor.decode<{ content: Record<string, unknown> }>(envelopeCbor).content)).toEqual(requestIdOf(content));
  });

  it('decodes a delegation chain', async () => {
    const session = Ed25519KeyIdentity.generate(new Uint8Array(32).fill(9));
    const expiration = new Date(Date.now() + 3_600_000);
    const chain = await DelegationChain.create(identity, session.getPublicKey(), expiration, { targets: [CANISTER] });
    const delegated = DelegationIdentity.fromDelegation(session, chain);
    const { envelope } = decodeClientRequest((await signedCall(delegated)).frame);
    expect(envelope.sender_pubkey).toEqual(new Uint8Array(identity.getPublicKey().toDer()));
    expect(envelope.sender_delegation).toHaveLength(1);
    const [signed] = envelope.sender_delegation ?? [];
    expect(signed?.delegation.pubkey).toEqual(new Uint8Array(session.getPublicKey().toDer()));
    expect(signed?.delegation.expiration).toBe(BigInt(expiration.getTime()) * 1_000_000n);
    expect(signed?.delegation.targets?.map((t) => t.toText())).toEqual([CANISTER.toText()]);
    expect(signed?.signature).toEqual(new Uint8Array(chain.delegations[0]?.signature as Uint8Array));
  });

  it('round-trips through encodeClientRequest, anonymous envelopes included', () => {
    const envelope: CallEnvelope = {
      content: {
        request_type: 'call',
        canister_id: CANISTER,
        method_name: 'ws_message',
        arg: Uint8Array.of(9),
        sender: Principal.anonymous(),
        ingress_expiry: 1_702_143_818_946_826_129n,
      },
    };
    const decoded = decodeClientRequest(encodeClientRequest({ envelope }));
    expect(decoded.envelope).toEqual(envelope);
    expect(decoded.envelopeCbor).toEqual(encodeCallEnvelope(envelope));
  });

  it('refuses envelopes of queries and read_state requests, which the gateway must not relay', () => {
    const frame = encodeCbor({ envelope: { content: { request_type: 'query' } } }, true);
    const err = protocolError(() => decodeClientRequest(frame));
    expect(err.code).toBe(ProtocolErrorCode.BAD_MESSAGE);
    expect(err.field).toBe('envelope.content.request_type');
  });

  it.each<[string, Record<string, unknown>]>([
    ['envelope', {}],
    ['envelope.content', { envelope: { content: 1 } }],
    ['envelope.content.canister_id', { envelope: { content: { request_type: 'call', canister_id: 'bkyz2-fmaaa-aaaaa-qaaaq-cai' } } }],
  ])('refuses a frame with a bad %s and names it', (field, value) => {
    expect(protocolError(() => decodeClientRequest(encodeCbor(value, true))).field).toBe(field);
  });

  it('refuses to encode an envelope with a mistyped field', () => {
    const envelope = { content: { request_type: 'call', canister_id: 'x' } } as unknown as CallEnvelope;
    expect(protocolError(() => encodeClientRequest({ envelope })).code).toBe(ProtocolErrorCode.INVALID_ARGUMENT);
  });
});
