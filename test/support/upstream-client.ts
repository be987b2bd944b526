/**
 * The published upstream client, `ic-websocket-js@0.5.0`, unmodified, as installed in
 * `test/upstream-client` (with the `@dfinity/agent` 2.x it requires): loaded for the
 * wire-compatibility test. Node 20 has no global `WebSocket`, which the upstream client uses, so
 * `ws` stands in for it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import WebSocket from 'ws';

const ROOT = join(__dirname, '../upstream-client/node_modules');

/** The install line that provides the upstream client. */
export const UPSTREAM_INSTALL = 'npm ci --no-audit --no-fund --prefix test/upstream-client';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The upstream modules, typed loosely: they come from another copy of the agent. */
export interface Upstream {
  IcWebSocket: new (url: string, protocols: undefined, config: Record<string, unknown>) => Any;
  createWsConfig(config: Record<string, unknown>): Record<string, unknown>;
  generateRandomIdentity(): Any;
  agent: Any;
  candid: { IDL: Any };
  principal: { Principal: Any };
}

/**
 * @returns the upstream client's modules.
 * @throws when `test/upstream-client` has not been installed
 */
export function loadUpstream(): Upstream {
  if (!existsSync(join(ROOT, 'ic-websocket-js'))) {
    throw new Error(`the upstream client is not installed: run \`${UPSTREAM_INSTALL}\``);
  }
  (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
  const load = (name: string) => require(join(ROOT, name)) as Any;
  return { ...load('ic-websocket-js'), agent: load('@dfinity/agent'), candid: load('@dfinity/candid'), principal: load('@dfinity/principal') };
}

/**
 * @returns `type` (built with this workspace's @dfinity/candid) rebuilt with `target` (another
 *   copy's `IDL`), so the protocol's types are declared once and still usable by the upstream
 *   client, which checks `instanceof` against its own classes.
 */
export function convertIdl(type: IDL.Type, target: Any): Any {
  if (type instanceof IDL.FuncClass) {
    return target.Func(
      type.argTypes.map((t) => convertIdl(t, target)),
      type.retTypes.map((t) => convertIdl(t, target)),
      type.annotations,
    );
  }
  if (type instanceof IDL.VecClass) return target.Vec(convertIdl(type._type, target));
  if (type instanceof IDL.OptClass) return target.Opt(convertIdl(type._type, target));
  if (type instanceof IDL.VariantClass) return target.Variant(convertFields(type._fields, target));
  if (type instanceof IDL.TupleClass) return target.Tuple(...type._fields.map(([, t]) => convertIdl(t, target)));
  if (type instanceof IDL.RecordClass) return target.Record(convertFields(type._fields, target));
  const primitives: Record<string, string> = {
    bool: 'Bool', null: 'Null', reserved: 'Reserved', empty: 'Empty', text: 'Text', nat: 'Nat', int: 'Int', principal: 'Principal',
    nat8: 'Nat8', nat16: 'Nat16', nat32: 'Nat32', nat64: 'Nat64', int8: 'Int8', int16: 'Int16', int32: 'Int32', int64: 'Int64',
    float32: 'Float32', float64: 'Float64',
  };
  const name = primitives[type.display()];
  if (name === undefined) throw new Error(`convertIdl: unsupported type ${type.display()}`);
  return target[name];
}

function convertFields(fields: Array<[string, IDL.Type]>, target: Any): Record<string, Any> {
  return Object.fromEntries(fields.map(([name, t]) => [name, convertIdl(t, target)]));
}

/** @returns an actor of the upstream agent for a canister with `methods` (this workspace's IDL). */
export function upstreamActor(upstream: Upstream, methods: Record<string, IDL.FuncClass>, canisterId: Principal, host: string): Any {
  const { Actor, HttpAgent } = upstream.agent;
  const factory = ({ IDL: target }: { IDL: Any }) =>
    target.Service(Object.fromEntries(Object.entries(methods).map(([name, func]) => [name, convertIdl(func, target)])));
  return Actor.createActor(factory, { agent: HttpAgent.createSync({ host }), canisterId: canisterId.toText() });
}
