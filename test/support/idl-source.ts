/**
 * Prints Candid types (this workspace's IDL values) as the JavaScript of an interface factory, the
 * way `dfx generate` writes `*.did.js`, for pages that load only the client SDK's browser bundle.
 */
import { IDL } from '@dfinity/candid';

/** @returns `({ IDL }) => IDL.Service({...})` source for `methods`. */
export function idlFactorySource(methods: Record<string, IDL.FuncClass>): string {
  const entries = Object.entries(methods).map(([name, func]) => `${JSON.stringify(name)}: ${typeSource(func)}`);
  return `({ IDL }) => IDL.Service({ ${entries.join(', ')} })`;
}

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
  if (!/^[a-z][a-z0-9]*$/.test(name)) throw new Error(`idlFactorySource: unsupported type ${name}`);
  return `IDL.${name[0]!.toUpperCase()}${name.slice(1)}`;
}

function fieldsSource(fields: Array<[string, IDL.Type]>): string {
  return `{ ${fields.map(([name, t]) => `${JSON.stringify(name)}: ${typeSource(t)}`).join(', ')} }`;
}
