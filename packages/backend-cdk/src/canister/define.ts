import type { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import type { StableStore } from '../stable/stable-store';

/** Identifies a timer set by a canister; pass it to {@link CanisterContext.clearTimer}. */
export type TimerId = number;

/**
 * What a canister method sees of the system, as the IC's system API offers it to a canister:
 * who called, the time, the canister's own id, certified data and timers.
 */
export interface CanisterContext {
  /** The principal that made the current call (the canister itself inside timers). */
  caller(): Principal;
  /** The replica's time in nanoseconds since the epoch; constant within one round. */
  time(): bigint;
  /** This canister's id. */
  id(): Principal;
  /**
   * Sets the data that the next certificate certifies at `canister/<id>/certified_data`.
   * Only in update methods and timers; at most 32 bytes.
   */
  setCertifiedData(data: Uint8Array): void;
  /**
   * Makes `source` the canister's certified data: the host calls it when it certifies the state,
   * after the last message of the round, rather than taking bytes at once. A library that changes
   * the certified data in many messages of a round (one per queued WebSocket message) then hashes
   * it once per round. As {@link setCertifiedData}: only in update methods and timers, applied
   * when the message commits, the data at most 32 bytes; a later `setCertifiedData` replaces the
   * source. `source` must return the same bytes until the canister changes what they cover, and
   * must not use this context. Hosts that lack it leave the method out: call `setCertifiedData` then.
   */
  setCertifiedDataSource?(source: () => Uint8Array): void;
  /**
   * Offers queries that answer from the state the latest certificate covers while the host
   * executes and certifies later rounds, instead of waiting for them. After each round, outside
   * any message, the host calls `capture`, which returns query methods (by name) bound to a frozen
   * copy of what they read; while a later round is under way, a call of one of those methods runs
   * the captured one, at the time of the round it was captured in and with that round's
   * certificate as `dataCertificate()`. A captured method that has nothing newer to tell than the
   * round under way returns {@link DEFER_TO_CURRENT_STATE}: the call then waits for
   * that round and runs on the current state. Other queries, and all queries while no round is
   * under way, run on the current state as before. A canister has one `capture`; a later call
   * replaces it. `capture` must be cheap (it runs every round) and must not use this context.
   * Hosts that lack it leave the method out.
   */
  setCertifiedQueries?(capture: () => CanisterMethods): void;
  /**
   * The certificate covering the current certified data, or `undefined` outside a query.
   * Its tree holds `time` and `canister/<id>/certified_data`.
   */
  dataCertificate(): Uint8Array | undefined;
  /** Runs `callback` once, `delayMs` after the current time, in a round of its own. */
  setTimer(delayMs: number, callback: () => void): TimerId;
  /** Runs `callback` every `intervalMs`, first one interval from now. */
  setTimerInterval(intervalMs: number, callback: () => void): TimerId;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimer(id: TimerId): void;
  /** Writes a debug line to the replica's log, prefixed with the canister's name. */
  print(...values: unknown[]): void;
  /**
   * Registers `undo` to run if the effects of the message now executing are discarded: it trapped,
   * or it is a query (whose changes never persist on the IC). The replica discards what it
   * controls (certified data, timers) but not the canister's own variables; a library that keeps
   * state next to certified data registers the inverse of each change here. Callbacks run newest
   * first; one that throws is logged and the others still run.
   */
  onRollback(undo: () => void): void;
  /**
   * Registers `callback` to run once the update or timer now executing has returned, just before
   * its effects are committed: it may still set certified data and timers, and if it throws the
   * message traps. Lets a library certify a batch of changes once per message. Not run for queries.
   */
  onCommit(callback: () => void): void;
  /**
   * The canister's stable memory: named collections that outlive its heap, across upgrades and
   * replica restarts. Open them with `StableMap.open(ic, …)`, `StableCell.open(ic, …)` or
   * `StableVec.open(ic, …)` rather than using this store directly; its writes belong to the
   * message executing, committed with it or discarded with it.
   */
  readonly stableStore: StableStore;
}

/**
 * What a query captured with {@link CanisterContext.setCertifiedQueries} returns to have the call
 * wait for the round under way and run on the current state instead: it has nothing to answer
 * that the round under way could not make newer (a poll that has had every message certified).
 */
export const DEFER_TO_CURRENT_STATE: unique symbol = Symbol('icws: answer from the current state');

type Decoded<T> = T extends IDL.Type<infer V> ? V : never;
/** The TypeScript values of a tuple of Candid types. */
export type CandidValues<Types extends readonly IDL.Type[]> = { -readonly [K in keyof Types]: Decoded<Types[K]> };
/** What a method returns: one value for one return type, a tuple otherwise. */
export type CandidReturn<Types extends readonly IDL.Type[]> = Types extends readonly [IDL.Type<infer V>]
  ? V
  : Types extends readonly []
    ? void
    : CandidValues<Types>;

/** A canister method: its Candid signature, its mode and its implementation. */
export interface MethodDefinition {
  readonly mode: 'update' | 'query';
  readonly argTypes: readonly IDL.Type[];
  readonly retTypes: readonly IDL.Type[];
  readonly implementation: (...args: never[]) => unknown;
  /**
   * A faster decoder of the arguments for the encodings it knows (the protocol's own methods have
   * one): @returns the arguments as decoding them against `argTypes` would, or `undefined` to leave
   * the bytes to the host's Candid decoder.
   */
  readonly decodeArguments?: (bytes: Uint8Array) => unknown[] | undefined;
}

function method<const A extends readonly IDL.Type[], const R extends readonly IDL.Type[]>(
  mode: 'update' | 'query',
  argTypes: A,
  retTypes: R,
  implementation: (...args: CandidValues<A>) => CandidReturn<R>,
): MethodDefinition {
  return { mode, argTypes, retTypes, implementation: implementation as MethodDefinition['implementation'] };
}

/**
 * An update method: runs in a round, may change state, its reply is certified.
 * @example update([IDL.Nat], [IDL.Nat], (n) => (count += n))
 */
export function update<const A extends readonly IDL.Type[], const R extends readonly IDL.Type[]>(
  argTypes: A,
  retTypes: R,
  implementation: (...args: CandidValues<A>) => CandidReturn<R>,
): MethodDefinition {
  return method('update', argTypes, retTypes, implementation);
}

/** A query method: answered at once from current state; changes it makes are not meant to persist. */
export function query<const A extends readonly IDL.Type[], const R extends readonly IDL.Type[]>(
  argTypes: A,
  retTypes: R,
  implementation: (...args: CandidValues<A>) => CandidReturn<R>,
): MethodDefinition {
  return method('query', argTypes, retTypes, implementation);
}

/** The methods a canister exports, by name. */
export type CanisterMethods = Readonly<Record<string, MethodDefinition>>;

/**
 * Where a factory's methods carry its {@link UpgradeHooks}: a symbol, so listings of the methods
 * (`Object.entries`, Candid interfaces) never see them. Registered globally, so two copies of the
 * kit agree on it.
 */
const UPGRADE_HOOKS = Symbol.for('icws.upgradeHooks');

/**
 * What a canister runs around an upgrade, as `#[pre_upgrade]` / `#[post_upgrade]` do on the IC. An
 * upgrade replaces the module and drops the heap (variables, timers, certified data) but keeps
 * stable memory (`StableMap`, `StableCell`, `StableVec`). The replica upgrades a canister when it
 * starts with stable state the canister left before (a restart, or a changed module), and when
 * `icws-replica --watch` sees the module's file change.
 */
export interface UpgradeHooks {
  /**
   * Runs on the old instance just before it is dropped, when the replica replaces a running
   * canister (`--watch`, `Replica.upgrade`): save what the heap holds and stable memory does not.
   * Not run when the replica restarts, as the old heap is gone by then. If it throws, the upgrade
   * is abandoned: the old module keeps running on unchanged stable memory.
   */
  preUpgrade?(): void;
  /**
   * Runs on the new instance, after its factory, when it takes over stable memory another instance
   * left (an upgrade, a restart of the replica); not on a first install. Rebuild heap state from
   * stable memory here. If it throws, the upgrade is abandoned.
   */
  postUpgrade?(): void;
}

/**
 * Declares the factory's upgrade hooks: spread the result into the methods it returns.
 * @example
 * return {
 *   increment: update([], [IDL.Nat], () => ++count),
 *   ...upgradeHooks({
 *     preUpgrade: () => saved.set(count),
 *     postUpgrade: () => (count = saved.get()),
 *   }),
 * };
 */
export function upgradeHooks(hooks: UpgradeHooks): CanisterMethods {
  return { [UPGRADE_HOOKS]: { ...hooks } } as CanisterMethods;
}

/** @returns the upgrade hooks a factory declared among its methods with {@link upgradeHooks} (none: `{}`). For hosts. */
export function upgradeHooksOf(methods: CanisterMethods): UpgradeHooks {
  const hooks = (methods as { [UPGRADE_HOOKS]?: unknown })[UPGRADE_HOOKS];
  return typeof hooks === 'object' && hooks !== null ? (hooks as UpgradeHooks) : {};
}

/**
 * A canister module: what `defineCanister` returns and what the replica installs. Installing calls
 * `create` once per canister instance, so each instance keeps its own state.
 */
export interface CanisterDefinition<Init = void> {
  readonly kind: 'icws-canister';
  /**
   * How the canister takes its init argument as Candid, when it declares so. Typed loosely so that
   * a definition of any init type still passes where `CanisterDefinition<never>` is taken.
   */
  readonly candidInit?: CandidInit<unknown>;
  create(context: CanisterContext, init: Init): CanisterMethods;
}

/**
 * A canister's init argument as Candid, the way the IC passes install arguments: its types, and how
 * the decoded values become the factory's init value. Lets `icws-replica --init NAME='(…)'` install
 * the canister with Candid text.
 */
export interface CandidInit<Init> {
  /** The init arguments' Candid types, as a .did file's `service : (…) -> …` lists them. */
  readonly types: readonly IDL.Type[];
  /**
   * Makes the factory's init value from the decoded values (one per type; a missing `opt` is `[]`).
   * @default the one value when there is one type, else the array of values
   */
  readonly fromCandid?: (values: unknown[]) => Init;
}

/** Options of {@link defineCanister}. */
export interface DefineCanisterOptions<Init> {
  /** Declares the init argument's Candid types, so the canister can be installed with Candid. */
  readonly candidInit?: CandidInit<Init>;
}

/**
 * Defines a canister. The factory runs once per installed instance; keep the canister's state in
 * its closure. `options.candidInit` declares the init argument's Candid types.
 * @example
 * export default defineCanister((ic) => {
 *   let count = 0n;
 *   return {
 *     increment: update([], [IDL.Nat], () => ++count),
 *     get: query([], [IDL.Nat], () => count),
 *   };
 * });
 */
export function defineCanister<Init = void>(
  factory: (context: CanisterContext, init: Init) => CanisterMethods,
  options: DefineCanisterOptions<Init> = {},
): CanisterDefinition<Init> {
  return options.candidInit === undefined
    ? { kind: 'icws-canister', create: factory }
    : { kind: 'icws-canister', candidInit: options.candidInit, create: factory };
}

/** @returns whether `value` is a canister module made by {@link defineCanister}. */
export function isCanisterDefinition(value: unknown): value is CanisterDefinition<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'icws-canister';
}

/**
 * @returns the line `ic.print(...values)` writes: strings as they are, bigints in decimal, errors by
 *   their message, anything else as JSON (bigints inside in decimal). Hosts of canisters use it so
 *   a canister prints the same everywhere.
 */
export function printedLine(values: readonly unknown[]): string {
  return values.map(printedValue).join(' ');
}

function printedValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(value);
  }
}
