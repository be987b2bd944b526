/**
 * Candid arguments and replies of the `ws_*` calls, encoded as upstream peers encode them.
 */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import {
  CanisterOutputMessageIdl,
  CanisterWsGetMessagesArgumentsIdl,
  CanisterWsGetMessagesResultIdl,
  CanisterWsMessageArgumentsIdl,
  CanisterWsOpenArgumentsIdl,
  UpstreamWsOpenArgumentsIdl,
  type CanisterWsMessageArguments,
  type CanisterWsResumeArguments,
} from './candid';
import {
  decodeCandid,
  decodeWsCloseArgs,
  decodeWsGetMessagesArgs,
  decodeWsGetMessagesResult,
  decodeWsMessageArgs,
  decodeWsOpenArgs,
  encodeCandid,
  encodeWsCloseArgs,
  encodeWsGetMessagesArgs,
  encodeWsGetMessagesResult,
  encodeWsMessageArgs,
  encodeWsOpenArgs,
} from './candid-codec';
import { ProtocolError, ProtocolErrorCode } from './errors';

const client = Principal.fromText('kj67s-b5v2y-ahlkr-kmume-xbow6-zwbtj-j4j3m-ae46e-qqrcu-uxiby-yae');
const gateway = Principal.fromText('sqdfl-mr4km-2hfjy-gajqo-xqvh7-hf4mf-nra4i-3it6l-neaw4-soolw-tae');
const clientKey = { client_principal: client, client_nonce: 9n };
const wsMessage: CanisterWsMessageArguments = {
  msg: { client_key: clientKey, sequence_num: 1n, timestamp: 2n, is_service_message: false, content: Uint8Array.of(7) },
};

function caught(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}

describe('ws_open', () => {
  it('round-trips its argument', () => {
    const args = { client_nonce: 2n ** 63n, gateway_principal: gateway };
    expect(decodeWsOpenArgs(encodeWsOpenArgs(args))).toEqual(args);
  });

  it('encodes an argument without a resume request exactly as the upstream client does', () => {
    const args = { client_nonce: 1n, gateway_principal: gateway };
    expect(encodeWsOpenArgs(args)).toEqual(IDL.encode([UpstreamWsOpenArgumentsIdl], [args]));
    expect(encodeWsOpenArgs({ ...args, resume: [] })).toEqual(IDL.encode([UpstreamWsOpenArgumentsIdl], [args]));
  });

  it('round-trips a resume request in the opt field', () => {
    const args = { client_nonce: 3n, gateway_principal: gateway, resume: [{ client_key: clientKey, last_incoming_sequence_num: 41n }] as [CanisterWsResumeArguments] };
    expect(encodeWsOpenArgs(args)).toEqual(IDL.encode([CanisterWsOpenArgumentsIdl], [args]));
    expect(decodeWsOpenArgs(encodeWsOpenArgs(args))).toEqual(args);
  });

  it('reads an argument that carries the opt field empty, or fields it does not know, as one without a resume request', () => {
    const args = { client_nonce: 4n, gateway_principal: gateway };
    expect(decodeWsOpenArgs(IDL.encode([CanisterWsOpenArgumentsIdl], [{ ...args, resume: [] }]))).toEqual(args);
    const later = IDL.Record({ client_nonce: IDL.Nat64, gateway_principal: IDL.Principal, resume: IDL.Opt(IDL.Nat8), extra: IDL.Text });
    expect(decodeWsOpenArgs(IDL.encode([later], [{ ...args, resume: [], extra: 'x' }]))).toEqual(args);
  });

  it('reads a resume request with the upstream type, which ignores the field (Candid subtyping)', () => {
    const args = { client_nonce: 3n, gateway_principal: gateway, resume: [{ client_key: clientKey, last_incoming_sequence_num: 41n }] as [CanisterWsResumeArguments] };
    expect(IDL.decode([UpstreamWsOpenArgumentsIdl], encodeWsOpenArgs(args))[0]).toEqual({ client_nonce: 3n, gateway_principal: gateway });
  });
});

describe('ws_message', () => {
  it('encodes (CanisterWsMessageArguments, opt null) with the option empty, as the upstream client', () => {
    const bytes = encodeWsMessageArgs(wsMessage);
    expect(bytes).toEqual(IDL.encode([CanisterWsMessageArgumentsIdl, IDL.Opt(IDL.Null)], [wsMessage, []]));
    expect(IDL.decode([CanisterWsMessageArgumentsIdl, IDL.Opt(IDL.Null)], bytes)).toEqual([wsMessage, []]);
  });

  it('decodes the first argument whatever the application type of the second', () => {
    const AppMessage = IDL.Record({ text: IDL.Text });
    const bytes = IDL.encode([CanisterWsMessageArgumentsIdl, IDL.Opt(AppMessage)], [wsMessage, [{ text: 'hi' }]]);
    expect(decodeWsMessageArgs(bytes)).toEqual(wsMessage);
  });
});

describe('ws_close and ws_get_messages', () => {
  it('round-trip their arguments', () => {
    expect(decodeWsCloseArgs(encodeWsCloseArgs({ client_key: clientKey }))).toEqual({ client_key: clientKey });
    expect(decodeWsGetMessagesArgs(encodeWsGetMessagesArgs({ nonce: 42n, max_messages: [] }))).toEqual({ nonce: 42n, max_messages: [] });
    expect(decodeWsGetMessagesArgs(encodeWsGetMessagesArgs({ nonce: 42n, max_messages: [500n] }))).toEqual({ nonce: 42n, max_messages: [500n] });
  });
});

describe('ws_get_messages max_messages, an optional field upstream peers do not know', () => {
  const Upstream = IDL.Record({ nonce: IDL.Nat64 });

  it('is left out when not asked for: the bytes are what an upstream gateway sends', () => {
        expect(encodeWsGetMessagesArgs({ nonce: 7n, max_messages: [] })).toEqual(IDL.encode([Upstream], [{ nonce: 7n }]));
  });

  it('reads upstream-shaped arguments as asking for no count', () => {
    const bytes = IDL.encode([Upstream], [{ nonce: 9n }]);
    expect(decodeWsGetMessagesArgs(bytes)).toEqual({ nonce: 9n, max_messages: [] });
    // the CDK's declared type reads them the same way through Candid's subtyping
    expect(IDL.decode([CanisterWsGetMessagesArgumentsIdl], bytes)).toEqual([{ nonce: 9n, max_messages: [] }]);
  });

  it('is skipped by a decoder of the upstream type, as upstream CDKs declare it', () => {
    const bytes = encodeWsGetMessagesArgs({ nonce: 3n, max_messages: [200n] });
    expect(IDL.decode([Upstream], bytes)).toEqual([{ nonce: 3n }]);
  });

  it('decodes arguments of other encoders (field order, extra fields) by the subtyping rules', () => {
    const Wider = IDL.Record({ nonce: IDL.Nat64, max_messages: IDL.Opt(IDL.Nat64), future: IDL.Text });
    const bytes = IDL.encode([Wider], [{ nonce: 1n, max_messages: [5n], future: 'x' }]);
    expect(decodeWsGetMessagesArgs(bytes)).toEqual({ nonce: 1n, max_messages: [5n] });
  });
});

describe('decodeWsGetMessagesResult', () => {
  const messages = [{ client_key: clientKey, key: `${gateway.toText()}_00000000000000000000`, content: Uint8Array.of(1) }];
  const cert = Uint8Array.of(2);
  const tree = Uint8Array.of(3);

  it('reads a reply of the current CDK', () => {
    const reply = { Ok: { messages, cert, tree, is_end_of_queue: false } };
    expect(decodeWsGetMessagesResult(IDL.encode([CanisterWsGetMessagesResultIdl], [reply]))).toEqual(reply);
  });

  it('reads a reply without is_end_of_queue (CDK < 0.3.1) as the end of the queue', () => {
    const Old = IDL.Variant({
      Ok: IDL.Record({ messages: IDL.Vec(CanisterOutputMessageIdl), cert: IDL.Vec(IDL.Nat8), tree: IDL.Vec(IDL.Nat8) }),
      Err: IDL.Text,
    });
    const bytes = IDL.encode([Old], [{ Ok: { messages, cert, tree } }]);
    expect(decodeWsGetMessagesResult(bytes)).toEqual({ Ok: { messages, cert, tree, is_end_of_queue: true } });
  });

  it('reads the reply the CDK encodes with encodeWsGetMessagesResult', () => {
    const reply = { Ok: { messages, cert, tree, is_end_of_queue: true } };
    const bytes = encodeWsGetMessagesResult(reply);
    expect(bytes).toEqual(IDL.encode([CanisterWsGetMessagesResultIdl], [reply]));
    expect(decodeWsGetMessagesResult(bytes)).toEqual(reply);
  });

  it('passes an Err through', () => {
    expect(decodeWsGetMessagesResult(IDL.encode([CanisterWsGetMessagesResultIdl], [{ Err: 'nope' }]))).toEqual({ Err: 'nope' });
  });

  it('refuses a reply of another type with ICWS_ERR_BAD_CANDID', () => {
    expect(caught(() => decodeWsGetMessagesResult(IDL.encode([IDL.Text], ['x']))).code).toBe(ProtocolErrorCode.BAD_CANDID);
  });
});

describe('decodeCandid', () => {
  it('decodes views into larger buffers (which @dfinity/candid 3.4 alone misreads)', () => {
    const bytes = IDL.encode([IDL.Text], ['hello']);
    const frame = new Uint8Array(bytes.length + 4);
    frame.set(bytes, 4);
    expect(decodeCandid([IDL.Text], frame.subarray(4), 'greeting')).toEqual(['hello']);
  });

  it('names what it expected when the bytes are not Candid', () => {
    const err = caught(() => decodeCandid([IDL.Text], Uint8Array.of(1, 2, 3, 4, 5), 'greeting'));
    expect(err.code).toBe(ProtocolErrorCode.BAD_CANDID);
    expect(err.message).toMatch(/^greeting: not valid Candid/);
    expect(err.cause).toBeInstanceOf(Error);
  });
});

describe('encodeCandid', () => {
  it('refuses values that do not fit the types with ICWS_ERR_INVALID_ARGUMENT', () => {
    const err = caught(() => encodeCandid([IDL.Nat64], [-1n]));
    expect(err.code).toBe(ProtocolErrorCode.INVALID_ARGUMENT);
    expect(err.kind).toBe('input');
  });
});
