/**
 * The `.did` text is documentation of the IDL values the code uses: this checks that both describe
 * the same types, field by field, and the same service.
 */
import { IDL } from '@icp-sdk/core/candid';
import * as candid from './candid';
import { WS_SERVICE_DID, WS_SERVICE_MESSAGES_DID, WS_TYPES_DID } from './did';

const PRIMITIVES: Record<string, IDL.Type> = {
  principal: IDL.Principal,
  nat64: IDL.Nat64,
  bool: IDL.Bool,
  text: IDL.Text,
  null: IDL.Null,
  blob: IDL.Vec(IDL.Nat8),
  reserved: IDL.Reserved,
};

/** @returns the IDL value a `.did` type expression names. */
function resolve(expr: string): IDL.Type {
  const e = expr.trim();
  if (e.startsWith('vec ')) return IDL.Vec(resolve(e.slice(4)));
  if (e.startsWith('opt ')) return IDL.Opt(resolve(e.slice(4)));
  const primitive = PRIMITIVES[e];
  if (primitive) return primitive;
  const named = (candid as Record<string, unknown>)[`${e}Idl`];
  if (!(named instanceof IDL.Type)) throw new Error(`no IDL value ${e}Idl for .did type ${e}`);
  return named;
}

/** @returns each `type Name = record|variant { … };` of `did` with its fields. */
function compositeTypes(did: string): Array<{ name: string; fields: Array<[string, string]> }> {
  const found = [...did.matchAll(/type (\w+) = (?:record|variant) \{([^}]*)\};/g)];
  return found.map(([, name, body]) => ({
    name: name as string,
    fields: (body as string)
      .split(';')
      .map((f) => f.trim())
      .filter((f) => f !== '')
      .map((f) => {
        const [field, type = 'null'] = f.split(':').map((part) => part.trim());
        return [field as string, type];
      }),
  }));
}

describe('WS_TYPES_DID and WS_SERVICE_MESSAGES_DID', () => {
  const types = compositeTypes(WS_TYPES_DID + WS_SERVICE_MESSAGES_DID);

  it('declare every composite type of the protocol', () => {
    expect(types.map((t) => t.name).sort()).toEqual(
      [
        'CanisterAckMessageContent',
        'CanisterCloseMessageContent',
        'CanisterFreshSession',
        'CanisterOpenMessageContent',
        'CanisterOutputCertifiedMessages',
        'CanisterOutputMessage',
        'CanisterResumedSession',
        'CanisterWsCloseArguments',
        'CanisterWsCloseResult',
        'CanisterWsGetMessagesArguments',
        'CanisterWsGetMessagesResult',
        'CanisterWsMessageArguments',
        'CanisterWsMessageResult',
        'CanisterWsOpenArguments',
        'CanisterWsOpenResult',
        'CanisterWsResumeArguments',
        'ClientKeepAliveMessageContent',
        'ClientKey',
        'CloseMessageReason',
        'FreshSessionReason',
        'SessionResumeOutcome',
        'WebsocketMessage',
        'WebsocketServiceMessageContent',
      ].sort(),
    );
  });

  it.each(compositeTypes(WS_TYPES_DID + WS_SERVICE_MESSAGES_DID).map((t) => [t.name, t] as const))(
    '%s has the fields and types of its IDL value',
    (name, { fields }) => {
      const idl = resolve(name) as IDL.RecordClass;
      const fromDid = fields.map(([field, type]) => `${field}: ${resolve(type).display()}`).sort();
      const fromIdl = idl._fields.map(([field, type]) => `${field}: ${type.display()}`).sort();
      expect(fromDid).toEqual(fromIdl);
    },
  );

  it('alias both principals to principal', () => {
    expect(WS_TYPES_DID).toContain('type ClientPrincipal = principal;');
    expect(WS_TYPES_DID).toContain('type GatewayPrincipal = principal;');
  });
});

describe('WS_SERVICE_DID', () => {
  it('declares the methods of wsServiceMethods', () => {
    const methods = candid.wsServiceMethods(IDL.Reserved);
    const lines = [...WS_SERVICE_DID.matchAll(/^\s+(\w+) : \(([^)]*)\) -> \(([^)]*)\)( query)?;$/gm)];
    expect(lines.map(([, name]) => name).sort()).toEqual(Object.keys(methods).sort());
    for (const [, name, args, rets, query] of lines) {
      const func = methods[name as keyof typeof methods];
      const AppMessage = IDL.Reserved;
      const resolveArg = (a: string) => (a.trim() === 'opt AppMessage' ? IDL.Opt(AppMessage) : resolve(a));
      expect((args as string).split(',').map((a) => resolveArg(a).display())).toEqual(func.argTypes.map((t) => t.display()));
      expect([resolve(rets as string).display()]).toEqual(func.retTypes.map((t) => t.display()));
      expect(query ? ['query'] : []).toEqual(func.annotations);
    }
  });
});
