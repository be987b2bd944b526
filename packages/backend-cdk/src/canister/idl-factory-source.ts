import { IDL } from '@icp-sdk/core/candid';
import { CdkError, type CdkErrorCode } from '../errors';

/** Code of the error {@link idlFactorySource} throws for a type it cannot print. */
export const IDL_SOURCE_UNSUPPORTED = 'ICWS_ERR_IDL_SOURCE_UNSUPPORTED' satisfies CdkErrorCode;

/**
 * Prints a canister's Candid interface as the JavaScript of an interface factory, the form
 * `dfx generate` writes to `*.did.js`, so that a web page loading only a browser bundle can build
 * actors or IC WebSockets for it.
 * @param methods - the interface's functions by method name, e.g. `{ ...wsServiceMethods(App), history: IDL.Func([], [IDL.Vec(App)], ['query']) }`
 * @returns source of the expression `({ IDL }) => IDL.Service({ … })`
 * @throws CdkError `ICWS_ERR_IDL_SOURCE_UNSUPPORTED` for a type it cannot print (recursive types, services)
 * @example
 * writeFileSync('chat.did.js', `export const idlFactory = ${idlFactorySource(methods)};\n`);
 */
export function idlFactorySource(methods: Readonly<Record<string, IDL.FuncClass>>): string {
  const entries = Object.entries(methods).map(([name, func]) => `${JSON.stringify(name)}: ${typeSource(func)}`);
  return `({ IDL }) => IDL.Service({ ${entries.join(', ')} })`;
}

const PRIMITIVES = new Set(['bool', 'null', 'text', 'nat', 'int', 'nat8', 'nat16', 'nat32', 'nat64', 'int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'principal', 'reserved', 'empty']);

function typeSource(type: IDL.Type): string {
  if (type instanceof IDL.FuncClass) {
    const list = (types: IDL.Type[]) => `[${types.map(typeSource).join(', ')}]`;
    return `IDL.Func(${list(type.argTypes)}, ${list(type.retTypes)}, ${JSON.stringify(type.annotations)})`;
  }
  if (type instanceof IDL.VecClass) return `IDL.Vec(${typeSource(type._type)})`;
  if (type instanceof IDL.OptClass) return `IDL.Opt(${typeSource(type._type)})`;
  if (type instanceof IDL.VariantClass) return `IDL.Variant(${fieldsSource(type._fields)})`;
  if (type instanceof IDL.TupleClass) return `IDL.Tuple(${type._fields.map(([, t]) => typeSource(t)).join(', ')})`;
  if (type instanceof IDL.RecordClass) return `IDL.Record(${fieldsSource(type._fields)})`;
  const name = type.display();
  if (!PRIMITIVES.has(name)) {
    throw new CdkError(IDL_SOURCE_UNSUPPORTED, `idlFactorySource cannot print the Candid type ${name}; use primitive types, records, variants, tuples, vecs, opts and funcs`);
  }
  return `IDL.${name[0].toUpperCase()}${name.slice(1)}`;
}

function fieldsSource(fields: Array<[string, IDL.Type]>): string {
  return `{ ${fields.map(([name, t]) => `${JSON.stringify(name)}: ${typeSource(t)}`).join(', ')} }`;
}
