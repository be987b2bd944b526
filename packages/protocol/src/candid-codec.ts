/**
 * Candid encoding of the `ws_*` calls' arguments and replies, exactly as upstream peers send them,
 * and checked decoding that reports failures as {@link ProtocolError}s.
 */
import { IDL } from '@icp-sdk/core/candid';
import {
  CanisterWsCloseArgumentsIdl,
  CanisterWsGetMessagesArgumentsIdl,
  CanisterWsGetMessagesResultCompatIdl,
  CanisterWsGetMessagesResultIdl,
  CanisterWsMessageArgumentsIdl,
  CanisterWsOpenArgumentsIdl,
  UpstreamWsOpenArgumentsIdl,
  UpstreamWsGetMessagesArgumentsIdl,
  type CanisterOutputMessage,
  type CanisterWsCloseArguments,
  type CanisterWsGetMessagesArguments,
  type CanisterWsGetMessagesResult,
  type CanisterWsMessageArguments,
  type CanisterWsOpenArguments,
} from './candid';
import { compileCandid, type CandidCodec } from './compiled-candid';
import { ProtocolError, ProtocolErrorCode } from './errors';

/** The codecs of the fixed argument and reply types, compiled once. */
const codecs = {
  wsOpen: compiled([CanisterWsOpenArgumentsIdl]),
  wsOpenUpstream: compiled([UpstreamWsOpenArgumentsIdl]),
  wsMessage: compiled([CanisterWsMessageArgumentsIdl, IDL.Opt(IDL.Null)]),
  wsMessageAlone: compiled([CanisterWsMessageArgumentsIdl]),
  wsClose: compiled([CanisterWsCloseArgumentsIdl]),
  wsGetMessages: compiled([CanisterWsGetMessagesArgumentsIdl]),
  wsGetMessagesUpstream: compiled([UpstreamWsGetMessagesArgumentsIdl]),
  wsGetMessagesResult: compiled([CanisterWsGetMessagesResultIdl]),
};

function compiled(types: IDL.Type[]): CandidCodec {
  const codec = compileCandid(types);
  if (codec === undefined) throw new Error(`the protocol's types (${types.map((t) => t.display()).join(', ')}) do not compile`);
  return codec;
}

/** @returns `codec.encode(values)`, its errors as {@link encodeCandid}'s. */
function encodeWith(codec: CandidCodec, values: unknown[]): Uint8Array {
  try {
    return codec.encode(values);
  } catch (cause) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `cannot encode as (${codec.types.map((t) => t.display()).join(', ')}): ${String(cause)}`, {
      cause,
    });
  }
}

/**
 * @returns the Candid encoding of `values` as arguments (or replies) of types `types`.
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` when a value does not fit its type
 */
export function encodeCandid(types: IDL.Type[], values: unknown[]): Uint8Array {
  try {
    return IDL.encode(types, values);
  } catch (cause) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_ARGUMENT, `cannot encode as (${types.map((t) => t.display()).join(', ')}): ${String(cause)}`, {
      cause,
    });
  }
}

/**
 * @returns the values of Candid `bytes` decoded as `types`. Safe on views into larger buffers
 *   (which `@dfinity/candid` 3.4 misreads: it ignores `byteOffset`).
 * @param what - name of the expected value, for the error message
 * @param code - error code on failure
 * @throws {ProtocolError} `code` when the bytes are not Candid of the expected types
 */
export function decodeCandid(
  types: IDL.Type[],
  bytes: Uint8Array,
  what: string,
  code: ProtocolErrorCode = ProtocolErrorCode.BAD_CANDID,
): unknown[] {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError(code, `${what}: expected Candid bytes, got ${typeof bytes}`);
  }
  const input = bytes.byteOffset === 0 ? bytes : new Uint8Array(bytes); // a copy at offset 0
  try {
    return IDL.decode(types, input);
  } catch (cause) {
    throw new ProtocolError(code, `${what}: not valid Candid of the expected type (${String(cause)})`, { cause });
  }
}

/**
 * @returns the argument of `ws_open`, as the client encodes it: without a resume request, exactly
 *   the upstream client's bytes; with one, the record with its `opt resume` field.
 */
export function encodeWsOpenArgs(args: CanisterWsOpenArguments): Uint8Array {
  const { client_nonce, gateway_principal, resume } = args;
  if (resume === undefined || resume.length === 0) return encodeWith(codecs.wsOpenUpstream, [{ client_nonce, gateway_principal }]);
  return encodeWith(codecs.wsOpen, [{ client_nonce, gateway_principal, resume }]);
}

/**
 * @returns the argument of `ws_open` decoded, from upstream clients and ours alike; `resume` is
 *   present only when the client asked to resume a session.
 * @throws {ProtocolError} `ICWS_ERR_BAD_CANDID`
 */
export function decodeWsOpenArgs(bytes: Uint8Array): CanisterWsOpenArguments {
  const upstream = codecs.wsOpenUpstream.decode(bytes);
  if (upstream !== undefined) return upstream[0] as CanisterWsOpenArguments;
  const args = (codecs.wsOpen.decode(bytes)?.[0] ?? decodeCandid([CanisterWsOpenArgumentsIdl], bytes, 'ws_open argument')[0]) as CanisterWsOpenArguments;
  return withoutEmptyOption(args, 'resume');
}

/**
 * @returns `record` without `field` when that `opt` field is empty, so that values of peers that
 *   never send it compare equal to what they sent. @internal
 */
export function withoutEmptyOption<T extends object, K extends keyof T>(record: T, field: K): T {
  const value = record[field] as unknown;
  if (!Array.isArray(value) || value.length > 0) return record;
  const copy = { ...record };
  delete copy[field];
  return copy;
}

/**
 * @returns the arguments of `ws_message` as the upstream client encodes them:
 *   `(CanisterWsMessageArguments, opt null)` with the option empty.
 */
export function encodeWsMessageArgs(args: CanisterWsMessageArguments): Uint8Array {
  return encodeWith(codecs.wsMessage, [args, []]);
}

/**
 * @returns the first argument of `ws_message` decoded; the second (`opt AppMessage`) is ignored,
 *   whatever its type.
 * @throws {ProtocolError} `ICWS_ERR_BAD_CANDID`
 */
export function decodeWsMessageArgs(bytes: Uint8Array): CanisterWsMessageArguments {
  const fast = decodeWsMessageArgsFast(bytes);
  if (fast !== undefined) return fast;
  return decodeCandid([CanisterWsMessageArgumentsIdl], bytes, 'ws_message argument')[0] as CanisterWsMessageArguments;
}

/** @returns the argument of `ws_close`, as the gateway encodes it. */
export function encodeWsCloseArgs(args: CanisterWsCloseArguments): Uint8Array {
  return encodeWith(codecs.wsClose, [args]);
}

/** @returns the argument of `ws_close` decoded. @throws {ProtocolError} `ICWS_ERR_BAD_CANDID` */
export function decodeWsCloseArgs(bytes: Uint8Array): CanisterWsCloseArguments {
  const fast = codecs.wsClose.decode(bytes);
  if (fast !== undefined) return fast[0] as CanisterWsCloseArguments;
  return decodeCandid([CanisterWsCloseArgumentsIdl], bytes, 'ws_close argument')[0] as CanisterWsCloseArguments;
}

/**
 * @returns the argument of `ws_get_messages`, as the gateway encodes it: `record { nonce }` as
 *   upstream gateways send it when `max_messages` is absent or empty, with `max_messages` otherwise
 */
export function encodeWsGetMessagesArgs(args: CanisterWsGetMessagesArguments): Uint8Array {
  // Also for JavaScript callers that leave the field out.
  if ((args.max_messages ?? []).length === 0) return encodeWith(codecs.wsGetMessagesUpstream, [{ nonce: args.nonce }]);
  return encodeWith(codecs.wsGetMessages, [args]);
}

/**
 * @returns the argument of `ws_get_messages` decoded; `max_messages` is `[]` when the gateway
 *   left it out, as upstream gateways do.
 * @throws {ProtocolError} `ICWS_ERR_BAD_CANDID`
 */
export function decodeWsGetMessagesArgs(bytes: Uint8Array): CanisterWsGetMessagesArguments {
  const fast = decodeWsGetMessagesArgsFast(bytes);
  if (fast !== undefined) return fast;
  return decodeCandid([CanisterWsGetMessagesArgumentsIdl], bytes, 'ws_get_messages argument')[0] as CanisterWsGetMessagesArguments;
}

/**
 * @returns the arguments of `ws_message` (`[args, []]`: the application message argument is never
 *   read) when `bytes` were encoded as the protocol's clients encode them, `(CanisterWsMessageArguments,
 *   opt null)` or the first argument alone; `undefined` otherwise (decode with Candid's rules then).
 * @internal for the CDK, which declares the second argument as `opt AppMessage`
 */
export function decodeWsMessageArgsFast(bytes: Uint8Array): CanisterWsMessageArguments | undefined {
  const decoded = codecs.wsMessage.decode(bytes) ?? codecs.wsMessageAlone.decode(bytes);
  return decoded?.[0] as CanisterWsMessageArguments | undefined;
}

/**
 * @returns the argument of `ws_get_messages` when `bytes` were encoded from the protocol's type or
 *   the upstream one (then with `max_messages: []`); `undefined` otherwise.
 * @internal for the CDK
 */
export function decodeWsGetMessagesArgsFast(bytes: Uint8Array): CanisterWsGetMessagesArguments | undefined {
  const decoded = codecs.wsGetMessages.decode(bytes);
  if (decoded !== undefined) return decoded[0] as CanisterWsGetMessagesArguments;
  const upstream = codecs.wsGetMessagesUpstream.decode(bytes)?.[0] as { nonce: bigint } | undefined;
  return upstream && { nonce: upstream.nonce, max_messages: [] };
}

/**
 * @returns the reply of `ws_get_messages` encoded, as `IDL.encode([CanisterWsGetMessagesResultIdl], [result])`.
 * @throws {ProtocolError} `ICWS_ERR_INVALID_ARGUMENT` when a value does not fit its type
 */
export function encodeWsGetMessagesResult(result: CanisterWsGetMessagesResult): Uint8Array {
  return encodeWith(codecs.wsGetMessagesResult, [result]);
}

type CompatResult =
  | { Ok: { messages: CanisterOutputMessage[]; cert: Uint8Array; tree: Uint8Array; is_end_of_queue: [] | [boolean] } }
  | { Err: string };

/**
 * @returns the reply of `ws_get_messages` decoded. Replies of CDKs older than 0.3.1, which lack
 *   `is_end_of_queue`, read as `is_end_of_queue: true`, as the upstream gateway treats them.
 * @throws {ProtocolError} `ICWS_ERR_BAD_CANDID`
 */
export function decodeWsGetMessagesResult(bytes: Uint8Array): CanisterWsGetMessagesResult {
  const fast = codecs.wsGetMessagesResult.decode(bytes);
  if (fast !== undefined) return fast[0] as CanisterWsGetMessagesResult;
  const [result] = decodeCandid([CanisterWsGetMessagesResultCompatIdl], bytes, 'ws_get_messages reply') as [CompatResult];
  if ('Err' in result) return result;
  const { messages, cert, tree, is_end_of_queue } = result.Ok;
  return { Ok: { messages, cert, tree, is_end_of_queue: is_end_of_queue[0] ?? true } };
}
