/**
 * The application's messages as Candid bytes. `IDL.encode` and `IDL.decode` build and parse a type
 * table on every call, which for the small messages of a chat or a game costs more than the rest
 * of what the client does with a message; a codec compiled once for the message type
 * (`compileCandid`) writes the same bytes and reads them back without. Types or bytes the compiled
 * codec does not take (other encoders' type tables, subtypes, types it does not cover) go to
 * `IDL.encode` / `IDL.decode`, which apply Candid's rules and report bad values.
 */
import { IDL } from '@icp-sdk/core/candid';
import { compileCandid, type CandidCodec } from '@icws/protocol';

/** Encodes and decodes the messages of one Candid type. @internal */
export interface MessageCodec {
  /** @throws Error as `IDL.encode` does when `message` does not fit the type */
  encode(message: unknown): Uint8Array;
  /** @throws Error as `IDL.decode` does when `bytes` are not a value of the type */
  decode(bytes: Uint8Array): unknown;
}

/** One codec per message type: the sockets of one application share its type. */
const codecs = new WeakMap<IDL.Type, MessageCodec>();

/** @returns the codec of `type`, compiled on first use. @internal */
export function messageCodecOf(type: IDL.Type): MessageCodec {
  let codec = codecs.get(type);
  if (codec === undefined) {
    codec = makeCodec(type, compileCandid([type]));
    codecs.set(type, codec);
  }
  return codec;
}

function makeCodec(type: IDL.Type, compiled: CandidCodec | undefined): MessageCodec {
  return {
    encode: (message) => (compiled === undefined ? IDL.encode([type], [message]) : compiled.encode([message])),
    decode(bytes) {
      const fast = compiled?.decode(bytes);
      if (fast !== undefined) return fast[0];
      // @icp-sdk/core's decoder ignores byteOffset: decode a copy of a view
      return IDL.decode([type], bytes.byteOffset === 0 ? bytes : bytes.slice())[0];
    },
  };
}
