import { IDL } from '@icp-sdk/core/candid';

/**
 * @returns the Candid text of `type`, the same for the same type in every process: what a stable
 *   collection records as its type and compares on reopening. Recursive types are named `μ0`,
 *   `μ1`, … in the order they are met (`IDL.Type.display()` names them from a counter shared by
 *   the whole process, which differs from one start to the next). Record and variant fields come
 *   in Candid's order (by label hash), so two declarations of one type print alike.
 * @example candidTypeText(IDL.Record({ b: IDL.Nat, a: IDL.Text })) // 'record {a:text; b:nat}'
 */
export function candidTypeText(type: IDL.Type): string {
  return print(type, new Map());
}

function print(type: IDL.Type, recursive: Map<IDL.Type, string>): string {
  const named = recursive.get(type);
  if (named !== undefined) return named;
  if (type instanceof IDL.RecClass) {
    const name = `μ${recursive.size}`;
    recursive.set(type, name);
    const inner = type.getType();
    return `${name}.${inner === undefined ? 'empty' : print(inner, recursive)}`;
  }
  const of = (t: IDL.Type) => print(t, recursive);
  if (type instanceof IDL.TupleClass) return `record {${type._fields.map(([, t]) => of(t)).join('; ')}}`;
  if (type instanceof IDL.RecordClass) return `record {${type._fields.map(([name, t]) => `${name}:${of(t)}`).join('; ')}}`;
  if (type instanceof IDL.VariantClass) return `variant {${type._fields.map(([name, t]) => `${name}:${of(t)}`).join('; ')}}`;
  if (type instanceof IDL.VecClass) return `vec ${of(type._type)}`;
  if (type instanceof IDL.OptClass) return `opt ${of(type._type)}`;
  if (type instanceof IDL.FuncClass) {
    const annotations = type.annotations.map((a) => ` ${a}`).join('');
    return `func (${type.argTypes.map(of).join(', ')}) -> (${type.retTypes.map(of).join(', ')})${annotations}`;
  }
  if (type instanceof IDL.ServiceClass) return `service {${type._fields.map(([name, t]) => `${name}:${of(t)}`).join('; ')}}`;
  return type.display();
}
