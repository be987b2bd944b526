/** The `.did` text `icws-replica --print-candid` prints. */
import { IDL } from '@icp-sdk/core/candid';
import { createIcWebSocket, defineCanister, query, update } from '@icws/backend-cdk';
import { candidOfMethods, canisterCandid } from './candid-interface';

describe('canisterCandid', () => {
  it("prints an IC WebSocket canister's service with the protocol's type names, its AppMessage and its init types", () => {
    const AppMessage = IDL.Record({ body: IDL.Text });
    const canister = defineCanister(
      (ic) => {
        const ws = createIcWebSocket<{ body: string }>(ic, { appMessage: AppMessage });
        return { ...ws.methods, history: query([], [IDL.Vec(AppMessage)], () => []) };
      },
      { candidInit: { types: [IDL.Opt(IDL.Nat64)] } },
    );
    const did = canisterCandid(canister);
    expect(did).toContain('type AppMessage = record { body : text };');
    expect(did).toContain('type ClientKey = record { client_principal : principal; client_nonce : nat64 };');
    expect(did).toContain('type CanisterWsGetMessagesResult = variant { Ok : CanisterOutputCertifiedMessages; Err : text };');
    expect(did).toMatch(/\nservice : \(opt nat64\) -> \{\n/);
    expect(did).toContain('  ws_open : (CanisterWsOpenArguments) -> (variant { Ok; Err : text });\n');
    expect(did).toContain('  ws_message : (CanisterWsMessageArguments, opt AppMessage) -> (variant { Ok; Err : text });\n');
    expect(did).toContain('  ws_get_messages : (CanisterWsGetMessagesArguments) -> (CanisterWsGetMessagesResult) query;\n');
    expect(did).toContain('  history : () -> (vec AppMessage) query;\n');
    // Each named type is defined once, before the service.
    expect(did.match(/^type ClientKey =/gm)).toHaveLength(1);
    expect(did.indexOf('type ClientKey')).toBeLessThan(did.indexOf('service :'));
  });

  it('prints a canister without WebSockets as a plain service', () => {
    const counter = defineCanister(() => ({
      increment: update([], [IDL.Nat], () => 1n),
      get: query([], [IDL.Nat], () => 1n),
    }));
    expect(canisterCandid(counter)).toBe('service : {\n  increment : () -> (nat);\n  get : () -> (nat) query;\n}\n');
  });
});

describe('candidOfMethods', () => {
  const printed = (...types: IDL.Type[]) => candidOfMethods({ m: { mode: 'update', argTypes: types, retTypes: [], implementation: () => undefined } });

  it('writes vec nat8 as blob, tuples without labels and null cases of variants bare', () => {
    expect(printed(IDL.Vec(IDL.Nat8), IDL.Tuple(IDL.Text, IDL.Nat), IDL.Variant({ A: IDL.Null, B: IDL.Int32 }))).toContain(
      '  m : (blob, record { text; nat }, variant { A; B : int32 }) -> ();',
    );
  });

  it('quotes keywords and names that are not identifiers, and writes numbered fields as numbers', () => {
    expect(printed(IDL.Record({ text: IDL.Text, 'a b': IDL.Bool, _5_: IDL.Nat8 }))).toContain('record { 5 : nat8; "a b" : bool; "text" : text }');
    expect(candidOfMethods({ 'go-now': { mode: 'query', argTypes: [], retTypes: [], implementation: () => undefined } })).toContain('  "go-now" : () -> () query;');
  });

  it('names a recursive type, and writes function and service references', () => {
    const List = IDL.Rec();
    List.fill(IDL.Opt(IDL.Record({ head: IDL.Nat, tail: List })));
    const callback = IDL.Func([IDL.Text], [], ['oneway']);
    const did = printed(List, callback, IDL.Service({ ping: IDL.Func([], [], ['query']) }));
    expect(did).toContain('type Rec0 = opt record { head : nat; tail : Rec0 };');
    expect(did).toContain('  m : (Rec0, func (text) -> () oneway, service { ping : () -> () query; }) -> ();');
  });
});
