import { Cbor, requestIdOf as agentRequestIdOf } from '@icp-sdk/core/agent';
import { Principal } from '@icp-sdk/core/principal';
import { SELF_DESCRIBE_TAG } from './cbor-head';
import { encodeCallEnvelope, encodeEnvelope } from './envelope';
import { decodeEnvelope } from './envelope-decode';
import type { CallEnvelope, Envelope } from './envelope-types';
import { ProtocolError } from './errors';
import { requestIdOf } from './request-id';

const canister = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
const sender = Principal.fromText('sqdfl-mr4km-2hfjy-gajqo-xqvh7-hf4mf-nra4i-3it6l-neaw4-soolw-tae');
const text = (s: string) => new TextEncoder().encode(s);

const query: Envelope<Principal> = {
  content: { request_type: 'query', canister_id: canister, method_name: 'ws_get_messages', arg: Uint8Array.of(1, 2), sender, ingress_expiry: 1_800_000_000_000_000_000n },
  sender_pubkey: new Uint8Array(44).fill(1),
  sender_sig: new Uint8Array(64).fill(2),
};

describe('encodeEnvelope', () => {
  it('writes a query that the strict decoder reads back, principals as bytes', () => {
    const body = encodeEnvelope(query);
    expect(body.subarray(0, 3)).toEqual(SELF_DESCRIBE_TAG);
    expect(decodeEnvelope(body)).toEqual({
      content: { ...query.content, canister_id: canister.toUint8Array(), sender: sender.toUint8Array() },
      sender_pubkey: query.sender_pubkey,
      sender_sig: query.sender_sig,
    });
  });

  it('keeps the request id @dfinity/agent computes for the content it was given', () => {
    const decoded = Cbor.decode<{ content: Record<string, unknown> }>(encodeEnvelope(query));
    expect(agentRequestIdOf(decoded.content)).toEqual(agentRequestIdOf(query.content as unknown as Record<string, unknown>));
    expect(requestIdOf(decodeEnvelope(encodeEnvelope(query)).content)).toEqual(requestIdOf(query.content));
  });

  it('writes a read_state with its paths and nonce, from principal bytes', () => {
    const readState: Envelope = {
      content: { request_type: 'read_state', paths: [[text('time')], [text('request_status'), new Uint8Array(32)]], sender: Uint8Array.of(4), ingress_expiry: 5n, nonce: Uint8Array.of(9) },
    };
    expect(decodeEnvelope(encodeEnvelope(readState))).toEqual(readState);
  });

  it('writes a delegation chain with targets', () => {
    const delegated: Envelope<Principal> = {
      ...query,
      sender_delegation: [{ delegation: { pubkey: new Uint8Array(44).fill(3), expiration: 2n ** 63n, targets: [canister] }, signature: new Uint8Array(64) }],
    };
    expect(decodeEnvelope(encodeEnvelope(delegated)).sender_delegation).toEqual([
      { delegation: { pubkey: new Uint8Array(44).fill(3), expiration: 2n ** 63n, targets: [canister.toUint8Array()] }, signature: new Uint8Array(64) },
    ]);
  });

  it.each([
    ['an unknown request type', { ...query, content: { ...query.content, request_type: 'update' } }, 'content.request_type'],
    ['a sender that is text', { ...query, content: { ...query.content, sender: 'aaaaa-aa' } }, 'content.sender'],
    ['a negative expiry', { ...query, content: { ...query.content, ingress_expiry: -1n } }, 'content.ingress_expiry'],
    ['paths that are not arrays', { content: { request_type: 'read_state', paths: [text('time')], sender, ingress_expiry: 1n } }, 'content.paths.0'],
  ])('refuses %s, naming the field', (_what, envelope, field) => {
    const thrown = (() => {
      try {
        encodeEnvelope(envelope as unknown as Envelope<Principal>);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(ProtocolError);
    expect(thrown).toMatchObject({ code: 'ICWS_ERR_INVALID_ARGUMENT', field });
  });
});

describe('encodeCallEnvelope', () => {
  it('refuses an envelope of another request type', () => {
    expect(() => encodeCallEnvelope(query as unknown as CallEnvelope)).toThrow(/must be 'call', got query/);
  });
});
