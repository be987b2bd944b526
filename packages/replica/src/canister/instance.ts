import type { Principal } from '@icp-sdk/core/principal';
import {
  DEFER_TO_CURRENT_STATE,
  printedLine,
  upgradeHooksOf,
  type CanisterContext,
  type CanisterDefinition,
  type CanisterMethods,
  type MethodDefinition,
  type StagedStableStore,
  type TimerId,
  type UpgradeHooks,
} from '@icws/backend-cdk';
import { describeError } from '@icws/protocol';
import { decodeArguments, encodeReply } from './candid-boundary';
import { rejected, RejectCode, type CallOutcome } from './outcome';
import { CanisterTimers, type TimerChange } from './timers';

const MAX_CERTIFIED_DATA_BYTES = 32;

/** One message to execute: a call from outside, or a query. */
export interface CanisterCall {
  readonly methodName: string;
  readonly arg: Uint8Array;
  readonly caller: Principal;
  /** `query` runs the method read-only; query methods may also be called as `update`. */
  readonly mode: 'update' | 'query';
  readonly timeNs: bigint;
}

/** What the replica gives an instance besides its definition. */
export interface InstanceHost {
  /**
   * @returns the certificate of this canister's certified data; asked only by queries, which the
   * replica runs against certified state, so there always is one
   */
  dataCertificate(): Uint8Array;
  print(line: string): void;
  /**
   * The canister's stable memory. Each message opens a level of it and commits or discards it with
   * the message's other effects; the replica opens one around an upgrade.
   */
  readonly stableStore: StagedStableStore;
}

/** The effects of a running message, applied only when it finishes without throwing. */
interface Execution {
  readonly call: CanisterCall;
  /** Bytes from `setCertifiedData`, or the function from `setCertifiedDataSource`. */
  certifiedData: Uint8Array | (() => Uint8Array) | undefined;
  readonly timerChanges: TimerChange[];
  /** Registered with `ic.onRollback()`, run newest first when the message's effects are discarded. */
  readonly undo: Array<() => void>;
  /** Registered with `ic.onCommit()`, run in order when an update or timer returns. */
  readonly commit: Array<() => void>;
}

/** An error a canister method throws on purpose that should reach the caller as a reject. */
class Trap extends Error {}

/**
 * A canister installed on the replica: its methods, certified data and timers. State changes that
 * the replica controls (certified data, timers, stable memory) are rolled back when a method
 * throws; the canister's own variables are its own to keep consistent. An instance is the
 * canister's heap: an upgrade replaces it with a new one on the same stable memory.
 */
export class CanisterInstance {
  readonly #methods: CanisterMethods;
  readonly #timers = new CanisterTimers();
  #certifiedData: Uint8Array = new Uint8Array();
  /** Set by `setCertifiedDataSource` since the certified data was last read: it reads it anew. */
  #certifiedSource: (() => Uint8Array) | undefined;
  /** Bumped by every committed change of the certified data, so readers can tell when it changed. */
  #certifiedDataVersion = 0;
  /** Given by `ic.setCertifiedQueries`: freezes the state for the queries it returns. */
  #captureQueries: (() => CanisterMethods) | undefined;
  #execution: Execution | undefined;
  readonly #store: StagedStableStore;

  constructor(
    readonly name: string,
    readonly id: Principal,
    definition: CanisterDefinition<unknown>,
    init: unknown,
    private readonly host: InstanceHost,
    installTimeNs: bigint,
  ) {
    this.#store = host.stableStore;
    this.#methods = this.#install(installTimeNs, '<install>', () => definition.create(this.#context(), init));
  }

  /**
   * Runs the upgrade hook `hook` the canister declared, if any, as a message of its own.
   * @throws what the hook throws; its effects are then discarded
   */
  runUpgradeHook(hook: keyof UpgradeHooks, timeNs: bigint): void {
    const body = upgradeHooksOf(this.#methods)[hook];
    if (body !== undefined) this.#install(timeNs, `<${hook}>`, () => body());
  }

  /**
   * The certified data last committed by an update or timer; from a source set with
   * `setCertifiedDataSource`, read now, once for all the messages that set it since the last read.
   * A source that throws or returns more than 32 bytes is logged and leaves the data as it was.
   */
  get certifiedData(): Uint8Array {
    const source = this.#certifiedSource;
    if (source !== undefined) {
      this.#certifiedSource = undefined;
      try {
        this.#certifiedData = checkedCertifiedData(source());
      } catch (err) {
        this.host.print(`[${this.name}] the certified data source failed: ${describeError(err)}`);
      }
    }
    return this.#certifiedData;
  }

  /** Bumped by each message that committed new certified data (bytes or a source). */
  get certifiedDataVersion(): number {
    return this.#certifiedDataVersion;
  }

  /** Names and modes of the methods, for listings. */
  get methods(): ReadonlyArray<{ name: string; mode: 'update' | 'query' }> {
    return Object.entries(this.#methods).map(([name, m]) => ({ name, mode: m.mode }));
  }

  /**
   * @returns the query methods that answer from the canister's state as it is now, frozen (see
   *   `ic.setCertifiedQueries`), or `undefined` when it offers none. Runs outside any message; a
   *   `capture` that throws is logged and offers none.
   */
  captureCertifiedQueries(): CanisterMethods | undefined {
    if (this.#captureQueries === undefined) return undefined;
    try {
      return this.#captureQueries();
    } catch (err) {
      this.host.print(`[${this.name}] capturing the certified queries failed: ${describeError(err)}`);
      return undefined;
    }
  }

  /**
   * Runs a query captured with the certified state (see {@link captureCertifiedQueries}) as `execute` does.
   * @returns its outcome, or `undefined` when it returned `DEFER_TO_CURRENT_STATE`
   */
  executeCaptured(call: CanisterCall, method: MethodDefinition): CallOutcome | undefined {
    let deferred = false;
    const outcome = this.#execute(call, method, (_, result) => {
      if (result !== DEFER_TO_CURRENT_STATE) return encodeReply(method.retTypes, result, call.methodName);
      deferred = true;
      return new Uint8Array();
    });
    return deferred ? undefined : outcome;
  }

  /** Executes one message with the canister's method of the call's name; whatever it throws becomes a reject. */
  execute(call: CanisterCall): CallOutcome {
    return this.#execute(call, this.#method(call.methodName), (definition, result) => encodeReply(definition.retTypes, result, call.methodName));
  }

  /** {@link execute}, with the method's result turned into the reply by `reply`. */
  #execute(
    call: CanisterCall,
    method: MethodDefinition | undefined,
    reply: (method: MethodDefinition, result: unknown) => Uint8Array,
  ): CallOutcome {
    if (method === undefined || (call.mode === 'query' && method.mode !== 'query')) {
      const kind = call.mode === 'query' ? 'query' : 'update or query';
      return rejected(
        RejectCode.DestinationInvalid,
        'IC0536',
        `Canister ${this.id.toText()} has no ${kind} method '${call.methodName}'`,
      );
    }
    let args: unknown[];
    try {
      args = method.decodeArguments?.(call.arg) ?? decodeArguments(method.argTypes, call.arg);
    } catch (err) {
      return this.#trapped(`failed to decode the arguments of '${call.methodName}': ${describeError(err)}`);
    }
    return this.#run(call, () => reply(method, method.implementation(...(args as never[]))));
  }

  #method(name: string): MethodDefinition | undefined {
    return Object.hasOwn(this.#methods, name) ? this.#methods[name] : undefined;
  }

  /** @returns when the next timer is due, if any. */
  nextTimerDueNs(): bigint | undefined {
    return this.#timers.nextDueNs();
  }

  /** Runs the timers due at `timeNs`, each as its own message; a timer that throws is logged. */
  runDueTimers(timeNs: bigint): void {
    for (const callback of this.#timers.takeDue(timeNs)) {
      const outcome = this.#run({ methodName: '<timer>', arg: new Uint8Array(), caller: this.id, mode: 'update', timeNs }, () => {
        callback();
        return new Uint8Array();
      });
      if (outcome.status === 'rejected') this.host.print(`[${this.name}] timer failed: ${outcome.rejectMessage}`);
    }
  }

  #run(call: CanisterCall, body: () => Uint8Array): CallOutcome {
    const execution = this.#begin(call);
    try {
      const reply = body();
      if (call.mode === 'update') this.#commit(execution);
      else this.#discard(execution);
      return { status: 'replied', reply };
    } catch (err) {
      this.#discard(execution);
      return this.#trapped(describeError(err));
    } finally {
      this.#execution = undefined;
    }
  }

  /** Runs the canister's factory or an upgrade hook; unlike a method, a failure here is the installer's error. */
  #install<T>(timeNs: bigint, methodName: string, body: () => T): T {
    const execution = this.#begin({ methodName, arg: new Uint8Array(), caller: this.id, mode: 'update', timeNs });
    try {
      const result = body();
      this.#commit(execution);
      return result;
    } catch (err) {
      this.#discard(execution);
      throw err;
    } finally {
      this.#execution = undefined;
    }
  }

  /** Starts a message: its effects are staged until {@link #commit} or {@link #discard}. */
  #begin(call: CanisterCall): Execution {
    this.#execution = { call, certifiedData: undefined, timerChanges: [], undo: [], commit: [] };
    this.#store.begin();
    return this.#execution;
  }

  /** Applies the effects of a message that finished: commit callbacks, stable writes, certified data, timers. */
  #commit(execution: Execution): void {
    runCommitCallbacks(execution);
    this.#store.commit();
    this.#commitCertifiedData(execution);
    this.#timers.apply(execution.timerChanges);
  }

  /** Drops the effects of a message that trapped, or of a query. */
  #discard(execution: Execution): void {
    this.#store.discard();
    this.#rollBack(execution);
  }

  #commitCertifiedData(execution: Execution): void {
    const data = execution.certifiedData;
    if (data === undefined) return;
    this.#certifiedDataVersion++;
    if (typeof data === 'function') {
      this.#certifiedSource = data;
    } else {
      this.#certifiedSource = undefined;
      this.#certifiedData = data;
    }
  }

  /** Runs the undo callbacks of a message whose effects are discarded, newest first. */
  #rollBack(execution: Execution): void {
    for (let i = execution.undo.length - 1; i >= 0; i--) {
      try {
        execution.undo[i]();
      } catch (err) {
        this.host.print(`[${this.name}] an undo callback failed: ${describeError(err)}`);
      }
    }
  }

  #trapped(message: string): CallOutcome {
    return rejected(RejectCode.CanisterError, 'IC0503', `Canister ${this.id.toText()} trapped: ${message}`);
  }

  #current(operation: string): Execution {
    if (this.#execution === undefined) {
      throw new Trap(`${operation} can only be used while the canister executes a message`);
    }
    return this.#execution;
  }

  #context(): CanisterContext {
    return {
      caller: () => this.#current('ic.caller()').call.caller,
      time: () => this.#current('ic.time()').call.timeNs,
      id: () => this.id,
      setCertifiedData: (data) => {
        const execution = this.#current('ic.setCertifiedData()');
        if (execution.call.mode === 'query') throw new Trap('setCertifiedData cannot be called in a query');
        execution.certifiedData = checkedCertifiedData(data);
      },
      setCertifiedQueries: (capture) => {
        if (typeof capture !== 'function') throw new Trap('setCertifiedQueries takes a function returning query methods');
        this.#captureQueries = capture;
      },
      setCertifiedDataSource: (source) => {
        const execution = this.#current('ic.setCertifiedDataSource()');
        if (execution.call.mode === 'query') throw new Trap('setCertifiedDataSource cannot be called in a query');
        if (typeof source !== 'function') throw new Trap('setCertifiedDataSource takes a function returning the data');
        execution.certifiedData = source;
      },
      dataCertificate: () => {
        const execution = this.#current('ic.dataCertificate()');
        return execution.call.mode === 'query' ? this.host.dataCertificate() : undefined;
      },
      setTimer: (delayMs, callback) => this.#stageTimer(delayMs, false, callback),
      setTimerInterval: (intervalMs, callback) => this.#stageTimer(intervalMs, true, callback),
      clearTimer: (id: TimerId) => {
        this.#current('ic.clearTimer()').timerChanges.push({ op: 'clear', id });
      },
      print: (...values) => this.host.print(`[${this.name}] ${printedLine(values)}`),
      onRollback: (undo) => {
        this.#current('ic.onRollback()').undo.push(undo);
      },
      onCommit: (callback) => {
        this.#current('ic.onCommit()').commit.push(callback);
      },
      stableStore: this.#store,
    };
  }

  #stageTimer(delayMs: number, repeat: boolean, callback: () => void): TimerId {
    const execution = this.#current('ic.setTimer()');
    if (execution.call.mode === 'query') throw new Trap('timers cannot be set in a query');
    const change = this.#timers.stageSet(execution.call.timeNs, delayMs, repeat, callback);
    execution.timerChanges.push(change);
    return change.op === 'set' ? change.timer.id : change.id;
  }
}

/** @returns a copy of `data` @throws Trap when it is not a Uint8Array of at most 32 bytes */
function checkedCertifiedData(data: unknown): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new Trap('setCertifiedData takes a Uint8Array');
  if (data.byteLength > MAX_CERTIFIED_DATA_BYTES) {
    throw new Trap(`certified data is at most ${MAX_CERTIFIED_DATA_BYTES} bytes, got ${data.byteLength}; certify a hash`);
  }
  return Uint8Array.from(data);
}

/** Runs the commit callbacks in registration order, including any they register. */
function runCommitCallbacks(execution: Execution): void {
  for (let i = 0; i < execution.commit.length; i++) execution.commit[i]();
}


