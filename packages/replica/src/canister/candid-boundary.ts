/**
 * Candid at a method's boundary, as the IC's canister libraries decode and encode it. `IDL.decode`
 * of `@dfinity/candid` already follows the spec's subtyping for values inside arguments (extra
 * record fields skipped, missing `opt`/`reserved` fields null, an `opt` that does not fit is null,
 * variants by label) and skips extra trailing arguments; what it lacks is that missing trailing
 * arguments whose type admits null (`opt`, `null`, `reserved`) read as null, which this module adds.
 * Each method's types are compiled once (see `compileCandid`), so the header of an encoding of exactly
 * those types is neither built nor parsed per call.
 */
import { IDL } from '@icp-sdk/core/candid';
import { compileCandid, type CandidCodec } from '@icws/protocol';

/**
 * The compiled codecs of the type lists of methods (a method's `argTypes` or `retTypes` is one
 * array for its lifetime), so their Candid headers are built once; `null` for lists that do not compile.
 */
const codecs = new WeakMap<readonly IDL.Type[], CandidCodec | null>();

function codecOf(types: readonly IDL.Type[]): CandidCodec | undefined {
  let codec = codecs.get(types);
  if (codec === undefined) {
    codec = compileCandid(types) ?? null;
    codecs.set(types, codec);
  }
  return codec ?? undefined;
}

const MAGIC = [0x44, 0x49, 0x44, 0x4c]; // "DIDL"

// Type table opcodes (negative, as signed LEB128) that carry a payload.
const OPT = -18;
const VEC = -19;
const RECORD = -20;
const VARIANT = -21;
const FUNC = -22;
const SERVICE = -23;

/**
 * Decodes a call's argument bytes against the method's declared types.
 * @returns one value per declared type; missing trailing `opt`, `null` and `reserved` ones as null
 * @throws Error naming the problem when the bytes are not Candid or do not fit the types
 */
export function decodeArguments(types: readonly IDL.Type[], bytes: Uint8Array): unknown[] {
  const compiled = codecOf(types)?.decode(bytes);
  if (compiled !== undefined) return compiled;
  const present = countArguments(bytes);
  if (present >= types.length) return IDL.decode([...types], bytes);
  const missing = types.slice(present);
  const notNullable = missing.findIndex((type) => nullValueOf(type) === NOT_NULLABLE);
  if (notNullable !== -1) {
    const index = present + notNullable;
    throw new Error(
      `${present} argument${present === 1 ? '' : 's'} given, but argument ${index + 1} of type ${types[index].display()} is required`,
    );
  }
  return [...IDL.decode([...types.slice(0, present)], bytes), ...missing.map(nullValueOf)];
}

/**
 * Encodes what a method returned as its declared return types: the value itself for one type,
 * a tuple for several, nothing for none (whatever the method returned).
 * @throws Error naming the declared types when the value does not fit them
 */
export function encodeReply(types: readonly IDL.Type[], result: unknown, methodName: string): Uint8Array {
  let values: unknown[];
  if (types.length === 0) values = [];
  else if (types.length === 1) values = [result];
  else if (Array.isArray(result) && result.length === types.length) values = result;
  else throw new Error(`'${methodName}' returned ${describe(result)} where its ${types.length} return types (${displayTypes(types)}) take a tuple of ${types.length} values`);
  try {
    const codec = codecOf(types);
    return codec === undefined ? new Uint8Array(IDL.encode([...types], values)) : codec.encode(values);
  } catch (err) {
    throw new Error(`the reply of '${methodName}' does not fit its return types (${displayTypes(types)}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** @returns how many arguments Candid `bytes` carry, read from the header without decoding values. */
export function countArguments(bytes: Uint8Array): number {
  const reader = new HeaderReader(bytes);
  reader.expectMagic();
  const tableLength = reader.leb();
  for (let i = 0; i < tableLength; i++) reader.skipTypeEntry();
  return reader.leb();
}

const NOT_NULLABLE = Symbol('not nullable');

/** @returns the value a missing argument of `type` takes: `[]` for opt, null for null and reserved. */
function nullValueOf(type: IDL.Type): unknown {
  const resolved = type instanceof IDL.RecClass ? type.getType() : type;
  if (resolved instanceof IDL.OptClass) return [];
  if (resolved instanceof IDL.NullClass || resolved instanceof IDL.ReservedClass) return null;
  return NOT_NULLABLE;
}

function displayTypes(types: readonly IDL.Type[]): string {
  return types.map((t) => t.display()).join(', ');
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `a tuple of ${value.length}`;
  return value === undefined ? 'nothing' : `a ${typeof value}`;
}

/** Reads the header of a Candid message: magic, type table, argument types. */
class HeaderReader {
  #offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  expectMagic(): void {
    if (this.bytes.length < MAGIC.length || MAGIC.some((b, i) => this.bytes[i] !== b)) {
      throw new Error('not Candid: the bytes do not start with "DIDL"');
    }
    this.#offset = MAGIC.length;
  }

  skipTypeEntry(): void {
    const opcode = this.sleb();
    switch (opcode) {
      case OPT:
      case VEC:
        this.sleb();
        return;
      case RECORD:
      case VARIANT:
        for (let n = this.leb(); n > 0; n--) {
          this.leb();
          this.sleb();
        }
        return;
      case FUNC:
        for (let n = this.leb(); n > 0; n--) this.sleb();
        for (let n = this.leb(); n > 0; n--) this.sleb();
        this.skip(this.leb());
        return;
      case SERVICE:
        for (let n = this.leb(); n > 0; n--) {
          this.skip(this.leb());
          this.sleb();
        }
        return;
      default:
        throw new Error(`not Candid: type table entry with opcode ${opcode}`);
    }
  }

  leb(): number {
    let result = 0;
    let shift = 1;
    for (;;) {
      const byte = this.#byte();
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) return result;
      shift *= 128;
      if (shift > 2 ** 49) throw new Error('not Candid: a LEB128 number in the header is too large');
    }
  }

  sleb(): number {
    let result = 0;
    let shift = 1;
    for (;;) {
      const byte = this.#byte();
      result += (byte & 0x7f) * shift;
      shift *= 128;
      if (byte < 0x80) return byte & 0x40 ? result - shift : result;
      if (shift > 2 ** 49) throw new Error('not Candid: a LEB128 number in the header is too large');
    }
  }

  skip(length: number): void {
    if (this.#offset + length > this.bytes.length) throw new Error('not Candid: the header ends early');
    this.#offset += length;
  }

  #byte(): number {
    if (this.#offset >= this.bytes.length) throw new Error('not Candid: the header ends early');
    return this.bytes[this.#offset++];
  }
}
