import { IDL } from '@icp-sdk/core/candid';
import { wsServiceMethods } from '@icws/protocol';
import { IcwsError } from '@icws/protocol';
import { idlFactorySource } from './idl-factory-source';

/** @returns the interface factory that `source` evaluates to. */
function evaluate(source: string): IDL.InterfaceFactory {
  return new Function(`return ${source};`)() as IDL.InterfaceFactory;
}

describe('idlFactorySource', () => {
  it('prints a factory whose service has the same methods, types and modes', () => {
    const App = IDL.Record({ id: IDL.Nat64, text: IDL.Text, sender: IDL.Opt(IDL.Principal), kind: IDL.Variant({ Message: IDL.Null, Left: IDL.Null }) });
    const methods = {
      ...wsServiceMethods(App),
      history: IDL.Func([], [IDL.Vec(App)], ['query']),
      pair: IDL.Func([IDL.Tuple(IDL.Int8, IDL.Float64), IDL.Reserved], [IDL.Bool, IDL.Empty], []),
    };
    const printed = evaluate(idlFactorySource(methods))({ IDL }) as IDL.ServiceClass;
    const display = (service: IDL.ServiceClass) => service._fields.map(([name, func]) => [name, func.display()]);
    expect(display(printed)).toEqual(display(IDL.Service(methods)));
    expect(printed._fields.find(([name]) => name === 'history')?.[1].annotations).toEqual(['query']);
  });

  it('quotes method and field names that are not identifiers', () => {
    const source = idlFactorySource({ 'odd-name': IDL.Func([IDL.Record({ 'a b': IDL.Nat })], [], []) });
    const printed = evaluate(source)({ IDL }) as IDL.ServiceClass;
    expect(printed._fields[0][0]).toBe('odd-name');
    expect(printed._fields[0][1].display()).toBe(IDL.Func([IDL.Record({ 'a b': IDL.Nat })], [], []).display());
  });

  it('refuses a type it cannot print, naming it', () => {
    const List = IDL.Rec();
    List.fill(IDL.Opt(IDL.Record({ head: IDL.Nat, tail: List })));
    const err = (() => {
      try {
        return idlFactorySource({ list: IDL.Func([List], [], []) });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(IcwsError);
    expect(err).toMatchObject({ code: 'ICWS_ERR_IDL_SOURCE_UNSUPPORTED', message: expect.stringContaining('cannot print the Candid type') });
  });
});
