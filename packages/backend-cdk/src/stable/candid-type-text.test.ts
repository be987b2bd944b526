/** The type descriptions stable collections record and compare. */
import { IDL } from '@icp-sdk/core/candid';
import { candidTypeText } from './candid-type-text';

describe('candidTypeText', () => {
  it('prints records, variants, tuples, vecs, opts and funcs as Candid text, fields in Candid order', () => {
    expect(candidTypeText(IDL.Record({ b: IDL.Nat, a: IDL.Opt(IDL.Text) }))).toBe('record {a:opt text; b:nat}');
    expect(candidTypeText(IDL.Variant({ Ok: IDL.Null, Err: IDL.Vec(IDL.Nat8) }))).toBe('variant {Ok:null; Err:vec nat8}');
    expect(candidTypeText(IDL.Tuple(IDL.Principal, IDL.Int64))).toBe('record {principal; int64}');
    expect(candidTypeText(IDL.Func([IDL.Nat], [], ['query']))).toBe('func (nat) -> () query');
  });

  it('names recursive types by their order, the same for every declaration of one type', () => {
    const declare = () => {
      const List = IDL.Rec();
      List.fill(IDL.Opt(IDL.Record({ head: IDL.Nat, tail: List })));
      return List;
    };
    const [first, second] = [declare(), declare()];
    expect(first.display()).not.toBe(second.display());
    expect(candidTypeText(first)).toBe('μ0.opt record {head:nat; tail:μ0}');
    expect(candidTypeText(second)).toBe(candidTypeText(first));
  });
});
