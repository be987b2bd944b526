/**
 * Candid codecs compiled once for fixed types. `IDL.encode` builds the type table of its types on
 * every call and `IDL.decode` parses the one it receives and builds types from it on every call,
 * which costs more than the values themselves for the small messages of the protocol. A compiled
 * codec knows the header (magic, type table, argument types) its types encode to, and reads and
 * writes the values with closures made once per type.
 *
 * It covers the types the protocol and typical application messages use: null, bool, nat, nat8 to
 * nat64, text, principal, blob, vec, opt, record and variant. Encoding gives exactly the bytes
 * `IDL.encode` gives; values it does not take on its fast path (a number array as a blob, say) are
 * encoded by `IDL.encode`, which also reports bad values. Decoding takes bytes whose header is
 * exactly the compiled one, i.e. encoded from the same types, and returns what `IDL.decode` returns
 * for them; for other headers (other encoders, subtypes) it returns `undefined` and the caller
 * decodes with `IDL.decode`, which applies Candid's subtyping rules.
 */
import { IDL } from '@icp-sdk/core/candid';
import { principalFromBytes } from './principal-cache';

/** A codec for one list of Candid types, made by {@link compileCandid}. */
export interface CandidCodec {
  /** The types it encodes and decodes. */
  readonly types: readonly IDL.Type[];
  /**
   * @returns the bytes `IDL.encode(types, values)` returns
   * @throws Error as `IDL.encode` does when a value does not fit its type
   */
  encode(values: readonly unknown[]): Uint8Array;
  /**
   * @returns the values `IDL.decode(types, bytes)` returns when `bytes` carry exactly the compiled
   *   header; `undefined` when they do not, or when a value is malformed (then decode with `IDL.decode`,
   *   which reports the problem)
   */
  decode(bytes: Uint8Array): unknown[] | undefined;
}

/** Thrown inside a codec when bytes or values leave its fast path; never reaches a caller. */
class OffPath extends Error {}
const OFF_PATH = new OffPath('off the compiled Candid path');

/** Reads values after the header. */
interface Reader {
  readonly bytes: Uint8Array;
  at: number;
}

/** How one type's values are read and written. */
interface Part {
  read(reader: Reader): unknown;
  write(writer: Writer, value: unknown): void;
  /** Some value of the type, to find the header the types encode to. */
  zero(): unknown;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();
/** Encoding writes here first, then copies out exactly the bytes written. */
const SCRATCH_BYTES = 1024;
const SCRATCH_KEPT_BYTES = 64 * 1024;
const TWO_32 = 2 ** 32;

/** A growable byte buffer. */
class Writer {
  bytes = new Uint8Array(SCRATCH_BYTES);
  at = 0;

  reserve(count: number): void {
    if (this.at + count <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.at + count));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.at++] = value;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
  }

  leb(value: number): void {
    this.reserve(10);
    while (value >= 0x80) {
      this.bytes[this.at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.at++] = value;
  }

  lebBig(value: bigint): void {
    if (value <= BigInt(Number.MAX_SAFE_INTEGER)) return this.leb(Number(value));
    while (value >= 0x80n) {
      this.byte(Number(value & 0x7fn) | 0x80);
      value >>= 7n;
    }
    this.byte(Number(value));
  }

  /** Little-endian, `width` bytes, of an integer below 2^53. */
  uintLE(value: number, width: number): void {
    this.reserve(width);
    for (let i = 0; i < width; i++) {
      this.bytes[this.at++] = value % 256;
      value = Math.floor(value / 256);
    }
  }
}

let scratch = new Writer();

/**
 * @returns a codec for `types`, or `undefined` when one of them is outside what compiled codecs
 *   cover (recursive types, tuples, int, float, reserved, empty, func, service)
 */
export function compileCandid(types: readonly IDL.Type[]): CandidCodec | undefined {
  const memo = new Map<IDL.Type, Part | undefined>();
  const parts: Part[] = [];
  for (const type of types) {
    const part = compileType(type, memo);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  const zeros = parts.map((part) => part.zero());
  const full = new Uint8Array(IDL.encode([...types], zeros));
  const values = writeValues(parts, zeros);
  // The header is what IDL.encode puts before the values; a writer that disagreed with it on
  // these values would disagree elsewhere too, so such types are left to IDL.
  if (values === undefined || !endsWith(full, values)) return undefined;
  const header = full.slice(0, full.length - values.length);
  return {
    types,
    encode(input) {
      if (input.length === parts.length) {
        const written = writeValues(parts, input, header);
        if (written !== undefined) return written;
      }
      return new Uint8Array(IDL.encode([...types], [...input]));
    },
    decode(bytes) {
      if (bytes.length < header.length) return undefined;
      for (let i = 0; i < header.length; i++) if (bytes[i] !== header[i]) return undefined;
      const reader: Reader = { bytes, at: header.length };
      try {
        const out = parts.map((part) => part.read(reader));
        return reader.at === bytes.length ? out : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** @returns `header` followed by `values` as `parts` write them, or `undefined` off the fast path. */
function writeValues(parts: readonly Part[], values: readonly unknown[], header?: Uint8Array): Uint8Array | undefined {
  const writer = scratch;
  writer.at = 0;
  try {
    if (header !== undefined) writer.raw(header);
    for (let i = 0; i < parts.length; i++) parts[i].write(writer, values[i]);
    return writer.bytes.slice(0, writer.at);
  } catch (err) {
    if (err instanceof OffPath) return undefined;
    throw err;
  } finally {
    if (writer.bytes.length > SCRATCH_KEPT_BYTES) scratch = new Writer();
  }
}

function compileType(type: IDL.Type, memo: Map<IDL.Type, Part | undefined>): Part | undefined {
  if (memo.has(type)) return memo.get(type);
  const part = makePart(type, memo);
  memo.set(type, part);
  return part;
}

function makePart(type: IDL.Type, memo: Map<IDL.Type, Part | undefined>): Part | undefined {
  if (type instanceof IDL.NullClass) return NULL_PART;
  if (type instanceof IDL.BoolClass) return BOOL_PART;
  if (type instanceof IDL.TextClass) return TEXT_PART;
  if (type instanceof IDL.PrincipalClass) return PRINCIPAL_PART;
  if (type instanceof IDL.NatClass) return NAT_PART;
  if (type instanceof IDL.FixedNatClass) return fixedNatPart(type._bits);
  if (type instanceof IDL.VecClass) {
    const inner = type._type;
    if (inner instanceof IDL.FixedNatClass && inner._bits === 8) return BLOB_PART;
    const part = compileType(inner, memo);
    return part && vecPart(part);
  }
  if (type instanceof IDL.OptClass) {
    const part = compileType(type._type, memo);
    return part && optPart(part);
  }
  if (type instanceof IDL.TupleClass) return undefined;
  if (type instanceof IDL.RecordClass) {
    const fields = compileFields(type._fields, memo);
    return fields && recordPart(fields);
  }
  if (type instanceof IDL.VariantClass) {
    const fields = compileFields(type._fields, memo);
    return fields && variantPart(fields);
  }
  return undefined;
}

function compileFields(fields: ReadonlyArray<[string, IDL.Type]>, memo: Map<IDL.Type, Part | undefined>): Array<[string, Part]> | undefined {
  const out: Array<[string, Part]> = [];
  for (const [name, type] of fields) {
    const part = compileType(type, memo);
    if (part === undefined) return undefined;
    out.push([name, part]);
  }
  return out;
}

function byte(reader: Reader): number {
  if (reader.at >= reader.bytes.length) throw OFF_PATH;
  return reader.bytes[reader.at++];
}

/** An unsigned LEB128 length or index, as a safe integer. */
function readLeb(reader: Reader): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = byte(reader);
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 0x80;
    if (scale > 2 ** 49) throw OFF_PATH;
  }
}

function take(reader: Reader, length: number): Uint8Array {
  const end = reader.at + length;
  if (end > reader.bytes.length) throw OFF_PATH;
  const out = reader.bytes.subarray(reader.at, end);
  reader.at = end;
  return out;
}

const NULL_PART: Part = {
  read: () => null,
  write(_writer, value) {
    if (value !== null) throw OFF_PATH;
  },
  zero: () => null,
};

const BOOL_PART: Part = {
  read(reader) {
    const b = byte(reader);
    if (b > 1) throw OFF_PATH;
    return b === 1;
  },
  write(writer, value) {
    if (typeof value !== 'boolean') throw OFF_PATH;
    writer.byte(value ? 1 : 0);
  },
  zero: () => false,
};

const TEXT_PART: Part = {
  read(reader) {
    return utf8Decoder.decode(take(reader, readLeb(reader)));
  },
  write(writer, value) {
    if (typeof value !== 'string') throw OFF_PATH;
    if (value.length < 43) {
      // At most 3 bytes per UTF-16 unit, so the length fits one LEB128 byte.
      writer.reserve(1 + value.length * 3);
      const { written } = utf8Encoder.encodeInto(value, writer.bytes.subarray(writer.at + 1));
      writer.bytes[writer.at] = written;
      writer.at += 1 + written;
      return;
    }
    const bytes = utf8Encoder.encode(value);
    writer.leb(bytes.length);
    writer.raw(bytes);
  },
  zero: () => '',
};

const PRINCIPAL_PART: Part = {
  read(reader) {
    if (byte(reader) !== 1) throw OFF_PATH;
    return principalFromBytes(take(reader, readLeb(reader)));
  },
  write(writer, value) {
    const principal = value as { _isPrincipal?: unknown; toUint8Array?: () => Uint8Array } | null;
    if (principal?._isPrincipal !== true || typeof principal.toUint8Array !== 'function') throw OFF_PATH;
    const bytes = principal.toUint8Array();
    writer.byte(1);
    writer.leb(bytes.length);
    writer.raw(bytes);
  },
  zero: () => principalFromBytes(new Uint8Array([4])),
};

const NAT_PART: Part = {
  read(reader) {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const b = byte(reader);
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return value;
      shift += 7n;
    }
  },
  write(writer, value) {
    if (typeof value === 'bigint' && value >= 0n) return writer.lebBig(value);
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return writer.leb(value);
    throw OFF_PATH;
  },
  zero: () => 0n,
};

const BLOB_PART: Part = {
  read(reader) {
    return take(reader, readLeb(reader)).slice();
  },
  write(writer, value) {
    if (!(value instanceof Uint8Array)) throw OFF_PATH;
    writer.leb(value.length);
    writer.raw(value);
  },
  zero: () => new Uint8Array(),
};

function fixedNatPart(bits: number): Part {
  const width = bits / 8;
  if (bits <= 32) {
    const limit = 2 ** bits;
    return {
      read(reader) {
        const bytes = take(reader, width);
        let value = 0;
        for (let i = width - 1; i >= 0; i--) value = value * 256 + bytes[i];
        return value;
      },
      write(writer, value) {
        const n = typeof value === 'bigint' && value >= 0n && value < BigInt(limit) ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= limit) throw OFF_PATH;
        writer.uintLE(n, width);
      },
      zero: () => 0,
    };
  }
  return {
    read(reader) {
      const b = take(reader, 8);
      const low = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
      const high = (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0;
      // One BigInt when the value is a safe integer; two and a shift otherwise (timestamps).
      return high < 2 ** 21 ? BigInt(high * TWO_32 + low) : (BigInt(high) << 32n) | BigInt(low);
    },
    write(writer, value) {
      let low: number;
      let high: number;
      if (typeof value === 'bigint') {
        if (value < 0n || value >= 1n << 64n) throw OFF_PATH;
        if (value <= BigInt(Number.MAX_SAFE_INTEGER)) {
          const n = Number(value);
          low = n % TWO_32;
          high = Math.floor(n / TWO_32);
        } else {
          low = Number(value & 0xffffffffn);
          high = Number(value >> 32n);
        }
      } else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
        low = value % TWO_32;
        high = Math.floor(value / TWO_32);
      } else {
        throw OFF_PATH;
      }
      writer.uintLE(low, 4);
      writer.uintLE(high, 4);
    },
    zero: () => 0n,
  };
}

function vecPart(element: Part): Part {
  return {
    read(reader) {
      const length = readLeb(reader);
      // Each element of the covered types but null and empty records takes a byte or more; a
      // longer count is left to IDL.decode.
      if (length > reader.bytes.length - reader.at) throw OFF_PATH;
      const out: unknown[] = new Array(length);
      for (let i = 0; i < length; i++) out[i] = element.read(reader);
      return out;
    },
    write(writer, value) {
      if (!Array.isArray(value)) throw OFF_PATH;
      writer.leb(value.length);
      for (const item of value) element.write(writer, item);
    },
    zero: () => [],
  };
}

function optPart(inner: Part): Part {
  return {
    read(reader) {
      const tag = byte(reader);
      if (tag === 0) return [];
      if (tag !== 1) throw OFF_PATH;
      return [inner.read(reader)];
    },
    write(writer, value) {
      if (!Array.isArray(value) || value.length > 1) throw OFF_PATH;
      if (value.length === 0) return writer.byte(0);
      writer.byte(1);
      inner.write(writer, value[0]);
    },
    zero: () => [],
  };
}

function recordPart(fields: ReadonlyArray<[string, Part]>): Part {
  return {
    read(reader) {
      const out: Record<string, unknown> = {};
      for (const [name, part] of fields) out[name] = part.read(reader);
      return out;
    },
    write(writer, value) {
      if (typeof value !== 'object' || value === null) throw OFF_PATH;
      for (const [name, part] of fields) {
        if (!Object.hasOwn(value, name)) throw OFF_PATH;
        part.write(writer, (value as Record<string, unknown>)[name]);
      }
    },
    zero: () => Object.fromEntries(fields.map(([name, part]) => [name, part.zero()])),
  };
}

function variantPart(fields: ReadonlyArray<[string, Part]>): Part {
  const indexOf = new Map(fields.map(([name], i) => [name, i]));
  return {
    read(reader) {
      const index = readLeb(reader);
      if (index >= fields.length) throw OFF_PATH;
      const [name, part] = fields[index];
      return { [name]: part.read(reader) };
    },
    write(writer, value) {
      if (typeof value !== 'object' || value === null) throw OFF_PATH;
      const keys = Object.keys(value);
      const index = keys.length === 1 ? indexOf.get(keys[0]) : undefined;
      if (index === undefined) throw OFF_PATH;
      writer.leb(index);
      fields[index][1].write(writer, (value as Record<string, unknown>)[keys[0]]);
    },
    zero: () => (fields.length === 0 ? {} : { [fields[0][0]]: fields[0][1].zero() }),
  };
}

function endsWith(bytes: Uint8Array, suffix: Uint8Array): boolean {
  if (suffix.length > bytes.length) return false;
  const offset = bytes.length - suffix.length;
  for (let i = 0; i < suffix.length; i++) if (bytes[offset + i] !== suffix[i]) return false;
  return true;
}
