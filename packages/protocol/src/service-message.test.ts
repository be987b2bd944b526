/**
 * Service messages: Candid `WebsocketServiceMessageContent` in the `content` of a `WebsocketMessage`
 * whose `is_service_message` is true. The canister sends Open, Ack and Close; the client sends
 * KeepAlive in answer to each Ack.
 */
import { IDL, idlLabelToId, lebEncode } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { UpstreamServiceMessageContentIdl, type ClientKey, type WebsocketServiceMessageContent } from './candid';
import { ProtocolError, ProtocolErrorCode } from './errors';
import {
  ackMessage,
  closeMessage,
  closeReasonKind,
  decodeServiceMessage,
  encodeServiceMessage,
  freshSession,
  freshSessionReasonKind,
  keepAliveMessage,
  openMessage,
  resumedSession,
  serviceMessageKind,
  type CloseReasonKind,
} from './service-message';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
/** A Candid field label: the LEB128 of the label's hash. */
const label = (name: string) => hex(lebEncode(idlLabelToId(name)));

const CLIENT_KEY: ClientKey = {
  client_principal: Principal.fromText('kj67s-b5v2y-ahlkr-kmume-xbow6-zwbtj-j4j3m-ae46e-qqrcu-uxiby-yae'),
  client_nonce: 385_892_949_151_814_926n,
};

// The type table the upstream Rust CDK writes for `WebsocketServiceMessageContent`: types in
// depth-first order, fields in label-hash order, and the structurally identical Ack and KeepAlive
// records shared as one type. Our encoder orders its table differently; both must decode.
const RUST_TYPE_TABLE = [
  '4449444c', //                                            magic "DIDL"
  '06', //                                                  6 types
  '6b04', //                                                0: variant, 4 fields, by hash:
  label('OpenMessage') + '01',
  label('KeepAliveMessage') + '03',
  label('CloseMessage') + '04',
  label('AckMessage') + '03',
  '6c01' + label('client_key') + '02', //                   1: record { client_key : 2 }
  '6c02' + label('client_principal') + '68' + label('client_nonce') + '78', // 2: ClientKey
  '6c01' + label('last_incoming_sequence_num') + '78', //  3: record { nat64 }
  '6c01' + label('reason') + '05', //                       4: record { reason : 5 }
  '6b04' + ['ClosedByApplication', 'InvalidServiceMessage', 'WrongSequenceNumber', 'KeepAliveTimeout'].map((n) => label(n) + '7f').join(''),
  '0100', //                                                one value, of type 0
].join('');
const RUST_OPEN_MESSAGE =
  RUST_TYPE_TABLE +
  '00' + //                                                 variant index 0: OpenMessage
  '011d' + hex(CLIENT_KEY.client_principal.toUint8Array()) + // principal: reference, 29 bytes
  '0e9585bb97f75a05'; //                                    nat64, little endian
const RUST_ACK_MESSAGE = RUST_TYPE_TABLE + '03' + '0000000000000000';
const RUST_CLOSE_MESSAGE = RUST_TYPE_TABLE + '02' + '00'; // CloseMessage { ClosedByApplication }

describe('decodeServiceMessage', () => {
  it('reads the OpenMessage as the upstream Rust CDK encodes it', () => {
    expect(decodeServiceMessage(fromHex(RUST_OPEN_MESSAGE))).toEqual({ OpenMessage: { client_key: CLIENT_KEY } });
  });

  it('reads the AckMessage as the upstream Rust CDK encodes it', () => {
    expect(decodeServiceMessage(fromHex(RUST_ACK_MESSAGE))).toEqual({ AckMessage: { last_incoming_sequence_num: 0n } });
  });

  it('reads the CloseMessage as the upstream Rust CDK encodes it', () => {
    expect(decodeServiceMessage(fromHex(RUST_CLOSE_MESSAGE))).toEqual({ CloseMessage: { reason: { ClosedByApplication: null } } });
  });

  it('reads from a view into a larger buffer (as WebsocketMessage.content is)', () => {
    const frame = fromHex('abcdef' + RUST_ACK_MESSAGE);
    expect(decodeServiceMessage(frame.subarray(3))).toEqual({ AckMessage: { last_incoming_sequence_num: 0n } });
  });

  it.each([
    ['bytes that are not Candid', Uint8Array.of(1, 2, 3)],
    ['Candid of another type', IDL.encode([IDL.Text], ['OpenMessage'])],
    ['an unknown variant', IDL.encode([IDL.Variant({ ResumeMessage: IDL.Null })], [{ ResumeMessage: null }])],
    ['no value', IDL.encode([], [])],
  ])('refuses %s with ICWS_ERR_BAD_SERVICE_MESSAGE', (_what, bytes) => {
    let caught: unknown;
    try {
      decodeServiceMessage(bytes);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code).toBe(ProtocolErrorCode.BAD_SERVICE_MESSAGE);
    expect((caught as ProtocolError).hasCode(ProtocolErrorCode.BAD_SERVICE_MESSAGE)).toBe(true);
  });
});

describe('encodeServiceMessage', () => {
  const reasons: CloseReasonKind[] = ['WrongSequenceNumber', 'InvalidServiceMessage', 'KeepAliveTimeout', 'ClosedByApplication'];
  const messages: WebsocketServiceMessageContent[] = [
    openMessage(CLIENT_KEY),
    ackMessage(41n),
    keepAliveMessage(2n ** 64n - 1n),
    ...reasons.map(closeMessage),
  ];

  it.each(messages.map((m) => [serviceMessageKind(m), m] as const))('round-trips a %s', (_kind, message) => {
    expect(decodeServiceMessage(encodeServiceMessage(message))).toEqual(message);
  });

  it('encodes the same value the upstream bytes hold', () => {
    const ours = encodeServiceMessage(openMessage(CLIENT_KEY));
    expect(decodeServiceMessage(ours)).toEqual(decodeServiceMessage(fromHex(RUST_OPEN_MESSAGE)));
  });

  it('encodes an open message without a resume answer with the upstream type, so upstream peers see their bytes', () => {
    const upstream = IDL.Variant({
      OpenMessage: IDL.Record({ client_key: IDL.Record({ client_principal: IDL.Principal, client_nonce: IDL.Nat64 }) }),
      AckMessage: IDL.Record({ last_incoming_sequence_num: IDL.Nat64 }),
      KeepAliveMessage: IDL.Record({ last_incoming_sequence_num: IDL.Nat64 }),
      CloseMessage: IDL.Record({ reason: IDL.Variant({ WrongSequenceNumber: IDL.Null, InvalidServiceMessage: IDL.Null, KeepAliveTimeout: IDL.Null, ClosedByApplication: IDL.Null }) }),
    });
    expect(hex(encodeServiceMessage(openMessage(CLIENT_KEY)))).toBe(hex(IDL.encode([upstream], [openMessage(CLIENT_KEY)])));
    expect(hex(encodeServiceMessage(ackMessage(5n)))).toBe(hex(IDL.encode([upstream], [ackMessage(5n)])));
  });

  it.each([
    ['a resumed session', resumedSession(7n, 3n)],
    ['a fresh session', freshSession('MessagesDropped')],
  ])('round-trips the open message of %s, which the upstream type still reads', (_what, outcome) => {
    const bytes = encodeServiceMessage(openMessage(CLIENT_KEY, outcome));
    expect(decodeServiceMessage(bytes)).toEqual({ OpenMessage: { client_key: CLIENT_KEY, resume: [outcome] } });
    expect(IDL.decode([UpstreamServiceMessageContentIdl], bytes)[0]).toEqual({ OpenMessage: { client_key: CLIENT_KEY } });
  });

  it('refuses a value that is not a service message', () => {
    let caught: unknown;
    try {
      encodeServiceMessage({ AckMessage: { last_incoming_sequence_num: -1n } });
    } catch (err) {
      caught = err;
    }
    expect(ProtocolError.is(caught, ProtocolErrorCode.INVALID_ARGUMENT)).toBe(true);
  });
});

describe('builders and kinds', () => {
  it('build the four variants with the wire field names', () => {
    expect(openMessage(CLIENT_KEY)).toEqual({ OpenMessage: { client_key: CLIENT_KEY } });
    expect(ackMessage(3n)).toEqual({ AckMessage: { last_incoming_sequence_num: 3n } });
    expect(keepAliveMessage(4n)).toEqual({ KeepAliveMessage: { last_incoming_sequence_num: 4n } });
    expect(closeMessage('KeepAliveTimeout')).toEqual({ CloseMessage: { reason: { KeepAliveTimeout: null } } });
  });

  it('build the answers to a resume request', () => {
    expect(openMessage(CLIENT_KEY, resumedSession(2n, 5n))).toEqual({
      OpenMessage: { client_key: CLIENT_KEY, resume: [{ Resumed: { recovered_messages: 2n, last_incoming_sequence_num: 5n } }] },
    });
    expect(freshSession('UnknownSession')).toEqual({ Fresh: { reason: { UnknownSession: null } } });
    expect(freshSessionReasonKind({ ResumeDisabled: null })).toBe('ResumeDisabled');
  });

  it('name the variant of a message and of a close reason', () => {
    expect(serviceMessageKind(keepAliveMessage(1n))).toBe('KeepAliveMessage');
    expect(closeReasonKind({ WrongSequenceNumber: null })).toBe('WrongSequenceNumber');
  });

  it('refuse an object that is not a single-tag variant', () => {
    expect(() => serviceMessageKind({} as WebsocketServiceMessageContent)).toThrow(ProtocolError);
  });
});
