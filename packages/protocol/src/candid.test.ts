/**
 * The Candid interface of an IC WebSocket canister: every type of upstream `ws_types.did` and
 * `service_messages.did`, with its exact field names, round-trips through Candid; the service
 * fragment has the upstream method signatures.
 */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import * as candid from './candid';
import type {
  CanisterOutputCertifiedMessages,
  CanisterWsGetMessagesResult,
  ClientKey,
  WebsocketMessage,
} from './candid';

const client = Principal.fromText('kj67s-b5v2y-ahlkr-kmume-xbow6-zwbtj-j4j3m-ae46e-qqrcu-uxiby-yae');
const gateway = Principal.fromText('sqdfl-mr4km-2hfjy-gajqo-xqvh7-hf4mf-nra4i-3it6l-neaw4-soolw-tae');
const clientKey: ClientKey = { client_principal: client, client_nonce: 2n ** 64n - 1n };
const message: WebsocketMessage = {
  client_key: clientKey,
  sequence_num: 1n,
  timestamp: 1_702_143_818_946_826_129n,
  is_service_message: false,
  content: Uint8Array.of(1, 2, 3),
};
const batch: CanisterOutputCertifiedMessages = {
  messages: [{ client_key: clientKey, key: `${gateway.toText()}_00000000000000000000`, content: Uint8Array.of(0xd9, 0xd9, 0xf7) }],
  cert: Uint8Array.of(4),
  tree: Uint8Array.of(5),
  is_end_of_queue: true,
};

const roundTrip = (type: IDL.Type, value: unknown): unknown => IDL.decode([type], IDL.encode([type], [value]))[0];

/** @returns the record or variant fields of `type` as `name: type` lines. */
const fieldsOf = (type: IDL.Type) => (type as IDL.RecordClass)._fields.map(([name, t]) => `${name}: ${t.display()}`);

describe('Candid types', () => {
  it.each<[string, IDL.Type, unknown]>([
    ['ClientPrincipal', candid.ClientPrincipalIdl, client],
    ['GatewayPrincipal', candid.GatewayPrincipalIdl, gateway],
    ['ClientKey', candid.ClientKeyIdl, clientKey],
    ['WebsocketMessage', candid.WebsocketMessageIdl, message],
    ['CanisterOutputMessage', candid.CanisterOutputMessageIdl, batch.messages[0]],
    ['CanisterOutputCertifiedMessages', candid.CanisterOutputCertifiedMessagesIdl, batch],
    ['CanisterWsOpenArguments', candid.CanisterWsOpenArgumentsIdl, { client_nonce: 7n, gateway_principal: gateway, resume: [] }],
    [
      'CanisterWsOpenArguments with a resume request',
      candid.CanisterWsOpenArgumentsIdl,
      { client_nonce: 8n, gateway_principal: gateway, resume: [{ client_key: clientKey, last_incoming_sequence_num: 12n }] },
    ],
    ['CanisterWsOpenResult Ok', candid.CanisterWsOpenResultIdl, { Ok: null }],
    ['CanisterWsOpenResult Err', candid.CanisterWsOpenResultIdl, { Err: 'Anonymous principal is not allowed' }],
    ['CanisterWsCloseArguments', candid.CanisterWsCloseArgumentsIdl, { client_key: clientKey }],
    ['CanisterWsCloseResult', candid.CanisterWsCloseResultIdl, { Err: 'no such client' }],
    ['CanisterWsMessageArguments', candid.CanisterWsMessageArgumentsIdl, { msg: message }],
    ['CanisterWsMessageResult', candid.CanisterWsMessageResultIdl, { Ok: null }],
    ['CanisterWsGetMessagesArguments', candid.CanisterWsGetMessagesArgumentsIdl, { nonce: 12n, max_messages: [500n] }],
    ['CanisterWsGetMessagesResult Ok', candid.CanisterWsGetMessagesResultIdl, { Ok: batch } satisfies CanisterWsGetMessagesResult],
    ['CanisterWsGetMessagesResult Err', candid.CanisterWsGetMessagesResultIdl, { Err: 'x' } satisfies CanisterWsGetMessagesResult],
    ['CanisterOpenMessageContent', candid.CanisterOpenMessageContentIdl, { client_key: clientKey, resume: [] }],
    [
      'CanisterOpenMessageContent of a resumed session',
      candid.CanisterOpenMessageContentIdl,
      { client_key: clientKey, resume: [{ Resumed: { recovered_messages: 3n, last_incoming_sequence_num: 9n } }] },
    ],
    ['CanisterOpenMessageContent of a fresh session', candid.CanisterOpenMessageContentIdl, { client_key: clientKey, resume: [{ Fresh: { reason: { UnknownSession: null } } }] }],
    ['CanisterAckMessageContent', candid.CanisterAckMessageContentIdl, { last_incoming_sequence_num: 3n }],
    ['ClientKeepAliveMessageContent', candid.ClientKeepAliveMessageContentIdl, { last_incoming_sequence_num: 4n }],
    ['CloseMessageReason', candid.CloseMessageReasonIdl, { KeepAliveTimeout: null }],
    ['CanisterCloseMessageContent', candid.CanisterCloseMessageContentIdl, { reason: { WrongSequenceNumber: null } }],
    ['WebsocketServiceMessageContent', candid.WebsocketServiceMessageContentIdl, { OpenMessage: { client_key: clientKey, resume: [] } }],
  ])('%s round-trips', (_name, type, value) => {
    expect(roundTrip(type, value)).toEqual(value);
  });

  it('decode blobs as Uint8Array and nat64 as bigint', () => {
    const decoded = roundTrip(candid.WebsocketMessageIdl, message) as WebsocketMessage;
    expect(decoded.content).toBeInstanceOf(Uint8Array);
    expect(typeof decoded.sequence_num).toBe('bigint');
    expect(decoded.client_key.client_principal.toText()).toBe(client.toText());
  });

  it('have the upstream field names and types', () => {
    expect(fieldsOf(candid.ClientKeyIdl).sort()).toEqual(['client_nonce: nat64', 'client_principal: principal']);
    expect(fieldsOf(candid.WebsocketMessageIdl).sort()).toEqual([
      `client_key: ${candid.ClientKeyIdl.display()}`,
      'content: vec nat8', // `blob` is an alias of `vec nat8`
      'is_service_message: bool',
      'sequence_num: nat64',
      'timestamp: nat64',
    ]);
    expect(fieldsOf(candid.CanisterOutputMessageIdl).map((f) => f.split(':')[0]).sort()).toEqual(['client_key', 'content', 'key']);
    expect(fieldsOf(candid.CanisterOutputCertifiedMessagesIdl).map((f) => f.split(':')[0]).sort()).toEqual([
      'cert',
      'is_end_of_queue',
      'messages',
      'tree',
    ]);
    expect(fieldsOf(candid.CanisterWsOpenArgumentsIdl).sort()).toEqual([
      'client_nonce: nat64',
      'gateway_principal: principal',
      `resume: opt ${candid.CanisterWsResumeArgumentsIdl.display()}`,
    ]);
    expect(fieldsOf(candid.UpstreamWsOpenArgumentsIdl).sort()).toEqual(['client_nonce: nat64', 'gateway_principal: principal']);
    expect(fieldsOf(candid.CanisterWsGetMessagesArgumentsIdl).sort()).toEqual(['max_messages: opt nat64', 'nonce: nat64']);
    expect(fieldsOf(candid.UpstreamWsGetMessagesArgumentsIdl)).toEqual(['nonce: nat64']);
    expect(fieldsOf(candid.CloseMessageReasonIdl).sort()).toEqual([
      'ClosedByApplication: null',
      'InvalidServiceMessage: null',
      'KeepAliveTimeout: null',
      'WrongSequenceNumber: null',
    ]);
    expect(fieldsOf(candid.WebsocketServiceMessageContentIdl).map((f) => f.split(':')[0]).sort()).toEqual([
      'AckMessage',
      'CloseMessage',
      'KeepAliveMessage',
      'OpenMessage',
    ]);
  });

  it('results are variant { Ok; Err : text }', () => {
    for (const result of [candid.CanisterWsOpenResultIdl, candid.CanisterWsCloseResultIdl, candid.CanisterWsMessageResultIdl]) {
      expect(result.display()).toBe('variant {Ok; Err:text}');
    }
  });
});

describe('wsServiceMethods', () => {
  it('declares ws_open, ws_close and ws_message as updates and ws_get_messages as a query', () => {
    const methods = candid.wsServiceMethods();
    expect(Object.keys(methods).sort()).toEqual(['ws_close', 'ws_get_messages', 'ws_message', 'ws_open']);
    expect(methods.ws_open.annotations).toEqual([]);
    expect(methods.ws_close.annotations).toEqual([]);
    expect(methods.ws_message.annotations).toEqual([]);
    expect(methods.ws_get_messages.annotations).toEqual(['query']);
    expect(methods.ws_open.argTypes).toEqual([candid.CanisterWsOpenArgumentsIdl]);
    expect(methods.ws_open.retTypes).toEqual([candid.CanisterWsOpenResultIdl]);
    expect(methods.ws_close.argTypes).toEqual([candid.CanisterWsCloseArgumentsIdl]);
    expect(methods.ws_get_messages.argTypes).toEqual([candid.CanisterWsGetMessagesArgumentsIdl]);
    expect(methods.ws_get_messages.retTypes).toEqual([candid.CanisterWsGetMessagesResultIdl]);
  });

  it('gives ws_message the application message as an optional second argument', () => {
    const AppMessage = IDL.Record({ text: IDL.Text });
    const { ws_message } = candid.wsServiceMethods(AppMessage);
    expect(ws_message.argTypes).toHaveLength(2);
    expect(ws_message.argTypes[0]).toBe(candid.CanisterWsMessageArgumentsIdl);
    expect(ws_message.argTypes[1]?.display()).toBe('opt record {text:text}');
    expect(ws_message.retTypes).toEqual([candid.CanisterWsMessageResultIdl]);
  });

  it('defaults the application message to opt null, as the upstream client declares it', () => {
    expect(candid.wsServiceMethods().ws_message.argTypes[1]?.display()).toBe('opt null');
  });

  it('spreads into an application service', () => {
    const service = IDL.Service({ ...candid.wsServiceMethods(), greet: IDL.Func([IDL.Text], [IDL.Text], ['query']) });
    expect(service._fields.map(([name]) => name).sort()).toEqual(['greet', 'ws_close', 'ws_get_messages', 'ws_message', 'ws_open']);
  });
});

describe('wsServiceIdl', () => {
  it('is an interface factory of the four ws_ methods', () => {
    const service = candid.wsServiceIdl(IDL.Text)({ IDL });
    expect(service).toBeInstanceOf(IDL.ServiceClass);
    expect(service._fields.map(([name]) => name).sort()).toEqual(['ws_close', 'ws_get_messages', 'ws_message', 'ws_open']);
    const wsMessage = service._fields.find(([name]) => name === 'ws_message')?.[1];
    expect(wsMessage?.argTypes[1]?.display()).toBe('opt text');
  });
});
