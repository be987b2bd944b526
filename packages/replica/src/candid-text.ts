/**
 * Candid values in their textual form, e.g. `(opt record { send_ack_interval_ms = 1000 : nat64 })`,
 * read against the types they must have: what `icws-replica --init` takes. The expected types
 * direct the reading, as didc's does when given a type, so a number needs no annotation; an
 * annotation of a primitive type must name the expected one, and a value where an `opt` is
 * expected is that opt's value.
 *
 * Covered: numbers (`_` separators, hex, sign, decimals for floats), text with escapes, `true`,
 * `false`, `null`, `opt`, `record` (named, numbered or tuple fields), `variant`, `vec`, `blob`,
 * `principal`, `reserved` values, and annotations `V : type` for primitive types.
 */
import { IDL, idlLabelToId } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';

/** A piece of Candid text: a number, a text literal, a name, or one of `( ) { } ; , = :`. */
type Token =
  | { readonly kind: 'number'; readonly text: string; readonly at: number }
  | { readonly kind: 'text'; readonly bytes: Uint8Array; readonly at: number }
  | { readonly kind: 'name'; readonly text: string; readonly at: number }
  | { readonly kind: 'punct'; readonly text: string; readonly at: number }
  | { readonly kind: 'end'; readonly at: number };

const PRIMITIVE_NAMES = new Set([
  'nat', 'nat8', 'nat16', 'nat32', 'nat64', 'int', 'int8', 'int16', 'int32', 'int64',
  'float32', 'float64', 'text', 'bool', 'null', 'reserved', 'principal', 'empty',
]);

/**
 * Reads Candid argument text against `types` and checks the values fit them.
 * @param text - a parenthesized list of values, `(v1, v2)`; `()` for none
 * @returns the values as `IDL.decode` would give them for `types`; missing trailing `opt`, `null`
 *   and `reserved` arguments as null
 * @throws Error naming the problem and where in the text it is
 */
export function parseCandidArgs(text: string, types: readonly IDL.Type[]): unknown[] {
  const reader = new CandidTextReader(text);
  const values = reader.args(types);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(IDL.encode([...types], values));
  } catch (err) {
    throw new Error(`the value does not fit (${types.map((t) => t.display()).join(', ')}): ${err instanceof Error ? err.message : String(err)}`);
  }
  return IDL.decode([...types], bytes);
}

class CandidTextReader {
  readonly #tokens: Token[];
  #index = 0;

  constructor(readonly text: string) {
    this.#tokens = tokenize(text);
  }

  args(types: readonly IDL.Type[]): unknown[] {
    this.#expect('(', 'Candid arguments are a parenthesized list, e.g. (42 : nat64) or ()');
    const values: unknown[] = [];
    while (!this.#peekPunct(')')) {
      if (values.length === types.length) throw this.#error(`more than the ${types.length} argument${types.length === 1 ? '' : 's'} of type (${displayTypes(types)})`);
      values.push(this.value(types[values.length]));
      if (!this.#peekPunct(')')) this.#expect(',', 'arguments are separated by ","');
    }
    this.#index++;
    if (this.#peek().kind !== 'end') throw this.#error('text after the closing ")"');
    for (const type of types.slice(values.length)) {
      const resolved = resolve(type);
      if (resolved instanceof IDL.OptClass) values.push([]);
      else if (resolved instanceof IDL.NullClass || resolved instanceof IDL.ReservedClass) values.push(null);
      else throw this.#error(`argument ${values.length + 1} of type ${type.display()} is missing`);
    }
    return values;
  }

  /** Reads one value of type `type`, with an optional `: type` annotation after it. */
  value(type: IDL.Type): unknown {
    if (this.#peekPunct('(')) {
      this.#index++;
      const inner = this.value(type);
      this.#expect(')', 'a parenthesized value ends with ")"');
      return this.#annotated(type, inner);
    }
    const resolved = resolve(type);
    // A value given where an opt is expected is that opt's value, as didc reads it.
    if (resolved instanceof IDL.OptClass && !isName(this.#peek(), 'opt') && !isName(this.#peek(), 'null')) return [this.value(resolved._type)];
    return this.#annotated(type, this.#bare(resolved));
  }

  #annotated(type: IDL.Type, value: unknown): unknown {
    if (!this.#peekPunct(':')) return value;
    this.#index++;
    const token = this.#next();
    if (token.kind !== 'name' || !PRIMITIVE_NAMES.has(token.text)) {
      throw this.#error('only primitive types (nat64, text, principal, …) may annotate a value here', token);
    }
    if (token.text !== resolve(type).display()) throw this.#error(`annotated ${token.text} where ${type.display()} is expected`, token);
    return value;
  }

  #bare(type: IDL.Type): unknown {
    const token = this.#next();
    if (type instanceof IDL.ReservedClass) {
      this.#index--;
      this.#skipValue();
      return null;
    }
    if (type instanceof IDL.OptClass) {
      if (isName(token, 'null')) return [];
      if (isName(token, 'opt')) return [this.value(type._type)];
      throw this.#error(`expected opt or null for ${type.display()}`, token);
    }
    if (type instanceof IDL.NullClass) {
      if (isName(token, 'null')) return null;
      throw this.#error('expected null', token);
    }
    if (type instanceof IDL.BoolClass) {
      if (isName(token, 'true')) return true;
      if (isName(token, 'false')) return false;
      throw this.#error('expected true or false', token);
    }
    if (type instanceof IDL.TextClass) {
      if (token.kind !== 'text') throw this.#error('expected a text literal in double quotes', token);
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(token.bytes);
      } catch {
        throw this.#error('the text is not valid UTF-8', token);
      }
    }
    if (type instanceof IDL.PrincipalClass) {
      if (!isName(token, 'principal')) throw this.#error('expected principal "<text form>"', token);
      const id = this.#next();
      if (id.kind !== 'text') throw this.#error('expected the principal\'s text form in double quotes', id);
      try {
        return Principal.fromText(new TextDecoder().decode(id.bytes));
      } catch (err) {
        throw this.#error(`not a principal: ${err instanceof Error ? err.message : String(err)}`, id);
      }
    }
    if (isNumberType(type)) return this.#number(type, token);
    if (type instanceof IDL.VecClass) return this.#vec(type, token);
    if (type instanceof IDL.RecordClass) return this.#record(type, token);
    if (type instanceof IDL.VariantClass) return this.#variant(type, token);
    throw this.#error(`values of type ${type.display()} cannot be given as text`, token);
  }

  #number(type: IDL.Type, token: Token): unknown {
    if (token.kind !== 'number') throw this.#error(`expected a number of type ${type.display()}`, token);
    const text = token.text.replaceAll('_', '');
    if (type instanceof IDL.FloatClass) {
      const value = Number(text);
      if (!Number.isFinite(value)) throw this.#error(`not a number: ${token.text}`, token);
      return value;
    }
    let value: bigint;
    try {
      value = /^[+-]?0x/i.test(text) ? (text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text.replace(/^\+/, ''))) : BigInt(text.replace(/^\+/, ''));
    } catch {
      throw this.#error(`${token.text} is not an integer, as ${type.display()} requires`, token);
    }
    const range = integerRange(type);
    if (range !== undefined && (value < range[0] || value > range[1])) {
      throw this.#error(`${token.text} is out of the range of ${type.display()}`, token);
    }
    if (type instanceof IDL.NatClass && value < 0n) throw this.#error(`${token.text} is negative, but nat is not`, token);
    const bits = (type as { _bits?: number })._bits;
    return bits !== undefined && bits <= 32 ? Number(value) : value;
  }

  #vec(type: IDL.VecClass<unknown>, token: Token): unknown {
    if (isName(token, 'blob')) {
      if (!(resolve(type._type) instanceof IDL.FixedNatClass) || (resolve(type._type) as IDL.FixedNatClass)._bits !== 8) {
        throw this.#error(`blob is vec nat8, but ${type.display()} is expected`, token);
      }
      const bytes = this.#next();
      if (bytes.kind !== 'text') throw this.#error('expected the blob\'s bytes as a text literal, e.g. blob "\\00\\ff"', bytes);
      return [...bytes.bytes];
    }
    if (!isName(token, 'vec')) throw this.#error(`expected vec { … } for ${type.display()}`, token);
    this.#expect('{', 'a vec lists its values in braces');
    const items: unknown[] = [];
    while (!this.#peekPunct('}')) {
      items.push(this.value(type._type));
      if (!this.#peekPunct('}')) this.#expect(';', 'values of a vec are separated by ";"');
    }
    this.#index++;
    return items;
  }

  #record(type: IDL.RecordClass, token: Token): unknown {
    if (!isName(token, 'record')) throw this.#error(`expected record { … } for ${type.display()}`, token);
    this.#expect('{', 'a record lists its fields in braces');
    const byId = new Map(type._fields.map(([name, fieldType]) => [idlLabelToId(name), { name, fieldType }]));
    const given = new Map<string, unknown>();
    let position = 0;
    while (!this.#peekPunct('}')) {
      const labelToken = this.#peek();
      let id: number;
      const named = this.#tokens[this.#index + 1];
      if ((labelToken.kind === 'name' || labelToken.kind === 'number' || labelToken.kind === 'text') && named?.kind === 'punct' && named.text === '=') {
        this.#index += 2;
        id = labelToken.kind === 'number' ? Number(labelToken.text.replaceAll('_', '')) : idlLabelToId(labelToken.kind === 'text' ? new TextDecoder().decode(labelToken.bytes) : labelToken.text);
      } else {
        id = position; // a tuple field: numbered by position
      }
      const field = byId.get(id);
      if (field === undefined) throw this.#error(`${type.display()} has no field ${labelOf(labelToken, id)}`, labelToken);
      if (given.has(field.name)) throw this.#error(`field ${field.name} is given twice`, labelToken);
      given.set(field.name, this.value(field.fieldType));
      position = id + 1;
      if (!this.#peekPunct('}')) this.#expect(';', 'fields of a record are separated by ";"');
    }
    this.#index++;
    const record: Record<string, unknown> = {};
    for (const [name, fieldType] of type._fields) {
      if (given.has(name)) record[name] = given.get(name);
      else if (resolve(fieldType) instanceof IDL.OptClass) record[name] = [];
      else if (resolve(fieldType) instanceof IDL.NullClass || resolve(fieldType) instanceof IDL.ReservedClass) record[name] = null;
      else throw this.#error(`field ${name} of ${type.display()} is missing`, token);
    }
    return type instanceof IDL.TupleClass ? type._fields.map(([name]) => record[name]) : record;
  }

  #variant(type: IDL.VariantClass, token: Token): unknown {
    if (!isName(token, 'variant')) throw this.#error(`expected variant { … } for ${type.display()}`, token);
    this.#expect('{', 'a variant gives its alternative in braces');
    const label = this.#next();
    if (label.kind !== 'name' && label.kind !== 'number' && label.kind !== 'text') throw this.#error('expected the alternative\'s name', label);
    const id = label.kind === 'number' ? Number(label.text.replaceAll('_', '')) : idlLabelToId(label.kind === 'text' ? new TextDecoder().decode(label.bytes) : label.text);
    const alternative = type._fields.find(([name]) => idlLabelToId(name) === id);
    if (alternative === undefined) throw this.#error(`${type.display()} has no alternative ${labelOf(label, id)}`, label);
    let value: unknown = null;
    if (this.#peekPunct('=')) {
      this.#index++;
      value = this.value(alternative[1]);
    } else if (!(resolve(alternative[1]) instanceof IDL.NullClass)) {
      throw this.#error(`alternative ${alternative[0]} carries a ${alternative[1].display()}: write ${alternative[0]} = …`, label);
    }
    if (this.#peekPunct(';')) this.#index++;
    this.#expect('}', 'a variant has exactly one alternative');
    return { [alternative[0]]: value };
  }

  /** Skips a value of any type, for `reserved`: a balanced run of tokens up to `,` `;` `)` `}`. */
  #skipValue(): void {
    let depth = 0;
    for (;;) {
      const token = this.#peek();
      if (token.kind === 'end') return;
      if (token.kind === 'punct') {
        if ('({'.includes(token.text)) depth++;
        else if (')}'.includes(token.text)) {
          if (depth === 0) return;
          depth--;
        } else if (depth === 0 && ',;'.includes(token.text)) return;
      }
      this.#index++;
    }
  }

  #peek(): Token {
    return this.#tokens[this.#index];
  }

  #next(): Token {
    const token = this.#tokens[this.#index];
    if (token.kind !== 'end') this.#index++;
    return token;
  }

  #peekPunct(text: string): boolean {
    const token = this.#peek();
    return token.kind === 'punct' && token.text === text;
  }

  #expect(text: string, hint: string): void {
    const token = this.#next();
    if (token.kind !== 'punct' || token.text !== text) throw this.#error(`expected "${text}": ${hint}`, token);
  }

  #error(problem: string, token: Token = this.#peek()): Error {
    const found = token.kind === 'end' ? 'the end' : `"${this.text.slice(token.at, token.at + 20).split(/\s/)[0]}"`;
    return new Error(`${problem} (at character ${token.at + 1}, found ${found})`);
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if ('(){};,=:'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, at: i++ });
    } else if (c === '"') {
      const [bytes, end] = readTextLiteral(text, i);
      tokens.push({ kind: 'text', bytes, at: i });
      i = end;
    } else if (/[0-9+-]/.test(c)) {
      const match = /^[+-]?(0x[0-9a-fA-F_]+|[0-9][0-9_]*(\.[0-9_]*)?([eE][+-]?[0-9_]+)?)/.exec(text.slice(i));
      if (match === null) throw new Error(`a number was expected at character ${i + 1}`);
      tokens.push({ kind: 'number', text: match[0], at: i });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!;
      tokens.push({ kind: 'name', text: match[0], at: i });
      i += match[0].length;
    } else {
      throw new Error(`unexpected "${c}" at character ${i + 1}`);
    }
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

/** Reads a text literal from its opening quote: escapes `\n \r \t \\ \" \' \u{…}` and byte escapes `\HH`. */
function readTextLiteral(text: string, start: number): [Uint8Array, number] {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  let i = start + 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] !== '\\') {
      const codePoint = text.codePointAt(i)!;
      const char = String.fromCodePoint(codePoint);
      bytes.push(...encoder.encode(char));
      i += char.length;
      continue;
    }
    const escape = text[i + 1];
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, '"': 34, "'": 39 };
    if (escape in simple) {
      bytes.push(simple[escape]);
      i += 2;
    } else if (escape === 'u') {
      const match = /^\\u\{([0-9a-fA-F_]{1,8})\}/.exec(text.slice(i));
      if (match === null) throw new Error(`a \\u{…} escape is malformed at character ${i + 1}`);
      bytes.push(...encoder.encode(String.fromCodePoint(parseInt(match[1].replaceAll('_', ''), 16))));
      i += match[0].length;
    } else if (/^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      throw new Error(`unknown escape "\\${escape ?? ''}" at character ${i + 1}`);
    }
  }
  if (i >= text.length) throw new Error(`a text literal opened at character ${start + 1} is not closed`);
  return [Uint8Array.from(bytes), i + 1];
}

function resolve(type: IDL.Type): IDL.Type {
  return type instanceof IDL.RecClass ? (type.getType() ?? type) : type;
}

function isName(token: Token, name: string): boolean {
  return token.kind === 'name' && token.text === name;
}

function isNumberType(type: IDL.Type): boolean {
  return type instanceof IDL.NatClass || type instanceof IDL.IntClass || type instanceof IDL.FixedNatClass || type instanceof IDL.FixedIntClass || type instanceof IDL.FloatClass;
}

function integerRange(type: IDL.Type): [bigint, bigint] | undefined {
  if (type instanceof IDL.FixedNatClass) return [0n, (1n << BigInt(type._bits)) - 1n];
  if (type instanceof IDL.FixedIntClass) return [-(1n << BigInt(type._bits - 1)), (1n << BigInt(type._bits - 1)) - 1n];
  return undefined;
}

function labelOf(token: Token, id: number): string {
  return token.kind === 'name' ? token.text : String(id);
}

function displayTypes(types: readonly IDL.Type[]): string {
  return types.map((t) => t.display()).join(', ');
}
