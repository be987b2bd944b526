import { Principal } from '@icp-sdk/core/principal';
import { describeError } from '@icws/protocol';
import { printedLine, type CanisterContext, type TimerId } from '../canister/define';
import { CdkError, type CdkErrorCode } from '../errors';
import { MemoryStableBackend } from '../stable/memory-stable-backend';
import { StagedStableStore } from '../stable/staged-stable-store';
import type { StableBackend } from '../stable/stable-store';
import { fakeCertificate } from './fake-certificate';

/** Stable codes of the errors the canister test kit throws. */
export const FakeCanisterErrorCode = {
  /** The context was used outside a message, or as the IC forbids (certified data or timers in a query, more than 32 bytes of certified data). */
  CONTEXT: 'ICWS_ERR_CANISTER_CONTEXT',
  /** A method threw, or its arguments were not Candid of its signature: the call was rejected and its effects discarded. */
  TRAPPED: 'ICWS_ERR_CANISTER_TRAPPED',
  /** The canister has no such method, or an update method was called as a query. */
  METHOD: 'ICWS_ERR_CANISTER_METHOD',
} as const satisfies Record<string, CdkErrorCode>;

/** Options of a {@link FakeCanisterContext}. */
export interface FakeCanisterContextOptions {
  /** The canister's id. @default the principal of canister id 1, `rrkah-fqaaa-aaaaa-aaaaq-cai` */
  id?: Principal;
  /** The time the canister starts at, in ms since the epoch. @default 1_700_000_000_000 (Nov 2023) */
  startTimeMs?: number;
  /** Receives each line the canister prints (also kept in {@link FakeCanisterContext.logs}). */
  log?: (line: string) => void;
  /**
   * The committed stable collections: pass the {@link FakeCanisterContext.stableBackend} of another
   * context to start where it left off, as a replica restart does. @default empty, in memory
   */
  stableBackend?: StableBackend;
}

/** One message executing: an update, a query or a timer. */
export interface FakeMessage {
  readonly caller: Principal;
  readonly mode: 'update' | 'query';
}

interface Timer {
  readonly id: TimerId;
  dueNs: bigint;
  readonly intervalNs: bigint | undefined;
  readonly callback: () => void;
}

type TimerChange = { readonly op: 'set'; readonly timer: Timer } | { readonly op: 'clear'; readonly id: TimerId };

/** What a message changed; applied when it commits, discarded when it traps or is a query. */
interface Execution {
  readonly message: FakeMessage;
  certifiedData: Uint8Array | undefined;
  readonly timerChanges: TimerChange[];
  readonly undo: Array<() => void>;
  readonly commit: Array<() => void>;
}

const NS_PER_MS = 1_000_000n;
const MAX_CERTIFIED_DATA_BYTES = 32;
const MAX_TIMER_RUNS_PER_ADVANCE = 1_000_000;
const DEFAULT_ID = Principal.fromUint8Array(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1, 1, 1));

/**
 * A {@link CanisterContext} without a replica, for unit tests of canisters: deterministic time
 * that moves only by {@link advanceTime}, timers fired by it (each in a message of its own),
 * certified data and an unsigned data certificate whose tree certifies it. It keeps the IC's
 * rules: changes to certified data, timers and stable collections take effect only when an update
 * or timer returns, a message that throws and every query discard them and run the `onRollback`
 * callbacks, and `onCommit` callbacks run when an update or timer returns, before its changes are
 * applied. Stable collections live in memory ({@link stableBackend}), with no database.
 *
 * Run messages with {@link execute}, or through a {@link TestCanister}, which adds Candid.
 */
export class FakeCanisterContext implements CanisterContext {
  /** The lines the canister printed, oldest first. */
  readonly logs: string[] = [];
  /** The canister's stable memory, staged per message as the replica does it. */
  readonly stableStore: StagedStableStore;
  /** The committed stable collections; hand them to a new context to simulate a restart. */
  readonly stableBackend: StableBackend;
  readonly #id: Principal;
  readonly #log: ((line: string) => void) | undefined;
  readonly #timers = new Map<TimerId, Timer>();
  #nextTimerId = 1;
  #nowNs: bigint;
  #certifiedData: Uint8Array = new Uint8Array();
  #execution: Execution | undefined;

  constructor(options: FakeCanisterContextOptions = {}) {
    this.#id = options.id ?? DEFAULT_ID;
    this.#nowNs = BigInt(options.startTimeMs ?? 1_700_000_000_000) * NS_PER_MS;
    this.#log = options.log;
    this.stableBackend = options.stableBackend ?? new MemoryStableBackend();
    this.stableStore = new StagedStableStore(this.stableBackend, {
      outsideMessage: (operation) => contextError(`${operation} can only be used while the canister executes a message`),
    });
  }

  caller(): Principal {
    return this.#current('ic.caller()').message.caller;
  }

  time(): bigint {
    this.#current('ic.time()');
    return this.#nowNs;
  }

  id(): Principal {
    return this.#id;
  }

  setCertifiedData(data: Uint8Array): void {
    const execution = this.#current('ic.setCertifiedData()');
    if (execution.message.mode === 'query') throw contextError('setCertifiedData cannot be called in a query');
    if (!(data instanceof Uint8Array)) throw contextError('setCertifiedData takes a Uint8Array');
    if (data.byteLength > MAX_CERTIFIED_DATA_BYTES) {
      throw contextError(`certified data is at most ${MAX_CERTIFIED_DATA_BYTES} bytes, got ${data.byteLength}; certify a hash`);
    }
    execution.certifiedData = Uint8Array.from(data);
  }

  /** @returns in a query, an unsigned certificate of the committed certified data at the current time. */
  dataCertificate(): Uint8Array | undefined {
    const execution = this.#current('ic.dataCertificate()');
    return execution.message.mode === 'query' ? fakeCertificate(this.#id, this.#certifiedData, this.#nowNs) : undefined;
  }

  setTimer(delayMs: number, callback: () => void): TimerId {
    return this.#stageTimer(delayMs, false, callback);
  }

  setTimerInterval(intervalMs: number, callback: () => void): TimerId {
    return this.#stageTimer(intervalMs, true, callback);
  }

  clearTimer(id: TimerId): void {
    this.#current('ic.clearTimer()').timerChanges.push({ op: 'clear', id });
  }

  print(...values: unknown[]): void {
    const line = printedLine(values);
    this.logs.push(line);
    this.#log?.(line);
  }

  onRollback(undo: () => void): void {
    this.#current('ic.onRollback()').undo.push(undo);
  }

  onCommit(callback: () => void): void {
    this.#current('ic.onCommit()').commit.push(callback);
  }

  /** The certified data committed by the last update or timer that set it. */
  get certifiedData(): Uint8Array {
    return this.#certifiedData;
  }

  /** The current time, in nanoseconds since the epoch. */
  get nowNs(): bigint {
    return this.#nowNs;
  }

  /** How many timers are set. */
  get timerCount(): number {
    return this.#timers.size;
  }

  /**
   * Runs `body` as one message. An update commits (its `onCommit` callbacks run, then its
   * certified data and timers apply) when `body` returns; a query discards its changes, and so
   * does an update that throws.
   * @returns what `body` returns
   * @throws what `body` (or an `onCommit` callback) throws, after the rollback
   */
  execute<T>(message: FakeMessage, body: () => T): T {
    if (this.#execution !== undefined) throw contextError('a message cannot start while another executes');
    const execution: Execution = { message, certifiedData: undefined, timerChanges: [], undo: [], commit: [] };
    this.#execution = execution;
    this.stableStore.begin();
    try {
      const result = body();
      if (message.mode === 'query') {
        this.stableStore.discard();
        this.#rollBack(execution);
      } else {
        for (let i = 0; i < execution.commit.length; i++) execution.commit[i]();
        this.stableStore.commit();
        if (execution.certifiedData !== undefined) this.#certifiedData = execution.certifiedData;
        this.#applyTimerChanges(execution.timerChanges);
      }
      return result;
    } catch (err) {
      this.stableStore.discard();
      this.#rollBack(execution);
      throw err;
    } finally {
      this.#execution = undefined;
    }
  }

  /**
   * Runs an upgrade: `preUpgrade` (if any) as a message of the old instance, then drops the heap's
   * timers and certified data, then `install`, which executes the new instance's messages (its
   * factory, its `postUpgrade`). Their stable writes commit together when `install` returns; when
   * anything throws they are discarded, and the timers and certified data are back as they were.
   * @returns what `install` returns
   * @throws what `preUpgrade` or `install` throws
   * @internal used by {@link TestCanister.upgrade}
   */
  upgrade<T>(preUpgrade: (() => void) | undefined, install: () => T): T {
    if (this.#execution !== undefined) throw contextError('a canister cannot be upgraded while a message executes');
    const timers = new Map(this.#timers);
    const certifiedData = this.#certifiedData;
    this.stableStore.begin();
    try {
      if (preUpgrade !== undefined) this.execute({ caller: this.#id, mode: 'update' }, preUpgrade);
      this.#timers.clear();
      this.#certifiedData = new Uint8Array();
      const result = install();
      this.stableStore.commit();
      return result;
    } catch (err) {
      this.stableStore.discard();
      this.#timers.clear();
      for (const [id, timer] of timers) this.#timers.set(id, timer);
      this.#certifiedData = certifiedData;
      throw err;
    }
  }

  /**
   * Moves time forward by `ms`, stopping at each timer's due time to run it as a message of its
   * own (caller: the canister), in due order. A timer that throws is rolled back and logged.
   * @throws RangeError when `ms` is negative or not finite
   */
  advanceTime(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advanceTime takes a non-negative number of ms, got ${ms}`);
    if (this.#execution !== undefined) throw contextError('time cannot advance while a message executes');
    const targetNs = this.#nowNs + BigInt(Math.round(ms * 1e6));
    for (let runs = 0; ; runs++) {
      const timer = this.#nextDue(targetNs);
      if (timer === undefined) break;
      if (runs === MAX_TIMER_RUNS_PER_ADVANCE) throw contextError('timers keep rescheduling themselves at the same time');
      if (timer.dueNs > this.#nowNs) this.#nowNs = timer.dueNs;
      if (timer.intervalNs === undefined) this.#timers.delete(timer.id);
      else timer.dueNs += timer.intervalNs;
      try {
        this.execute({ caller: this.#id, mode: 'update' }, timer.callback);
      } catch (err) {
        this.print(`timer ${timer.id} failed: ${describeError(err)}`);
      }
    }
    this.#nowNs = targetNs;
  }

  #nextDue(limitNs: bigint): Timer | undefined {
    let next: Timer | undefined;
    for (const timer of this.#timers.values()) {
      if (timer.dueNs > limitNs) continue;
      if (next === undefined || timer.dueNs < next.dueNs || (timer.dueNs === next.dueNs && timer.id < next.id)) next = timer;
    }
    return next;
  }

  #stageTimer(delayMs: number, repeat: boolean, callback: () => void): TimerId {
    const execution = this.#current('ic.setTimer()');
    if (execution.message.mode === 'query') throw contextError('timers cannot be set in a query');
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`timer delay must be a non-negative number of ms, got ${delayMs}`);
    if (repeat && delayMs === 0) throw new RangeError('an interval timer needs an interval above 0 ms');
    const delayNs = BigInt(Math.round(delayMs * 1e6)) || (repeat ? NS_PER_MS : 0n);
    const timer: Timer = { id: this.#nextTimerId++, dueNs: this.#nowNs + delayNs, intervalNs: repeat ? delayNs : undefined, callback };
    execution.timerChanges.push({ op: 'set', timer });
    return timer.id;
  }

  #applyTimerChanges(changes: readonly TimerChange[]): void {
    for (const change of changes) {
      if (change.op === 'set') this.#timers.set(change.timer.id, change.timer);
      else this.#timers.delete(change.id);
    }
  }

  /** Runs the undo callbacks newest first; one that throws is logged and the others still run. */
  #rollBack(execution: Execution): void {
    for (let i = execution.undo.length - 1; i >= 0; i--) {
      try {
        execution.undo[i]();
      } catch (err) {
        this.print(`an undo callback failed: ${describeError(err)}`);
      }
    }
  }

  #current(operation: string): Execution {
    if (this.#execution === undefined) throw contextError(`${operation} can only be used while the canister executes a message`);
    return this.#execution;
  }
}

function contextError(message: string): CdkError {
  return new CdkError(FakeCanisterErrorCode.CONTEXT, message);
}


