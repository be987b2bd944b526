import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import { upgradeHooksOf, type CanisterDefinition, type CanisterMethods, type MethodDefinition } from '../canister/define';
import { CdkError } from '../errors';
import { describeError } from '@icws/protocol';
import { FakeCanisterContext, FakeCanisterErrorCode, type FakeCanisterContextOptions } from './fake-canister-context';

/** How a {@link TestCanister} call ended, as a replica answers it. */
export type TestCallOutcome =
  | { readonly status: 'replied'; readonly reply: Uint8Array }
  | { readonly status: 'rejected'; readonly code: (typeof FakeCanisterErrorCode)[keyof typeof FakeCanisterErrorCode]; readonly message: string };

/** Who calls, and how. */
export interface TestCallOptions {
  /** @default the anonymous principal */
  caller?: Principal;
}

/**
 * A canister on a {@link FakeCanisterContext}, called the way a replica calls it: arguments and
 * replies travel as Candid of the method's declared types, a method that throws (or whose
 * arguments do not decode) is rejected with its effects rolled back, and a query's effects are
 * discarded. Query methods may also be called as updates.
 * @example
 * const counter = TestCanister.install(counterDefinition, undefined);
 * counter.update('increment', []);
 * expect(counter.query('get', [])).toBe(1n);
 */
export class TestCanister {
  #methods: CanisterMethods;
  #definition: CanisterDefinition<unknown>;
  #init: unknown;
  readonly #options: FakeCanisterContextOptions;

  private constructor(
    /** The canister's system API; advance its time with `context.advanceTime(ms)`. */
    readonly context: FakeCanisterContext,
    definition: CanisterDefinition<unknown>,
    init: unknown,
    options: FakeCanisterContextOptions,
    takesOverStableState: boolean,
  ) {
    this.#options = options;
    this.#definition = definition;
    this.#init = init;
    // The factory runs as the installation's message: its timers and certified data commit.
    this.#methods = takesOverStableState
      ? context.upgrade(undefined, () => this.#create(definition, init))
      : context.execute({ caller: context.id(), mode: 'update' }, () => definition.create(context, init));
  }

  /**
   * Installs `definition` with `init` on a fresh fake context.
   * @throws what the canister's factory throws
   */
  static install<Init>(definition: CanisterDefinition<Init>, init: Init, options: FakeCanisterContextOptions = {}): TestCanister {
    return new TestCanister(new FakeCanisterContext(options), definition as CanisterDefinition<unknown>, init, options, false);
  }

  /** The methods the canister's factory returned. */
  get methods(): CanisterMethods {
    return this.#methods;
  }

  /**
   * Upgrades the canister in place, as `icws-replica --watch` does when its file changes: runs
   * the old instance's `preUpgrade`, drops the heap (its variables, timers and certified data),
   * runs the factory of `definition` (by default the same module) and the new instance's
   * `postUpgrade`. Stable collections are kept. If any step throws, nothing changes.
   * @throws CdkError `ICWS_ERR_CANISTER_TRAPPED` naming the step that threw
   */
  upgrade<Init>(definition?: CanisterDefinition<Init>, init?: Init): void {
    const next = (definition ?? this.#definition) as CanisterDefinition<unknown>;
    const nextInit = definition === undefined && init === undefined ? this.#init : init;
    const { preUpgrade } = upgradeHooksOf(this.#methods);
    const step = (name: string, body: () => void) => () => {
      try {
        body();
      } catch (err) {
        throw new CdkError(FakeCanisterErrorCode.TRAPPED, `upgrade of ${this.id.toText()} failed: ${name} threw: ${describeError(err)}`, { cause: err });
      }
    };
    let methods: CanisterMethods | undefined;
    this.context.upgrade(preUpgrade && step('preUpgrade', preUpgrade), step('the new module', () => (methods = this.#create(next, nextInit))));
    this.#methods = methods!;
    this.#definition = next;
    this.#init = nextInit;
  }

  /**
   * @returns the canister as a replica restart leaves it: a new context at the current time on the
   *   committed stable collections, the heap new (factory, then `postUpgrade`); `preUpgrade` does
   *   not run, as the old heap is gone. Uncommitted timers and certified data are gone too.
   */
  restart<Init>(definition?: CanisterDefinition<Init>, init?: Init): TestCanister {
    const next = (definition ?? this.#definition) as CanisterDefinition<unknown>;
    const nextInit = definition === undefined && init === undefined ? this.#init : init;
    const context = new FakeCanisterContext({
      ...this.#options,
      id: this.id,
      startTimeMs: Number(this.context.nowNs / 1_000_000n),
      stableBackend: this.context.stableBackend,
    });
    return new TestCanister(context, next, nextInit, this.#options, true);
  }

  /** Runs the factory, then `postUpgrade`, each as a message. */
  #create(definition: CanisterDefinition<unknown>, init: unknown): CanisterMethods {
    const installation = { caller: this.context.id(), mode: 'update' } as const;
    const methods = this.context.execute(installation, () => definition.create(this.context, init));
    const { postUpgrade } = upgradeHooksOf(methods);
    if (postUpgrade !== undefined) this.context.execute(installation, postUpgrade);
    return methods;
  }

  /** The canister's id. */
  get id(): Principal {
    return this.context.id();
  }

  /**
   * Calls `method` as an update with `args` encoded as its argument types.
   * @returns the reply decoded as its return types: the value for one type, `undefined` for none, an array otherwise
   * @throws CdkError `ICWS_ERR_CANISTER_TRAPPED` or `ICWS_ERR_CANISTER_METHOD` when the call is rejected
   */
  update<T = unknown>(method: string, args: readonly unknown[], options: TestCallOptions = {}): T {
    return this.#typed('update', method, args, options);
  }

  /**
   * Calls `method` as a query: like {@link update}, but whatever the method changes through the
   * context is discarded and its `onRollback` callbacks run.
   */
  query<T = unknown>(method: string, args: readonly unknown[], options: TestCallOptions = {}): T {
    return this.#typed('query', method, args, options);
  }

  /** Calls `method` with Candid `arg` bytes. @returns the reply bytes or the rejection, never throws for the canister's failures */
  call(mode: 'update' | 'query', method: string, arg: Uint8Array, options: TestCallOptions = {}): TestCallOutcome {
    const definition = Object.hasOwn(this.#methods, method) ? this.#methods[method] : undefined;
    if (definition === undefined || (mode === 'query' && definition.mode !== 'query')) {
      return { status: 'rejected', code: FakeCanisterErrorCode.METHOD, message: `Canister ${this.id.toText()} has no ${mode === 'query' ? 'query' : 'update or query'} method '${method}'` };
    }
    let args: unknown[];
    try {
      args = IDL.decode([...definition.argTypes], arg);
    } catch (err) {
      return this.#trapped(`failed to decode the arguments of '${method}': ${describeError(err)}`);
    }
    try {
      const caller = options.caller ?? Principal.anonymous();
      const reply = this.context.execute({ caller, mode }, () => encodeReply(definition, definition.implementation(...(args as never[]))));
      return { status: 'replied', reply };
    } catch (err) {
      return this.#trapped(describeError(err));
    }
  }

  #typed<T>(mode: 'update' | 'query', method: string, args: readonly unknown[], options: TestCallOptions): T {
    const definition = Object.hasOwn(this.#methods, method) ? this.#methods[method] : undefined;
    const arg = definition === undefined ? new Uint8Array() : new Uint8Array(IDL.encode([...definition.argTypes], [...args]));
    const outcome = this.call(mode, method, arg, options);
    if (outcome.status === 'rejected') {
      throw new CdkError(outcome.code, `${method} rejected: ${outcome.message}`);
    }
    const values = IDL.decode([...definition!.retTypes], outcome.reply);
    return (values.length === 0 ? undefined : values.length === 1 ? values[0] : values) as T;
  }

  #trapped(message: string): TestCallOutcome {
    return { status: 'rejected', code: FakeCanisterErrorCode.TRAPPED, message: `Canister ${this.id.toText()} trapped: ${message}` };
  }
}

function encodeReply(definition: MethodDefinition, result: unknown): Uint8Array {
  const values = definition.retTypes.length === 1 ? [result] : ((result ?? []) as unknown[]);
  return new Uint8Array(IDL.encode([...definition.retTypes], values));
}
