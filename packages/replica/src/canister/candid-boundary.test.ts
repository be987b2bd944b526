/** Candid at method boundaries, rule by rule, as the Candid spec and the IC's libraries have it. */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { countArguments, decodeArguments, encodeReply } from './candid-boundary';

const encode = (types: IDL.Type[], values: unknown[]) => new Uint8Array(IDL.encode(types, values));

describe('decodeArguments', () => {
  describe('missing trailing arguments', () => {
    it('reads a missing opt argument as null', () => {
      const bytes = encode([IDL.Text], ['hi']);
      expect(decodeArguments([IDL.Text, IDL.Opt(IDL.Nat)], bytes)).toEqual(['hi', []]);
    });

    it('reads missing null and reserved arguments as null, and all of them when none is given', () => {
      expect(decodeArguments([IDL.Opt(IDL.Text), IDL.Null, IDL.Reserved], encode([], []))).toEqual([[], null, null]);
    });

    it('reads a missing argument of a recursive opt type as null', () => {
      const list = IDL.Rec();
      list.fill(IDL.Opt(IDL.Record({ head: IDL.Nat, tail: list })));
      expect(decodeArguments([IDL.Nat, list], encode([IDL.Nat], [1n]))).toEqual([1n, []]);
    });

    it('refuses a missing argument whose type does not take null, naming it', () => {
      expect(() => decodeArguments([IDL.Text, IDL.Nat, IDL.Opt(IDL.Nat)], encode([IDL.Text], ['hi']))).toThrow(
        '1 argument given, but argument 2 of type nat is required',
      );
    });
  });

  it('ignores extra trailing arguments', () => {
    const bytes = encode([IDL.Nat, IDL.Text, IDL.Vec(IDL.Nat8)], [7n, 'extra', [1, 2]]);
    expect(decodeArguments([IDL.Nat], bytes)).toEqual([7n]);
  });

  describe('records', () => {
    const Narrow = IDL.Record({ a: IDL.Nat, b: IDL.Opt(IDL.Text) });

    it('ignores fields the method does not declare', () => {
      const Wide = IDL.Record({ a: IDL.Nat, b: IDL.Opt(IDL.Text), z: IDL.Vec(IDL.Text) });
      const bytes = encode([Wide], [{ a: 1n, b: ['x'], z: ['ignored'] }]);
      expect(decodeArguments([Narrow], bytes)).toEqual([{ a: 1n, b: ['x'] }]);
    });

    it('reads a missing opt field as null', () => {
      const bytes = encode([IDL.Record({ a: IDL.Nat })], [{ a: 1n }]);
      expect(decodeArguments([Narrow], bytes)).toEqual([{ a: 1n, b: [] }]);
    });

    it('refuses a missing field that is not opt', () => {
      const bytes = encode([IDL.Record({ b: IDL.Opt(IDL.Text) })], [{ b: [] }]);
      expect(() => decodeArguments([Narrow], bytes)).toThrow(/required field '?a'?/);
    });
  });

  describe('variants', () => {
    const Method = IDL.Variant({ Ping: IDL.Null, Text: IDL.Text, Later: IDL.Nat });

    it('takes a value of a variant with fewer alternatives', () => {
      const bytes = encode([IDL.Variant({ Text: IDL.Text })], [{ Text: 'hi' }]);
      expect(decodeArguments([Method], bytes)).toEqual([{ Text: 'hi' }]);
    });

    it('refuses an alternative the method does not know', () => {
      const bytes = encode([IDL.Variant({ Text: IDL.Text, Other: IDL.Nat })], [{ Other: 1n }]);
      expect(() => decodeArguments([Method], bytes)).toThrow(/Cannot find field/);
    });
  });

  it('reads an opt whose value does not fit its type as null (the spec\'s opt rule)', () => {
    const bytes = encode([IDL.Opt(IDL.Text)], [['not a number']]);
    expect(decodeArguments([IDL.Opt(IDL.Nat)], bytes)).toEqual([[]]);
  });

  it('refuses an argument of another type, and bytes that are not Candid', () => {
    expect(() => decodeArguments([IDL.Nat], encode([IDL.Text], ['soon']))).toThrow();
    expect(() => decodeArguments([IDL.Nat], new Uint8Array([1, 2, 3]))).toThrow('not Candid: the bytes do not start with "DIDL"');
  });
});

describe('countArguments', () => {
  it('counts the arguments after a type table with every kind of entry', () => {
    const Service = IDL.Service({ f: IDL.Func([IDL.Nat], [IDL.Text], ['query']) });
    const types = [
      IDL.Opt(IDL.Nat),
      IDL.Vec(IDL.Int8),
      IDL.Record({ a: IDL.Nat, b: IDL.Text }),
      IDL.Variant({ x: IDL.Null, y: IDL.Int }),
      IDL.Func([IDL.Nat], [], ['query']),
      Service,
      IDL.Principal,
    ];
    const principal = Principal.fromText('aaaaa-aa');
    const values = [[], [], { a: 1n, b: '' }, { x: null }, [principal, 'f'], principal, principal];
    expect(countArguments(encode(types, values))).toBe(7);
    expect(countArguments(encode([], []))).toBe(0);
  });

  it('refuses a header that ends early', () => {
    const bytes = encode([IDL.Record({ a: IDL.Nat })], [{ a: 1n }]);
    expect(() => countArguments(bytes.slice(0, 6))).toThrow('not Candid: the header ends early');
  });
});

describe('encodeReply', () => {
  it('encodes the one value of a single return type, leaving out fields it does not declare', () => {
    const Reply = IDL.Record({ a: IDL.Nat });
    const bytes = encodeReply([Reply], { a: 1n, internal: 'kept out' }, 'get');
    expect(IDL.decode([IDL.Record({ a: IDL.Nat, internal: IDL.Opt(IDL.Text) })], bytes)).toEqual([{ a: 1n, internal: [] }]);
  });

  it('encodes a tuple for several return types and nothing for none', () => {
    expect(IDL.decode([IDL.Nat, IDL.Text], encodeReply([IDL.Nat, IDL.Text], [1n, 'x'], 'pair'))).toEqual([1n, 'x']);
    expect(countArguments(encodeReply([], 'ignored', 'none'))).toBe(0);
  });

  it('refuses a value that does not fit the declared types, naming the method and the types', () => {
    expect(() => encodeReply([IDL.Nat], 'text', 'get')).toThrow(/^the reply of 'get' does not fit its return types \(nat\)/);
    expect(() => encodeReply([IDL.Nat, IDL.Text], 1n, 'pair')).toThrow("'pair' returned a bigint where its 2 return types (nat, text) take a tuple of 2 values");
  });
});
