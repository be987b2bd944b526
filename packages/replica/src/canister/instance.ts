import type { Principal } from '@icp-sdk/core/principal';
import {
  printedLine,
  upgradeHooksOf,
  type CanisterContext,
  type CanisterDefinition,
  type CanisterMethods,
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
  certifiedData: Uint8Array | undefined;
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

  /** The certified data last committed by an update or timer. */
  get certifiedData(): Uint8Array {
    return this.#certifiedData;
  }

  /** Names and modes of the methods, for listings. */
  get methods(): ReadonlyArray<{ name: string; mode: 'update' | 'query' }> {
    return Object.entries(this.#methods).map(([name, m]) => ({ name, mode: m.mode }));
  }

  /** Executes one message; whatever the method throws becomes a reject. */
  execute(call: CanisterCall): CallOutcome {
    const method = Object.hasOwn(this.#methods, call.methodName) ? this.#methods[call.methodName] : undefined;
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
      args = decodeArguments(method.argTypes, call.arg);
    } catch (err) {
      return this.#trapped(`failed to decode the arguments of '${call.methodName}': ${describeError(err)}`);
    }
    return this.#run(call, () => encodeReply(method.retTypes, method.implementation(...(args as never[])), call.methodName));
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
    const execution: Execution = { call, certifiedData: undefined, timerChanges: [], undo: [], commit: [] };
    this.#execution = execution;
    this.#store.begin();
    try {
      const reply = body();
      if (call.mode === 'update') {
        runCommitCallbacks(execution);
        this.#store.commit();
        if (execution.certifiedData !== undefined) this.#certifiedData = execution.certifiedData;
        this.#timers.apply(execution.timerChanges);
      } else {
        this.#store.discard();
        this.#rollBack(execution);
      }
      return { status: 'replied', reply };
    } catch (err) {
      this.#store.discard();
      this.#rollBack(execution);
      return this.#trapped(describeError(err));
    } finally {
      this.#execution = undefined;
    }
  }

  /** Runs the canister's factory or an upgrade hook; unlike a method, a failure here is the installer's error. */
  #install<T>(timeNs: bigint, methodName: string, body: () => T): T {
    const execution: Execution = {
      call: { methodName, arg: new Uint8Array(), caller: this.id, mode: 'update', timeNs },
      certifiedData: undefined,
      timerChanges: [],
      undo: [],
      commit: [],
    };
    this.#execution = execution;
    this.#store.begin();
    try {
      const result = body();
      runCommitCallbacks(execution);
      this.#store.commit();
      if (execution.certifiedData !== undefined) this.#certifiedData = execution.certifiedData;
      this.#timers.apply(execution.timerChanges);
      return result;
    } catch (err) {
      this.#store.discard();
      this.#rollBack(execution);
      throw err;
    } finally {
      this.#execution = undefined;
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
        if (!(data instanceof Uint8Array)) throw new Trap('setCertifiedData takes a Uint8Array');
        if (data.byteLength > MAX_CERTIFIED_DATA_BYTES) {
          throw new Trap(`certified data is at most ${MAX_CERTIFIED_DATA_BYTES} bytes, got ${data.byteLength}; certify a hash`);
        }
        execution.certifiedData = Uint8Array.from(data);
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

/** Runs the commit callbacks in registration order, including any they register. */
function runCommitCallbacks(execution: Execution): void {
  for (let i = 0; i < execution.commit.length; i++) execution.commit[i]();
}


