/**
 * Candid encoding of the `ws_*` calls' arguments and replies, exactly as upstream peers send them,
 * and checked decoding that reports failures as {@link ProtocolError}s.
 */
import { IDL } from '@icp-sdk/core/candid';
import {
  CanisterWsCloseArgumentsIdl,
  CanisterWsGetMessagesArgumentsIdl,
  CanisterWsGetMessagesResultCompatIdl,
  CanisterWsMessageArgumentsIdl,
  CanisterWsOpenArgumentsIdl,
  UpstreamWsOpenArgumentsIdl,
  type CanisterOutputMessage,
  type CanisterWsCloseArguments,
  type CanisterWsGetMessagesArguments,
  type CanisterWsGetMessagesResult,
  type CanisterWsMessageArguments,
  type CanisterWsOpenArguments,
} from './candid';
import { ProtocolError, ProtocolErrorCode } from './errors';

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
  if (resume === undefined || resume.length === 0) return encodeCandid([UpstreamWsOpenArgumentsIdl], [{ client_nonce, gateway_principal }]);
  return encodeCandid([CanisterWsOpenArgumentsIdl], [{ client_nonce, gateway_principal, resume }]);
}

/**
 * @returns the argument of `ws_open` decoded, from upstream clients and ours alike; `resume` is
 *   present only when the client asked to resume a session.
 * @throws {ProtocolError} `ICWS_ERR_BAD_CANDID`
 */
export function decodeWsOpenArgs(bytes: Uint8Array): CanisterWsOpenArguments {
  const args = decodeCandid([CanisterWsOpenArgumentsIdl], bytes, 'ws_open argument')[0] as CanisterWsOpenArguments;
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
  return encodeCandid([CanisterWsMessageArgumentsIdl, IDL.Opt(IDL.Null)], [args, []]);
}

/**
 * @returns the first argument of `ws_message` decoded; the second (`opt AppMessage`) is ignored,
 *   whatever its type.
 * @throws {ProtocolError} `ICWS_ERR_BAD_CANDID`
 */
export function decodeWsMessageArgs(bytes: Uint8Array): CanisterWsMessageArguments {
  return decodeCandid([CanisterWsMessageArgumentsIdl], bytes, 'ws_message argument')[0] as CanisterWsMessageArguments;
}

/** @returns the argument of `ws_close`, as the gateway encodes it. */
export function encodeWsCloseArgs(args: CanisterWsCloseArguments): Uint8Array {
  return encodeCandid([CanisterWsCloseArgumentsIdl], [args]);
}

/** @returns the argument of `ws_close` decoded. @throws {ProtocolError} `ICWS_ERR_BAD_CANDID` */
export function decodeWsCloseArgs(bytes: Uint8Array): CanisterWsCloseArguments {
  return decodeCandid([CanisterWsCloseArgumentsIdl], bytes, 'ws_close argument')[0] as CanisterWsCloseArguments;
}

/** @returns the argument of `ws_get_messages`, as the gateway encodes it. */
export function encodeWsGetMessagesArgs(args: CanisterWsGetMessagesArguments): Uint8Array {
  return encodeCandid([CanisterWsGetMessagesArgumentsIdl], [args]);
}

/** @returns the argument of `ws_get_messages` decoded. @throws {ProtocolError} `ICWS_ERR_BAD_CANDID` */
export function decodeWsGetMessagesArgs(bytes: Uint8Array): CanisterWsGetMessagesArguments {
  return decodeCandid([CanisterWsGetMessagesArgumentsIdl], bytes, 'ws_get_messages argument')[0] as CanisterWsGetMessagesArguments;
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
  const [result] = decodeCandid([CanisterWsGetMessagesResultCompatIdl], bytes, 'ws_get_messages reply') as [CompatResult];
  if ('Err' in result) return result;
  const { messages, cert, tree, is_end_of_queue } = result.Ok;
  return { Ok: { messages, cert, tree, is_end_of_queue: is_end_of_queue[0] ?? true } };
}
