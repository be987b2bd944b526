/** Candid value text read against expected types, as `icws-replica --init` takes it. */
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { parseCandidArgs } from './candid-text';

const Settings = IDL.Record({
  send_ack_interval_ms: IDL.Opt(IDL.Nat64),
  keep_alive_timeout_ms: IDL.Opt(IDL.Nat64),
  max_number_of_returned_messages: IDL.Opt(IDL.Nat64),
});

describe('parseCandidArgs', () => {
  it('reads the init argument of a canister, with or without a type annotation', () => {
    expect(parseCandidArgs('(opt record { send_ack_interval_ms = 1000 : nat64 })', [IDL.Opt(Settings)])).toEqual([
      [{ send_ack_interval_ms: [1000n], keep_alive_timeout_ms: [], max_number_of_returned_messages: [] }],
    ]);
    expect(parseCandidArgs('(record { keep_alive_timeout_ms = opt 1_000; })', [IDL.Opt(Settings)])[0]).toEqual([
      { send_ack_interval_ms: [], keep_alive_timeout_ms: [1000n], max_number_of_returned_messages: [] },
    ]);
  });

  it('reads every kind of literal', () => {
    const types = [
      IDL.Nat, IDL.Int8, IDL.Nat16, IDL.Int, IDL.Float64, IDL.Text, IDL.Bool, IDL.Null, IDL.Principal,
      IDL.Vec(IDL.Nat8), IDL.Vec(IDL.Text), IDL.Variant({ A: IDL.Null, B: IDL.Nat32 }), IDL.Variant({ A: IDL.Null, B: IDL.Nat32 }),
      IDL.Tuple(IDL.Nat8, IDL.Text), IDL.Reserved,
    ];
    const text = `(0x_ff, -128, (65535 : nat16), -12_345, 1.5, "a\\"b\\n\\u{1F600}", true, null, principal "aaaaa-aa",
      blob "\\00\\ffA", vec { "x"; "y"; }, variant { A }, variant { B = 7 }, record { 1; "two" }, record { anything = vec { 1 } })`;
    expect(parseCandidArgs(text, types)).toEqual([
      255n, -128, 65535, -12345n, 1.5, 'a"b\n😀', true, null, Principal.fromText('aaaaa-aa'),
      Uint8Array.from([0, 255, 65]), ['x', 'y'], { A: null }, { B: 7 }, [1, 'two'], null,
    ]);
  });

  it('reads missing trailing opt arguments as null, and () as no arguments', () => {
    expect(parseCandidArgs('()', [IDL.Opt(IDL.Nat)])).toEqual([[]]);
    expect(parseCandidArgs('()', [])).toEqual([]);
  });

  it.each([
    ['1000', [IDL.Nat64], /parenthesized list/],
    ['("x")', [IDL.Nat64], /expected a number of type nat64 \(at character 2, found ""x"/],
    ['(300 : nat8)', [IDL.Nat8], /300 is out of the range of nat8/],
    ['(-1)', [IDL.Nat], /negative/],
    ['(1 : nat32)', [IDL.Nat64], /annotated nat32 where nat64 is expected/],
    ['(record { a = 1 })', [IDL.Record({ b: IDL.Nat })], /has no field a/],
    ['(record { })', [IDL.Record({ b: IDL.Nat })], /field b of record \{b:nat\} is missing/],
    ['(variant { C })', [IDL.Variant({ A: IDL.Null })], /has no alternative C/],
    ['(variant { B })', [IDL.Variant({ B: IDL.Nat })], /carries a nat/],
    ['(1, 2)', [IDL.Nat], /more than the 1 argument/],
    ['()', [IDL.Nat], /argument 1 of type nat is missing/],
    ['(1) x', [IDL.Nat], /text after the closing/],
    ['("open)', [IDL.Text], /not closed/],
    ['(principal "not a principal")', [IDL.Principal], /not a principal/],
    ['(1.5)', [IDL.Nat], /not an integer/],
  ])('refuses %s, saying why and where', (text, types, message) => {
    expect(() => parseCandidArgs(text, types)).toThrow(message);
  });
});
