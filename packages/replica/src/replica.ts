import type { Principal } from '@dfinity/principal';
import { isCanisterDefinition, type CanisterDefinition } from '@icws/backend-cdk';
import { IC_STATE_ROOT_DOMAIN_SEPARATOR as STATE_ROOT_DOMAIN } from '@icws/protocol';
import { CanisterInstance, QueryDeferred } from './canister/instance';
import { rejected, RejectCode, type CallOutcome } from './canister/outcome';
import { ReplicaError } from './errors';
import { InlineCertificateSigner, WorkerCertificateSigner, type CertificateSigner } from './bls-signer';
import { canisterIdAt, isCanisterIdFormat } from './canister-ids';
import { encodeCertificate } from './response-cbor';
import { SystemClock, type Clock } from './clock';
import { CryptoWorkerPool } from './crypto-worker-pool';
import { CachingSignatureVerifier } from './envelope/caching-verifier';
import { InThreadSignatureVerifier, type SignatureVerifier } from './envelope/signature-verifier';
import { NodeKey } from './node-key';
import { generateRootKey, loadOrCreateRootKey, type RootKey } from './root-key';
import { ReplicaStateTree, type StateSelection } from './state-tree';

/** A certificate older than this is refreshed by an empty round before it is handed out. */
const MAX_CERTIFICATE_REUSE_NS = 10_000_000_000n;
const MAX_QUERY_RETRIES = 3;
/**
 * A round gives the event loop a turn after about this much work, and settles the requests waiting
 * for its certificate a few at a time, so queries are answered in between instead of behind the
 * whole round (executing a hundred calls and answering them takes tens of milliseconds).
 */
const ROUND_SLICE_MS = 1;
const WAITERS_PER_SLICE = 16;

export interface ReplicaOptions {
  /** Where the root and node keys are kept; without it, fresh keys live in memory only. */
  readonly stateDir?: string;
  /** The replica's time; a {@link TestClock} lets tests fire timers without sleeping. */
  readonly clock?: Clock;
  /** Sign certificates on a worker thread (default) or inline. */
  readonly signer?: 'worker' | 'inline';
  /** Where canister debug output and replica notices go. @default console.log */
  readonly log?: (line: string) => void;
  /**
   * Where the signatures of request envelopes are checked: on a pool of worker threads that also
   * signs query replies (default), on the thread that serves HTTP (`inline`), or by a verifier of
   * yours, which the replica uses as it is and does not close. The replica's own verifiers
   * remember the signatures that verified.
   */
  readonly verifier?: 'worker' | 'inline' | SignatureVerifier;
  /** Threads of the crypto worker pool. @default os.availableParallelism(), at least 1 */
  readonly cryptoThreads?: number;
}

/** An update call accepted by the replica: checked, signed by its sender, waiting for a round. */
export interface IngressCall {
  readonly requestId: Uint8Array;
  readonly sender: Principal;
  readonly canisterId: Principal;
  readonly methodName: string;
  readonly arg: Uint8Array;
  readonly ingressExpiryNs: bigint;
}

/** Counters for tests, benchmarks and logs. */
export interface ReplicaStats {
  rounds: number;
  certificatesSigned: number;
  updatesExecuted: number;
  queriesExecuted: number;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * An Internet-Computer-like host for canisters written in TypeScript. Update calls execute in
 * rounds, in arrival order; after each round the whole state is certified with ONE BLS signature,
 * made off the main thread so queries keep being answered. Queries run at once.
 *
 * Certificates are only handed out while the state equals what the latest signature covers; a
 * request that needs one during a round waits for that round's signature.
 */
export class Replica {
  readonly stats: ReplicaStats = { rounds: 0, certificatesSigned: 0, updatesExecuted: 0, queriesExecuted: 0 };
  /** By {@link canisterKey}: hex is far cheaper than the textual form on every request. */
  readonly #canisters = new Map<string, CanisterInstance>();
  readonly #state: ReplicaStateTree;
  readonly #calls: IngressCall[] = [];
  /** Waiting for the certificate of a round that has not started yet. */
  #certifiedWaiters: Waiter[] = [];
  /** Waiting for the certificate of the round under way. */
  #roundWaiters: Waiter[] = [];
  #roundUnderWay = false;
  /** Bumped by every change of the state tree, so a round knows whether its signature still covers it. */
  #stateVersion = 0;
  /** Outcomes of the calls made by {@link update}, kept only for those (others read request_status). */
  readonly #outcomes = new WeakMap<Uint8Array, CallOutcome | undefined>();
  /** Data certificates of the current round by canister; queries polling for messages ask for them. */
  readonly #dataCertificates = new Map<string, Uint8Array>();
  #idleWaiters: Array<() => void> = [];
  #signature: Uint8Array | undefined;
  #certifiedTimeNs = 0n;
  #certifiedCurrent = false;
  #roundWanted = false;
  #driving = false;
  #timerWakeUp: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #removeClockListener: () => void;

  private constructor(
    readonly rootKey: RootKey,
    readonly nodeKey: NodeKey,
    readonly clock: Clock,
    private readonly signer: CertificateSigner,
    /** Checks the signatures of the envelopes posted to this replica. */
    readonly verifier: SignatureVerifier,
    private readonly pool: CryptoWorkerPool | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.#state = new ReplicaStateTree(rootKey.der, nodeKey);
    this.#removeClockListener = clock.onAdvance(() => this.#kick());
  }

  /** Starts a replica and certifies its initial (empty) state. */
  static async create(options: ReplicaOptions = {}): Promise<Replica> {
    const [rootKey, nodeKey] = options.stateDir
      ? await Promise.all([loadOrCreateRootKey(options.stateDir), NodeKey.loadOrCreate(options.stateDir)])
      : [generateRootKey(), NodeKey.generate()];
    const signer = options.signer === 'inline'
      ? new InlineCertificateSigner(rootKey.secretKey)
      : new WorkerCertificateSigner(rootKey.secretKey);
    const pool = (options.verifier ?? 'worker') === 'worker'
      ? new CryptoWorkerPool({ size: options.cryptoThreads, signingKeyPkcs8: nodeKey.pkcs8() })
      : undefined;
    const verifier = typeof options.verifier === 'object'
      ? options.verifier
      : new CachingSignatureVerifier(pool ?? new InThreadSignatureVerifier());
    const replica = new Replica(rootKey, nodeKey, options.clock ?? new SystemClock(), signer, verifier, pool, options.log ?? console.log);
    await replica.#kick();
    return replica;
  }

  /** The subnet id agents derive from the root key. */
  get subnetId(): Principal {
    return this.#state.subnetId;
  }

  /**
   * Installs a canister module.
   * @param options.id - the canister id; by default the next id in the local range
   * @param options.init - the value passed to the canister's factory
   * @returns the canister id
   * @throws ReplicaError `ICWS_ERR_CANISTER_ID` when the id is taken or not a canister id
   */
  install<Init>(name: string, definition: CanisterDefinition<Init>, options: { id?: Principal; init?: Init } = {}): Principal {
    if (!isCanisterDefinition(definition)) {
      throw new ReplicaError('ICWS_ERR_NOT_A_CANISTER', `canister "${name}" is not a module made by defineCanister()`);
    }
    const id = options.id ?? this.#nextFreeId();
    if (!isCanisterIdFormat(id)) {
      throw new ReplicaError('ICWS_ERR_CANISTER_ID', `${id.toText()} is not a canister id (10 bytes ending in 0x0101)`);
    }
    const existing = this.#canisters.get(canisterKey(id));
    if (existing !== undefined) {
      throw new ReplicaError('ICWS_ERR_CANISTER_ID', `canister id ${id.toText()} is already taken by "${existing.name}"`);
    }
    const instance = new CanisterInstance(name, id, definition as CanisterDefinition<unknown>, options.init, {
      dataCertificate: () => this.#dataCertificate(id),
      print: this.log,
    }, this.clock.nowNs());
    this.#canisters.set(canisterKey(id), instance);
    this.#state.setCanister(id, instance.certifiedData);
    this.#stateVersion++;
    this.#certifiedCurrent = false;
    void this.#kick();
    return id;
  }

  /**
   * @returns the node key's signature of `message`, made on the crypto worker pool when there is one
   * @internal
   */
  async signWithNodeKey(message: Uint8Array): Promise<Uint8Array> {
    return this.pool === undefined ? this.nodeKey.sign(message) : this.pool.sign(message);
  }

  /** @returns the installed canisters by id. */
  canisters(): Array<{ name: string; id: Principal }> {
    return [...this.#canisters.values()].map(({ name, id }) => ({ name, id }));
  }

  hasCanister(id: Principal): boolean {
    return this.#canisters.has(canisterKey(id));
  }

  /** @returns who sent the request whose status is recorded, if any. */
  requestSender(requestId: Uint8Array): Principal | undefined {
    return this.#state.statusSender(requestId);
  }

  /**
   * Queues an authenticated update call for the next round. A request id that already has a
   * status is not executed again.
   * @returns a promise settled once the round that executed it is certified
   */
  submit(call: IngressCall): Promise<void> {
    this.#assertOpen();
    if (this.#state.statusSender(call.requestId) === undefined) this.#calls.push(call);
    return this.#nextCertificate();
  }

  /**
   * Runs an update call from inside the process (tests, tools), as if `caller` had sent it.
   * @returns its outcome once certified
   */
  async update(canisterId: Principal, methodName: string, arg: Uint8Array, caller: Principal): Promise<CallOutcome> {
    const requestId = crypto.getRandomValues(new Uint8Array(32));
    this.#outcomes.set(requestId, undefined);
    await this.submit({ requestId, sender: caller, canisterId, methodName, arg, ingressExpiryNs: this.clock.nowNs() + 300_000_000_000n });
    const outcome = this.#outcomes.get(requestId);
    this.#outcomes.delete(requestId);
    return outcome ?? rejected(RejectCode.SysFatal, 'IC0000', 'the call was not executed');
  }

  /**
   * Executes a query against the current state. A query that asks for its data certificate while
   * a round awaits its signature is re-run once that signature is there.
   */
  async query(canisterId: Principal, methodName: string, arg: Uint8Array, caller: Principal): Promise<CallOutcome> {
    this.#assertOpen();
    const instance = this.#canisters.get(canisterKey(canisterId));
    if (instance === undefined) {
      return rejected(RejectCode.DestinationInvalid, 'IC0301', `Canister ${canisterId.toText()} not found`);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        this.stats.queriesExecuted++;
        return instance.execute({ methodName, arg, caller, mode: 'query', timeNs: this.#certifiedTimeNs });
      } catch (err) {
        if (!(err instanceof QueryDeferred) || attempt >= MAX_QUERY_RETRIES) throw err;
        await this.#freshCertificate();
      }
    }
  }

  /**
   * @returns a CBOR certificate `{tree, signature}` revealing `selection` and `time`, signed by the
   * root key; waits for the current round's signature when one is pending.
   */
  async certificate(selection: StateSelection): Promise<Uint8Array> {
    this.#assertOpen();
    while (!this.#certificateUsable()) await this.#freshCertificate();
    return this.#encodeCertificate(selection);
  }

  /** Stops the certificate signer, the crypto pool and timers; pending requests are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#removeClockListener();
    clearTimeout(this.#timerWakeUp);
    const err = new ReplicaError('ICWS_ERR_REPLICA_CLOSED', 'the replica was shut down');
    for (const waiter of [...this.#certifiedWaiters.splice(0), ...this.#roundWaiters.splice(0)]) waiter.reject(err);
    await Promise.all([this.signer.close(), this.pool?.close()]);
  }

  #encodeCertificate(selection: StateSelection): Uint8Array {
    return encodeCertificate(this.#state.witness(selection), this.#signature!);
  }

  #dataCertificate(id: Principal): Uint8Array {
    if (!this.#certificateUsable()) {
      void this.#kick();
      throw new QueryDeferred();
    }
    // Usable means the state is the one signed last, so the round's certificate can be reused.
    const key = canisterKey(id);
    let certificate = this.#dataCertificates.get(key);
    if (certificate === undefined) {
      certificate = this.#encodeCertificate({ canisters: [id], requestIds: [], subnet: false });
      this.#dataCertificates.set(key, certificate);
    }
    return certificate.slice();
  }

  #certificateUsable(): boolean {
    if (!this.#certifiedCurrent || this.#signature === undefined) return false;
    if (this.clock.nowNs() - this.#certifiedTimeNs > MAX_CERTIFICATE_REUSE_NS) {
      this.#roundWanted = true;
      return false;
    }
    return true;
  }

  /** Waits for the round under way, or for a new round when none is. */
  #freshCertificate(): Promise<void> {
    if (!this.#roundUnderWay) return this.#nextCertificate();
    return new Promise<void>((resolve, reject) => this.#roundWaiters.push({ resolve, reject }));
  }

  /** Waits for the certificate of a round that starts after now. */
  #nextCertificate(): Promise<void> {
    this.#roundWanted = true;
    const certified = new Promise<void>((resolve, reject) => this.#certifiedWaiters.push({ resolve, reject }));
    void this.#kick();
    return certified;
  }

  /** Runs rounds until no call, timer or waiter needs one; resolves when idle. */
  #kick(): Promise<void> {
    const idle = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    if (!this.#driving && !this.#closed) void this.#drive();
    else if (this.#closed) this.#settleIdle();
    return idle;
  }

  async #drive(): Promise<void> {
    this.#driving = true;
    try {
      while (!this.#closed && (this.#roundWanted || this.#calls.length > 0 || !this.#certifiedCurrent || this.#timerDue())) {
        // Let calls that arrive in the same tick join this round.
        await new Promise<void>((resolve) => setImmediate(resolve));
        await this.#round();
      }
    } catch (err) {
      this.#roundUnderWay = false;
      this.log(`replica round failed: ${(err as Error).stack ?? String(err)}`);
      for (const waiter of [...this.#certifiedWaiters.splice(0), ...this.#roundWaiters.splice(0)]) waiter.reject(err as Error);
    } finally {
      this.#driving = false;
      this.#armTimerWakeUp();
      this.#settleIdle();
    }
  }

  /**
   * Executes the queued calls, certifies the state with one signature (made off this thread) and
   * settles whoever waits for that certificate. Queries keep being answered throughout: the round
   * yields to the event loop between slices of execution and of settling. A query meanwhile sees the
   * calls executed so far, each whole, as if the round had been split in smaller ones.
   */
  async #round(): Promise<void> {
    this.#roundWanted = false;
    this.#roundUnderWay = true;
    const timeNs = this.#nextRoundTimeNs();
    const calls = this.#calls.splice(0);
    const waiters = this.#certifiedWaiters.splice(0);
    this.#certifiedCurrent = false;
    this.#stateVersion++;
    this.stats.rounds++;

    for (const instance of this.#canisters.values()) instance.runDueTimers(timeNs);
    let sliceStart = performance.now();
    for (const call of calls) {
      this.#execute(call, timeNs);
      if (performance.now() - sliceStart >= ROUND_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
    }
    for (const instance of this.#canisters.values()) this.#state.setCanister(instance.id, instance.certifiedData);
    this.#state.pruneExpired(BigInt(Date.now()) * 1_000_000n);
    this.#state.setTime(timeNs);

    const root = this.#state.rootHash();
    const version = this.#stateVersion;
    const message = new Uint8Array(STATE_ROOT_DOMAIN.length + root.length);
    message.set(STATE_ROOT_DOMAIN);
    message.set(root, STATE_ROOT_DOMAIN.length);
    this.#signature = await this.signer.sign(message);
    this.#roundUnderWay = false;
    this.#dataCertificates.clear();
    this.#certifiedTimeNs = timeNs;
    // A canister installed while the round was signed is not covered: the next round will be.
    this.#certifiedCurrent = version === this.#stateVersion;
    this.stats.certificatesSigned++;
    const settled = [...waiters, ...this.#roundWaiters.splice(0)];
    for (let i = 0; i < settled.length; i += WAITERS_PER_SLICE) {
      if (i > 0) await yieldToEventLoop();
      for (const waiter of settled.slice(i, i + WAITERS_PER_SLICE)) waiter.resolve();
    }
  }

  #execute(call: IngressCall, timeNs: bigint): void {
    if (this.#state.statusSender(call.requestId) !== undefined) return;
    const instance = this.#canisters.get(canisterKey(call.canisterId));
    const outcome = instance === undefined
      ? rejected(RejectCode.DestinationInvalid, 'IC0301', `Canister ${call.canisterId.toText()} not found`)
      : instance.execute({ methodName: call.methodName, arg: call.arg, caller: call.sender, mode: 'update', timeNs });
    this.stats.updatesExecuted++;
    this.#state.recordStatus(call.requestId, call.sender, call.ingressExpiryNs, outcome);
    if (this.#outcomes.has(call.requestId)) this.#outcomes.set(call.requestId, outcome);
  }

  /** Round time never goes back and steps through due timers one due time at a time. */
  #nextRoundTimeNs(): bigint {
    const last = this.#state.timeNs;
    let timeNs = this.clock.nowNs();
    const due = this.#earliestTimerNs();
    if (due !== undefined && due > last && due < timeNs) timeNs = due;
    return timeNs > last ? timeNs : last + 1n;
  }

  #earliestTimerNs(): bigint | undefined {
    let earliest: bigint | undefined;
    for (const instance of this.#canisters.values()) {
      const due = instance.nextTimerDueNs();
      if (due !== undefined && (earliest === undefined || due < earliest)) earliest = due;
    }
    return earliest;
  }

  #timerDue(): boolean {
    const due = this.#earliestTimerNs();
    return due !== undefined && due <= this.clock.nowNs();
  }

  #armTimerWakeUp(): void {
    clearTimeout(this.#timerWakeUp);
    const due = this.#earliestTimerNs();
    if (due === undefined || this.#closed) return;
    const delayMs = Number((due - this.clock.nowNs()) / 1_000_000n);
    this.#timerWakeUp = setTimeout(() => void this.#kick(), Math.max(0, Math.min(delayMs + 1, 2 ** 31 - 1)));
    this.#timerWakeUp.unref();
  }

  #settleIdle(): void {
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #nextFreeId(): Principal {
    for (let ordinal = 0; ; ordinal++) {
      const id = canisterIdAt(ordinal);
      if (!this.#canisters.has(canisterKey(id))) return id;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new ReplicaError('ICWS_ERR_REPLICA_CLOSED', 'the replica was shut down');
  }
}

/** Lets the event loop handle I/O (queries) before going on. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function canisterKey(id: Principal): string {
  const bytes = id.toUint8Array();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
