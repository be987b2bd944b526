/**
 * A canister's Candid interface as `.did` text, for `icws-replica --print-candid`: what `dfx`
 * reads from a Rust or Motoko canister's metadata, here printed from the Candid types a
 * TypeScript canister declares for its methods (and its init argument). Tools that take a `.did`
 * file, such as `@icp-sdk/bindgen`, generate typed clients from it.
 */
import { IDL } from '@icp-sdk/core/candid';
import { TestCanister, type CanisterDefinition, type CanisterMethods } from '@icws/backend-cdk';
import {
  CanisterOutputCertifiedMessagesIdl,
  CanisterOutputMessageIdl,
  CanisterWsCloseArgumentsIdl,
  CanisterWsGetMessagesArgumentsIdl,
  CanisterWsGetMessagesResultIdl,
  CanisterWsMessageArgumentsIdl,
  CanisterWsOpenArgumentsIdl,
  ClientKeyIdl,
  WebsocketMessageIdl,
} from '@icws/protocol';

/**
 * The protocol's types under the names of the upstream `ws_types.did`. The `Ok`/`Err` results of
 * `ws_open`, `ws_close` and `ws_message` are left out: the kit shares those objects with its own
 * results (`CanisterSendResultIdl`), which would print under a `ws_*` name.
 */
const PROTOCOL_TYPE_NAMES: ReadonlyArray<readonly [IDL.Type, string]> = [
  [ClientKeyIdl, 'ClientKey'],
  [WebsocketMessageIdl, 'WebsocketMessage'],
  [CanisterOutputMessageIdl, 'CanisterOutputMessage'],
  [CanisterOutputCertifiedMessagesIdl, 'CanisterOutputCertifiedMessages'],
  [CanisterWsOpenArgumentsIdl, 'CanisterWsOpenArguments'],
  [CanisterWsCloseArgumentsIdl, 'CanisterWsCloseArguments'],
  [CanisterWsMessageArgumentsIdl, 'CanisterWsMessageArguments'],
  [CanisterWsGetMessagesArgumentsIdl, 'CanisterWsGetMessagesArguments'],
  [CanisterWsGetMessagesResultIdl, 'CanisterWsGetMessagesResult'],
];

/** The name of the application's message type: the `opt` second argument of `ws_message`. */
export const APP_MESSAGE_TYPE_NAME = 'AppMessage';

/**
 * Installs `definition` once on a throwaway context (no replica, no init argument) to read the
 * types of its methods, and prints them.
 * @throws what the canister's factory throws
 */
export function canisterCandid(definition: CanisterDefinition<unknown>): string {
  const { methods } = TestCanister.install(definition, undefined, { log: () => undefined });
  return candidOfMethods(methods, definition.candidInit?.types ?? []);
}

/**
 * Prints a service with `methods` (and `initTypes`, the `service : (…) ->` part) as `.did` text.
 * The protocol's records and the application's message type get their names; other types are
 * written out where they occur.
 */
export function candidOfMethods(methods: CanisterMethods, initTypes: readonly IDL.Type[] = []): string {
  const names = new Map<IDL.Type, string>(PROTOCOL_TYPE_NAMES);
  const appMessage = methods.ws_message?.argTypes[1];
  // The classes' instanceof reads a property of the value: it must not be undefined.
  if (appMessage !== undefined && appMessage instanceof IDL.OptClass && (appMessage._type instanceof IDL.RecordClass || appMessage._type instanceof IDL.VariantClass)) {
    names.set(appMessage._type, APP_MESSAGE_TYPE_NAME);
  }
  const printer = new DidPrinter(names);
  const lines = Object.entries(methods).map(([name, method]) => {
    const signature = printer.signature(method.argTypes, method.retTypes, method.mode === 'query' ? ['query'] : []);
    return `  ${label(name)} : ${signature};`;
  });
  const init = initTypes.length > 0 ? `(${initTypes.map((type) => printer.type(type)).join(', ')}) -> ` : '';
  const definitions = printer.definitions.map((definition) => `${definition}\n`).join('');
  return `${definitions}${definitions === '' ? '' : '\n'}service : ${init}{\n${lines.join('\n')}\n}\n`;
}

/** Writes types as Candid text, collecting the definitions of the named ones it meets. */
class DidPrinter {
  readonly definitions: string[] = [];
  readonly #names: Map<IDL.Type, string>;
  readonly #defined = new Set<string>();
  #recursive = 0;

  constructor(names: Map<IDL.Type, string>) {
    this.#names = names;
  }

  /** `(args) -> (rets) annotations`. */
  signature(argTypes: readonly IDL.Type[], retTypes: readonly IDL.Type[], annotations: readonly string[]): string {
    const list = (types: readonly IDL.Type[]) => `(${types.map((type) => this.type(type)).join(', ')})`;
    return [`${list(argTypes)} -> ${list(retTypes)}`, ...annotations].join(' ');
  }

  type(type: IDL.Type): string {
    const name = this.#names.get(type);
    if (name !== undefined) {
      this.#define(name, type);
      return name;
    }
    if (type instanceof IDL.RecClass) {
      // A recursive type can only be written through a name.
      const recName = `Rec${this.#recursive++}`;
      this.#names.set(type, recName);
      this.#define(recName, type.getType()!);
      return recName;
    }
    return this.#inline(type);
  }

  #define(name: string, type: IDL.Type): void {
    if (this.#defined.has(name)) return;
    this.#defined.add(name);
    this.definitions.push(`type ${name} = ${this.#inline(type)};`);
  }

  #inline(type: IDL.Type): string {
    if (type instanceof IDL.VecClass) return type._type instanceof IDL.FixedNatClass && type._type.display() === 'nat8' ? 'blob' : `vec ${this.type(type._type)}`;
    if (type instanceof IDL.OptClass) return `opt ${this.type(type._type)}`;
    if (type instanceof IDL.RecordClass) {
      const tuple = type.tryAsTuple();
      const fields = tuple !== null ? tuple.map((field) => this.type(field)) : type._fields.map(([name, field]) => `${label(name)} : ${this.type(field)}`);
      return fields.length === 0 ? 'record {}' : `record { ${fields.join('; ')} }`;
    }
    if (type instanceof IDL.VariantClass) {
      const cases = type._fields.map(([name, field]) => (field instanceof IDL.NullClass ? label(name) : `${label(name)} : ${this.type(field)}`));
      return cases.length === 0 ? 'variant {}' : `variant { ${cases.join('; ')} }`;
    }
    if (type instanceof IDL.FuncClass) return `func ${this.signature(type.argTypes, type.retTypes, type.annotations)}`;
    if (type instanceof IDL.ServiceClass) {
      return `service { ${type._fields.map(([name, func]) => `${label(name)} : ${this.signature(func.argTypes, func.retTypes, func.annotations)};`).join(' ')} }`;
    }
    // Primitive types display as their Candid keyword.
    return type.display();
  }
}

const KEYWORDS = new Set(['blob', 'bool', 'composite_query', 'empty', 'float32', 'float64', 'func', 'import', 'int', 'int8', 'int16', 'int32', 'int64', 'nat', 'nat8', 'nat16', 'nat32', 'nat64', 'null', 'oneway', 'opt', 'principal', 'query', 'record', 'reserved', 'service', 'text', 'type', 'variant', 'vec']);

/** A field or method name as Candid writes it: bare when it is an identifier, its number for `_N_`, else quoted. */
function label(name: string): string {
  const numbered = /^_(\d+)_$/.exec(name);
  if (numbered !== null) return numbered[1];
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORDS.has(name)) return name;
  return JSON.stringify(name);
}
