import type { Principal } from '@icp-sdk/core/principal';
import { encodeUleb128, isCanisterDefinition, labeled, leaf, reconstruct, type CanisterDefinition, type CanisterMethods, type MethodDefinition } from '@icws/backend-cdk';
import { IC_STATE_ROOT_DOMAIN_SEPARATOR, withDomainSeparator } from '@icws/protocol';
import { CanisterInstance } from './canister/instance';
import { rejected, RejectCode, type CallOutcome } from './canister/outcome';
import { ReplicaError } from './errors';
import { InlineCertificateSigner, WorkerCertificateSigner, type CertificateSigner } from './bls-signer';
import { isCanisterIdFormat } from './canister-ids';
import { encodeCertificate, type CertificateParts } from './response-cbor';
import { SystemClock, wallClockNs, type Clock } from './clock';
import { CryptoWorkerPool } from './crypto-worker-pool';
import { CachingSignatureVerifier } from './envelope/caching-verifier';
import { InThreadSignatureVerifier, type SignatureVerifier } from './envelope/signature-verifier';
import type { NodeKey } from './node-key';
import { signWithBlsKey, type BlsKeyPair, type RootKey } from './root-key';
import { CanisterRanges } from './canister-ranges';
import { SubnetDelegation } from './delegation';
import type { CertificateMode, SubnetKeys } from './subnet-keys';
import { RoundScheduler, yieldToEventLoop, type Round, type RoundState } from './round-scheduler';
import { ReplicaStateTree, type StateSelection } from './state-tree';
import { STATE_LABEL } from './state-labels';
import { CanisterStorage } from './storage/canister-storage';

/** A certificate older than this is refreshed by an empty round before it is handed out. */
const MAX_CERTIFICATE_REUSE_NS = 10_000_000_000n;
/**
 * A round gives the event loop a turn after about this much execution, so new calls are read and
 * checked meanwhile instead of behind the whole round (executing a hundred calls takes milliseconds).
 */
const ROUND_SLICE_MS = 1;
/**
 * Update calls admitted and not yet certified, by default. Past it calls are refused with
 * `ICWS_ERR_REPLICA_OVERLOADED` (HTTP 503): a few seconds of work at the rate the replica executes
 * and answers calls through HTTP, so a sender meets the bound before latency grows without end.
 */
export const DEFAULT_MAX_PENDING_CALLS = 5_000;
/**
 * The least time between the starts of two rounds: calls of a few milliseconds share one certificate
 * instead of costing each client a BLS check apiece (mainnet rounds are about a second apart).
 */
export const DEFAULT_MIN_ROUND_INTERVAL_MS = 5;

export interface ReplicaOptions {
  /**
   * Where the root, subnet and node keys and the canisters' stable memory (`state.sqlite`) are
   * kept, so canister ids, keys and stable collections are the same after a restart; without it,
   * fresh keys and stable memory live in memory only.
   */
  readonly stateDir?: string;
  /**
   * Keep the canisters' stable memory in `<stateDir>/state.sqlite`; `false` keeps it in memory even
   * with a `stateDir` (the keys are still kept there). @default true when `stateDir` is given
   */
  readonly durableState?: boolean;
  /**
   * `delegated`: as on mainnet, certificates are signed by the application subnet's key and carry
   * the root key's delegation to the subnet. `flat`: as a local IC SDK replica, the root key signs
   * them directly. @default 'delegated'
   */
  readonly certificates?: CertificateMode;
  /** The replica's time; a {@link TestClock} lets tests fire timers without sleeping. */
  readonly clock?: Clock;
  /** Sign certificates on a worker thread (default) or inline. */
  readonly signer?: 'worker' | 'inline';
  /** Where canister debug output and replica notices go. @default console.log */
  readonly log?: (line: string) => void;
  /**
   * Wall-clock time in nanoseconds since the epoch. Request statuses are forgotten once their
   * ingress expiry, which senders set by their own wall clocks, has passed by this clock; the replica
   * clock may be a {@link TestClock} far from it. @default Date.now() in nanoseconds
   */
  readonly wallClock?: () => bigint;
  /**
   * Where the signatures of request envelopes are checked: on a pool of worker threads that also
   * signs query replies (default), on the thread that serves HTTP (`inline`), or by a verifier of
   * yours, which the replica uses as it is and does not close. The replica's own verifiers
   * remember the signatures that verified.
   */
  readonly verifier?: 'worker' | 'inline' | SignatureVerifier;
  /** Threads of the crypto worker pool. @default os.availableParallelism(), at least 1 */
  readonly cryptoThreads?: number;
  /**
   * Update calls admitted and not yet certified. A call past it is refused with
   * `ICWS_ERR_REPLICA_OVERLOADED` (HTTP 503) and may be sent again later. @default DEFAULT_MAX_PENDING_CALLS
   */
  readonly maxPendingCalls?: number;
  /**
   * Bytes of replies and reject messages kept in request statuses; past it the oldest statuses
   * turn `done`. @default 64 MiB
   */
  readonly maxReplyBytes?: number;
  /**
   * The least time from the start of one round to the start of the next, in ms; 0 starts a round
   * as soon as the previous one is certified. @default DEFAULT_MIN_ROUND_INTERVAL_MS
   */
  readonly minRoundIntervalMs?: number;
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
  /** Queries answered from the certified state while a round was under way (see {@link Replica.query}). */
  queriesFromCertifiedState: number;
  /** Update calls refused because {@link ReplicaOptions.maxPendingCalls} were pending. */
  callsRefused: number;
  /** Update calls admitted and not yet certified (queued, executing or being signed). */
  readonly pendingCalls: number;
  /** Request statuses kept: one per call executed whose ingress expiry has not passed. */
  readonly requestStatuses: number;
  /** Bytes of replies and reject messages kept in request statuses. */
  readonly requestStatusBytes: number;
  /** Transactions of stable memory committed: at most one a round, before its certificate is signed. */
  readonly stateCommits: number;
}

/**
 * An Internet-Computer-like host for canisters written in TypeScript. Update calls execute in
 * rounds, in arrival order; after each round the whole state is certified with ONE BLS signature,
 * made off the main thread. A {@link RoundScheduler} decides when rounds run.
 *
 * Queries and certificates only see certified state: a query runs at once when the state is the one
 * the latest signature covers (and that signature is recent), and otherwise waits for the round
 * under way, or an empty one, to be certified, then runs without a break, so `ic.dataCertificate()`
 * always has a certificate for what the query reads. Queries a canister captures after each round
 * (`ic.setCertifiedQueries`: the WebSocket kit's `ws_get_messages`) do not wait: they answer from
 * the state the latest certificate covers, with that certificate. A round executes in slices with
 * turns of the event loop in between, which let new calls in, until a query waits for it (see
 * `#executeRound`).
 */
export class Replica {
  readonly stats: ReplicaStats;
  /** By {@link canisterKey}: hex is far cheaper than the textual form on every request. */
  readonly #canisters = new Map<string, CanisterInstance>();
  readonly #state: ReplicaStateTree;
  readonly #calls: IngressCall[] = [];
  readonly #scheduler: RoundScheduler;
  readonly #wallClock: () => bigint;
  readonly #maxPendingCalls: number;
  /** Calls admitted by {@link submit} whose round is not certified yet. */
  #pendingCalls = 0;
  /** Bumped by every change of the state (a round, an install), so a signature knows whether it still covers it. */
  #stateVersion = 0;
  /** The state version the latest signature covers. */
  #certifiedVersion = -1;
  /** The state version and time of the round being signed. */
  #signing: { version: number; timeNs: bigint } | undefined;
  /** Queries and certificate requests waiting for the state to be certified. */
  #waitingForCertification = 0;
  /** Outcomes of the calls made by {@link update}, kept only for those (others read request_status). */
  readonly #outcomes = new WeakMap<Uint8Array, CallOutcome | undefined>();
  /** The certified data version of each canister that the state tree holds. */
  readonly #certifiedDataVersions = new Map<CanisterInstance, number>();
  /**
   * Data certificates of the certified round by canister; queries polling for messages ask for them.
   * Made from the state tree while it is the certified one, and for the canisters with certified
   * queries before the tree changes (see {@link #beforeTreeChange}), which those queries then use.
   */
  readonly #dataCertificates = new Map<string, Uint8Array>();
  /** Whether the state tree is the one the latest signature covers (no round's changes applied since). */
  #treeCertified = false;
  /** Queries answering from the certified state while a round is under way, by canister (`ic.setCertifiedQueries`). */
  #certifiedQueries = new Map<CanisterInstance, CanisterMethods>();
  /**
   * When each canister with certified queries was last queried (replica time, ns), by
   * {@link canisterKey}: only those queried lately get their certificate kept when the tree
   * changes, so a round costs nothing for canisters nobody polls. By id, not instance, so that an
   * upgrade neither forgets a canister's polls nor keeps its old heap reachable.
   */
  readonly #queriedAtNs = new Map<string, bigint>();
  /** Captured at the end of the round being signed; certified with it. */
  #pendingQueries: Map<CanisterInstance, CanisterMethods> | undefined;
  #signature: Uint8Array | undefined;
  readonly #ranges = new CanisterRanges();
  /** The root key's certificate of the latest certified time, for clock syncs against other subnets. */
  #rootTimeCertificate: { readonly timeNs: bigint; readonly certificate: Uint8Array } | undefined;
  /** The root key's delegation to the subnet; none in flat mode. */
  readonly #delegation: SubnetDelegation | undefined;
  #certifiedTimeNs = 0n;
  #timerWakeUp: NodeJS.Timeout | undefined;
  readonly #removeClockListener: () => void;
  /** The canisters' ids and stable memory; in memory without a state directory. */
  readonly #storage: CanisterStorage;

  /** The root key: the NNS key `/api/v2/status` serves. */
  readonly rootKey: RootKey;
  /** The key that signs certificates: the subnet's own, or the root key in flat mode. */
  readonly subnetKey: BlsKeyPair;
  /** The key of the subnet's node, which signs query replies. */
  readonly nodeKey: NodeKey;
  /** Whether certificates carry a delegation (`delegated`) or are signed by the root key (`flat`). */
  readonly certificateMode: CertificateMode;

  private constructor(
    keys: SubnetKeys,
    readonly clock: Clock,
    private readonly signer: CertificateSigner,
    /** Checks the signatures of the envelopes posted to this replica. */
    readonly verifier: SignatureVerifier,
    private readonly pool: CryptoWorkerPool | undefined,
    private readonly log: (line: string) => void,
    wallClock: () => bigint,
    limits: { maxPendingCalls: number; maxReplyBytes?: number; minRoundIntervalMs: number },
    storage: CanisterStorage,
  ) {
    const replica = this;
    this.#storage = storage;
    this.stats = {
      rounds: 0,
      certificatesSigned: 0,
      updatesExecuted: 0,
      queriesExecuted: 0,
      queriesFromCertifiedState: 0,
      callsRefused: 0,
      get pendingCalls() {
        return replica.#pendingCalls;
      },
      get requestStatuses() {
        return replica.#state.pendingStatuses;
      },
      get requestStatusBytes() {
        return replica.#state.statusReplyBytes;
      },
      get stateCommits() {
        return replica.#storage.commits;
      },
    };
    this.#maxPendingCalls = limits.maxPendingCalls;
    this.rootKey = keys.rootKey;
    this.subnetKey = keys.subnetKey;
    this.nodeKey = keys.nodeKey;
    this.certificateMode = keys.mode;
    const subnet = { subnetId: keys.subnetId, publicKeyDer: keys.subnetKey.der };
    this.#state = new ReplicaStateTree({ ...subnet, node: keys.nodeKey }, this.#ranges.ranges, { maxReplyBytes: limits.maxReplyBytes });
    this.#delegation = keys.mode === 'delegated'
      ? new SubnetDelegation(keys.rootKey, { ...subnet, ranges: this.#ranges.ranges }, clock.nowNs())
      : undefined;
    this.#wallClock = wallClock;
    this.#scheduler = new RoundScheduler({
      hasWork: () => this.#calls.length > 0 || this.#certifiedVersion !== this.#stateVersion || this.#timerDue(),
      roundTimeNs: () => this.#nextRoundTimeNs(),
      execute: (round) => this.#executeRound(round),
      persist: () => this.#storage.commitRound(),
      certify: (_round, signature) => this.#certify(signature),
    }, signer, { log, onStateChange: (state) => this.#onRoundState(state), minIntervalMs: limits.minRoundIntervalMs });
    this.#removeClockListener = clock.onAdvance(() => this.#scheduler.whenIdle());
  }

  /** Starts a replica and certifies its initial (empty) state. */
  static async create(options: ReplicaOptions = {}): Promise<Replica> {
    const mode = options.certificates ?? 'delegated';
    if (mode !== 'delegated' && mode !== 'flat') {
      throw new ReplicaError('ICWS_ERR_USAGE', `certificates: "${String(mode)}" is not a certificate mode; use 'delegated' (the default) or 'flat'`);
    }
    const maxPendingCalls = options.maxPendingCalls ?? DEFAULT_MAX_PENDING_CALLS;
    if (!Number.isSafeInteger(maxPendingCalls) || maxPendingCalls < 1) {
      throw new ReplicaError('ICWS_ERR_USAGE', `maxPendingCalls: ${String(maxPendingCalls)} is not a positive integer; give the most update calls that may wait for a round`);
    }
    const maxReplyBytes = options.maxReplyBytes;
    if (maxReplyBytes !== undefined && (!Number.isSafeInteger(maxReplyBytes) || maxReplyBytes < 0)) {
      throw new ReplicaError('ICWS_ERR_USAGE', `maxReplyBytes: ${String(maxReplyBytes)} is not an integer >= 0; give the bytes of replies request statuses may keep`);
    }
    const minRoundIntervalMs = options.minRoundIntervalMs ?? DEFAULT_MIN_ROUND_INTERVAL_MS;
    if (!Number.isFinite(minRoundIntervalMs) || minRoundIntervalMs < 0) {
      throw new ReplicaError('ICWS_ERR_USAGE', `minRoundIntervalMs: ${String(minRoundIntervalMs)} is not a number of ms >= 0; give the least time between the starts of two rounds`);
    }
    const { storage, keys } = await CanisterStorage.open(mode, options);
    const signer = options.signer === 'inline'
      ? new InlineCertificateSigner(keys.subnetKey.secretKey)
      : new WorkerCertificateSigner(keys.subnetKey.secretKey);
    const pool = (options.verifier ?? 'worker') === 'worker'
      ? new CryptoWorkerPool({ size: options.cryptoThreads, signingKeyPkcs8: keys.nodeKey.pkcs8() })
      : undefined;
    const verifier = typeof options.verifier === 'object'
      ? options.verifier
      : new CachingSignatureVerifier(pool ?? new InThreadSignatureVerifier());
    const replica = new Replica(
      keys, options.clock ?? new SystemClock(), signer, verifier, pool, options.log ?? console.log, options.wallClock ?? wallClockNs,
      { maxPendingCalls, maxReplyBytes, minRoundIntervalMs }, storage,
    );
    await replica.#scheduler.whenIdle();
    return replica;
  }

  /**
   * The id of the replica's subnet: the self-authenticating id of the subnet key (of the root key
   * in flat mode, as agents derive it when a certificate has no delegation).
   */
  get subnetId(): Principal {
    return this.#state.subnetId;
  }

  /**
   * Installs a canister module. A canister whose id held stable memory before (a restart on the
   * same state directory) takes it over as after an upgrade: its factory runs, then its
   * `postUpgrade` hook.
   * @param options.id - the canister id; by default the id the canister of this name had in the
   *   state directory, else the next id in the local range that no other canister's state holds
   * @param options.init - the value passed to the canister's factory
   * @param options.moduleHash - what identifies the module's code, to tell an upgrade from a restart
   * @returns the canister id
   * @throws ReplicaError `ICWS_ERR_CANISTER_ID` when the id is taken or not a canister id;
   *   `ICWS_ERR_UPGRADE` when the canister's factory or `postUpgrade` throws over existing state
   */
  install<Init>(name: string, definition: CanisterDefinition<Init>, options: { id?: Principal; init?: Init; moduleHash?: string } = {}): Principal {
    if (!isCanisterDefinition(definition)) {
      throw new ReplicaError('ICWS_ERR_NOT_A_CANISTER', `canister "${name}" is not a module made by defineCanister()`);
    }
    const id = options.id ?? this.#storage.idFor(name, (candidate) => this.#canisters.has(canisterKey(candidate)));
    if (!isCanisterIdFormat(id)) {
      throw new ReplicaError('ICWS_ERR_CANISTER_ID', `${id.toText()} is not a canister id (10 bytes ending in 0x0101)`);
    }
    const existing = this.#canisters.get(canisterKey(id));
    if (existing !== undefined) {
      throw new ReplicaError('ICWS_ERR_CANISTER_ID', `canister id ${id.toText()} is already taken by "${existing.name}"`);
    }
    const previous = this.#storage.previousOwner(id, name);
    const create = () => this.#instantiate(name, id, definition as CanisterDefinition<unknown>, options.init);
    const instance = previous === undefined ? create() : this.#storage.upgrade(name, id, undefined, create, this.#currentTimeNs());
    this.#beforeTreeChange();
    if (this.#ranges.include(id)) {
      // A canister id outside the subnet's ranges: the state and the delegation must cover it.
      this.#state.setCanisterRanges(this.#ranges.ranges);
      this.#delegation?.setRanges(this.#ranges.ranges, this.clock.nowNs());
    }
    const notice = this.#storage.recordInstall(id, name, options.moduleHash, previous);
    if (notice !== undefined) this.log(notice);
    this.#putInstance(id, instance);
    return id;
  }

  /**
   * Upgrades installed canister `id` to `definition`, as the IC does: the old instance's
   * `preUpgrade` runs, its heap (variables, timers, certified data) is dropped, the new module's
   * factory and `postUpgrade` run on the same stable memory. All of it is one step between
   * messages; if any part throws, the canister keeps its old module and stable memory unchanged.
   * @throws ReplicaError `ICWS_ERR_CANISTER_ID` when no canister has that id; `ICWS_ERR_UPGRADE`
   *   when a hook or the new factory throws
   */
  upgrade<Init>(id: Principal, definition: CanisterDefinition<Init>, options: { init?: Init; moduleHash?: string } = {}): void {
    if (!isCanisterDefinition(definition)) {
      throw new ReplicaError('ICWS_ERR_NOT_A_CANISTER', `the new module of canister ${id.toText()} is not a module made by defineCanister()`);
    }
    const old = this.#canisters.get(canisterKey(id));
    if (old === undefined) throw new ReplicaError('ICWS_ERR_CANISTER_ID', `no canister ${id.toText()} is installed, so none can be upgraded`);
    const create = () => this.#instantiate(old.name, id, definition as CanisterDefinition<unknown>, options.init);
    const instance = this.#storage.upgrade(old.name, id, old, create, this.#currentTimeNs());
    this.#beforeTreeChange();
    this.#storage.recordInstall(id, old.name, options.moduleHash);
    this.#certifiedDataVersions.delete(old);
    this.#putInstance(id, instance);
  }

  /** Makes `instance` canister `id`, its certified data in the state tree; {@link #beforeTreeChange} came first. */
  #putInstance(id: Principal, instance: CanisterInstance): void {
    this.#canisters.set(canisterKey(id), instance);
    this.#state.setCanister(id, instance.certifiedData);
    this.#certifiedDataVersions.set(instance, instance.certifiedDataVersion);
    this.#stateVersion++;
    this.#scheduler.wake();
  }

  #instantiate(name: string, id: Principal, definition: CanisterDefinition<unknown>, init: unknown): CanisterInstance {
    return new CanisterInstance(name, id, definition, init, {
      dataCertificate: () => this.#dataCertificate(id),
      print: this.log,
      stableStore: this.#storage.stableStore(id),
    }, this.#currentTimeNs());
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
   * @throws ReplicaError `ICWS_ERR_REPLICA_OVERLOADED` when {@link ReplicaOptions.maxPendingCalls}
   *   calls are pending: the call is not queued, and may be sent again later
   */
  submit(call: IngressCall): Promise<void> {
    this.#assertOpen();
    if (this.#state.hasStatus(call.requestId)) return this.#scheduler.nextRound().turn();
    if (this.#pendingCalls >= this.#maxPendingCalls) {
      this.stats.callsRefused++;
      throw new ReplicaError(
        'ICWS_ERR_REPLICA_OVERLOADED',
        `the replica has ${this.#pendingCalls} update calls waiting for a round (maxPendingCalls ${this.#maxPendingCalls}); send the call again in a moment`,
      );
    }
    this.#calls.push(call);
    this.#pendingCalls++;
    const certified = this.#scheduler.nextRound().turn();
    // Counted until its round settles (certified or failed), when its caller is answered.
    certified.then(this.#callSettled, this.#callSettled);
    return certified;
  }

  readonly #callSettled = (): void => {
    this.#pendingCalls--;
  };

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
   * Executes a query against the certified state, at its certified time. While a round is under
   * way, a query the canister captured for it (`ic.setCertifiedQueries`) runs at once against the
   * state the latest certificate covers, if that certificate is recent, unless it defers to the
   * current state; any other waits until that round (or an empty one, when the certificate is
   * stale) is certified.
   * @throws ReplicaError `ICWS_ERR_REPLICA_CLOSED` when the replica is closed meanwhile
   */
  async query(canisterId: Principal, methodName: string, arg: Uint8Array, caller: Principal): Promise<CallOutcome> {
    this.#assertOpen();
    if (!this.#certificateUsable()) {
      const captured = this.#certifiedQuery(canisterId, methodName);
      if (captured !== undefined) this.#queriedAtNs.set(canisterKey(canisterId), this.clock.nowNs());
      const outcome = captured?.instance.executeCaptured({ methodName, arg, caller, mode: 'query', timeNs: this.#certifiedTimeNs }, captured.method);
      if (outcome !== undefined) {
        this.stats.queriesExecuted++;
        this.stats.queriesFromCertifiedState++;
        return outcome;
      }
      await this.#certifiedState();
    }
    // From here to the end the query runs without a break, so the state stays the certified one.
    const key = canisterKey(canisterId);
    const instance = this.#canisters.get(key);
    if (instance === undefined) {
      return rejected(RejectCode.DestinationInvalid, 'IC0301', `Canister ${canisterId.toText()} not found`);
    }
    if (this.#certifiedQueries.has(instance)) this.#queriedAtNs.set(key, this.clock.nowNs());
    this.stats.queriesExecuted++;
    return instance.execute({ methodName, arg, caller, mode: 'query', timeNs: this.#certifiedTimeNs });
  }

  /**
   * @returns a CBOR certificate `{tree, signature, delegation}` revealing `selection` and `time`,
   * signed by the subnet key (`{tree, signature}` signed by the root key in flat mode); waits for
   * the current round's signature when one is pending.
   * @throws ReplicaError `ICWS_ERR_REPLICA_CLOSED` when the replica is closed meanwhile
   */
  async certificate(selection: StateSelection): Promise<Uint8Array> {
    const { tree, signature, delegation } = await this.certificateParts(selection);
    return encodeCertificate(tree, signature, delegation);
  }

  /**
   * @returns what {@link certificate} encodes, for a caller that writes the certificate into a
   *   larger body itself (the call endpoint's reply)
   * @throws ReplicaError `ICWS_ERR_REPLICA_CLOSED` when the replica is closed meanwhile
   */
  async certificateParts(selection: StateSelection): Promise<CertificateParts> {
    this.#assertOpen();
    if (!this.#certificateUsable()) await this.#certifiedState();
    return { tree: this.#state.witness(selection), signature: this.#signature!, delegation: this.#delegation?.encoded };
  }

  /**
   * @returns a certificate of `time` for a `read_state` whose effective canister is outside this
   * subnet (an agent syncing its clock against the ledger id): what the NNS subnet would answer, a
   * tree of `time` signed by the root key with no delegation, which agents accept for any canister.
   * In flat mode, or for a canister of this subnet, the subnet's own certificate of `time`.
   */
  async timeCertificate(canisterId: Principal): Promise<Uint8Array> {
    const ownTime = this.certificate({ canisters: [], requestIds: [], subnet: false });
    if (this.#delegation === undefined || this.#ranges.covers(canisterId)) return ownTime;
    await ownTime;
    const timeNs = this.#certifiedTimeNs;
    if (this.#rootTimeCertificate?.timeNs !== timeNs) {
      const tree = labeled(STATE_LABEL.time, leaf(encodeUleb128(timeNs)));
      const signature = signWithBlsKey(this.rootKey, withDomainSeparator(IC_STATE_ROOT_DOMAIN_SEPARATOR, reconstruct(tree)));
      this.#rootTimeCertificate = { timeNs, certificate: encodeCertificate(tree, signature) };
    }
    return this.#rootTimeCertificate.certificate;
  }

  /**
   * Runs a round now (after the one under way, if any), executing what is queued and the timers
   * due, and waits for its certificate: PocketIC's `tick`.
   * @returns the round's time (ns since the epoch)
   * @throws ReplicaError `ICWS_ERR_REPLICA_CLOSED` when the replica is closed meanwhile
   */
  async tick(): Promise<bigint> {
    this.#assertOpen();
    const round = this.#scheduler.nextRound();
    await round.certified;
    return round.timeNs!;
  }

  /** The time of the latest round (ns since the epoch): what the latest certificate says, or will. */
  get roundTimeNs(): bigint {
    return this.#state.timeNs;
  }

  /** Where the round scheduler is: `idle`, `queued`, `executing`, `signing`, `settling` or `closed`. */
  get roundState(): RoundState {
    return this.#scheduler.state;
  }

  /**
   * Stops the certificate signer, the crypto pool and timers; pending requests are rejected. The
   * stable memory written so far is committed and the state database closed.
   */
  async close(): Promise<void> {
    if (this.#scheduler.state === 'closed') return;
    this.#removeClockListener();
    clearTimeout(this.#timerWakeUp);
    this.#scheduler.close(closedError());
    try {
      this.#storage.close();
    } finally {
      await Promise.all([this.signer.close(), this.pool?.close()]);
    }
  }

  #encodeCertificate(selection: StateSelection): Uint8Array {
    return encodeCertificate(this.#state.witness(selection), this.#signature!, this.#delegation?.encoded);
  }

  /**
   * Only queries ask, and they run only while the state is the one signed last, or against a
   * captured state whose certificate was made before the tree changed (see {@link query}).
   */
  #dataCertificate(id: Principal): Uint8Array {
    const key = canisterKey(id);
    let certificate = this.#dataCertificates.get(key);
    if (certificate === undefined) {
      // Never reached: captured queries find their certificates kept (see #beforeTreeChange).
      if (!this.#treeCertified) throw new Error(`no certificate of canister ${id.toText()}'s certified data was kept for this query`);
      certificate = this.#encodeCertificate({ canisters: [id], requestIds: [], subnet: false });
      this.#dataCertificates.set(key, certificate);
    }
    return certificate.slice();
  }

  /** @returns whether the state is the one the latest signature covers, signed recently enough. */
  #certificateUsable(): boolean {
    return this.#certifiedVersion === this.#stateVersion && this.#certificateRecent();
  }

  #certificateRecent(): boolean {
    return this.clock.nowNs() - this.#certifiedTimeNs <= MAX_CERTIFICATE_REUSE_NS;
  }

  /**
   * @returns the query `methodName` of the canister as captured with the certified state, if it
   *   may answer now: the certificate is recent, and kept (or the tree is still the certified one)
   */
  #certifiedQuery(canisterId: Principal, methodName: string): { instance: CanisterInstance; method: MethodDefinition } | undefined {
    const key = canisterKey(canisterId);
    const instance = this.#canisters.get(key);
    const queries = instance === undefined ? undefined : this.#certifiedQueries.get(instance);
    if (queries === undefined || !Object.hasOwn(queries, methodName) || !this.#certificateRecent()) return undefined;
    if (!this.#treeCertified && !this.#dataCertificates.has(key)) return undefined;
    const method = queries[methodName];
    return method.mode === 'query' ? { instance: instance!, method } : undefined;
  }

  /**
   * Called before the state tree changes (a round starts, a canister is installed): keeps the
   * certificates the captured queries will hand out until the next signature, made while the tree
   * is still the certified one, for the canisters queried within the certificate reuse period;
   * a canister queried after a long silence waits for the round, as any query.
   */
  #beforeTreeChange(): void {
    if (!this.#treeCertified) return;
    const since = this.clock.nowNs() - MAX_CERTIFICATE_REUSE_NS;
    for (const instance of this.#certifiedQueries.keys()) {
      const queriedAtNs = this.#queriedAtNs.get(canisterKey(instance.id));
      if (queriedAtNs !== undefined && queriedAtNs >= since) this.#dataCertificate(instance.id);
    }
    this.#treeCertified = false;
  }

  /**
   * Waits until the state is certified: for the round executing or being signed, or for a new
   * (possibly empty) round when the state changed since or the certificate is stale. Continuations
   * of a round's `certified` run before the next round can start, so one wait is almost always enough.
   */
  async #certifiedState(): Promise<void> {
    this.#waitingForCertification++;
    try {
      while (!this.#certificateUsable()) await this.#scheduler.freshRound().certified;
    } finally {
      this.#waitingForCertification--;
    }
  }

  /**
   * Executes the queued calls and due timers and updates the state tree. The round gives the event
   * loop a turn between slices so new calls are read and checked meanwhile, until a query arrives:
   * it waits for this round's signature (the canisters' memory holds calls that are not certified),
   * so from then on the round runs to its end without a break, and the query waits for execution
   * and signing only, not for the requests handled in the turns. All of the round's calls stay in
   * it: their callers wait for its certificate.
   * @returns the message whose signature certifies the new state
   */
  async #executeRound(round: Round): Promise<Uint8Array> {
    const timeNs = round.timeNs!;
    const calls = this.#calls.splice(0);
    this.#stateVersion++;
    this.stats.rounds++;
    // Executing records request statuses in the state tree.
    this.#beforeTreeChange();

    for (const instance of this.#canisters.values()) instance.runDueTimers(timeNs);
    // Elapsed time only decides when to give the event loop a turn, never what canisters or
    // certificates see, so it is read from the performance timer rather than an injected clock.
    let sliceStart = performance.now();
    for (const call of calls) {
      this.#execute(call, timeNs);
      if (this.#waitingForCertification === 0 && performance.now() - sliceStart >= ROUND_SLICE_MS) {
        await yieldToEventLoop();
        if (this.#scheduler.state === 'closed') break;
        sliceStart = performance.now();
      }
    }
    const captured = new Map<CanisterInstance, CanisterMethods>();
    for (const instance of this.#canisters.values()) {
      // The state as this round leaves it, which its certificate will cover.
      const queries = instance.captureCertifiedQueries();
      if (queries !== undefined) captured.set(instance, queries);
      // Read once per round: a source set by many messages (one per queued message) is hashed here once.
      if (this.#certifiedDataVersions.get(instance) === instance.certifiedDataVersion) continue;
      this.#certifiedDataVersions.set(instance, instance.certifiedDataVersion);
      this.#state.setCanister(instance.id, instance.certifiedData);
    }
    this.#pendingQueries = captured;
    this.#state.pruneExpired(this.#wallClock());
    this.#state.setTime(timeNs);
    // A canister installed while the round is signed is not covered: the next round will be.
    this.#signing = { version: this.#stateVersion, timeNs };

    return withDomainSeparator(IC_STATE_ROOT_DOMAIN_SEPARATOR, this.#state.rootHash());
  }

  #certify(signature: Uint8Array): void {
    this.#signature = signature;
    this.#dataCertificates.clear();
    this.#treeCertified = true;
    if (this.#pendingQueries !== undefined) this.#certifiedQueries = this.#pendingQueries;
    this.#pendingQueries = undefined;
    this.#certifiedVersion = this.#signing!.version;
    this.#certifiedTimeNs = this.#signing!.timeNs;
    this.#signing = undefined;
    this.stats.certificatesSigned++;
    this.#delegation?.refresh(this.#certifiedTimeNs);
  }

  #onRoundState(state: RoundState): void {
    if (state === 'idle') this.#armTimerWakeUp();
  }

  #execute(call: IngressCall, timeNs: bigint): void {
    if (this.#state.hasStatus(call.requestId)) return;
    const instance = this.#canisters.get(canisterKey(call.canisterId));
    const outcome = instance === undefined
      ? rejected(RejectCode.DestinationInvalid, 'IC0301', `Canister ${call.canisterId.toText()} not found`)
      : instance.execute({ methodName: call.methodName, arg: call.arg, caller: call.sender, mode: 'update', timeNs });
    this.stats.updatesExecuted++;
    this.#state.recordStatus(call.requestId, call.sender, call.ingressExpiryNs, outcome);
    if (this.#outcomes.has(call.requestId)) this.#outcomes.set(call.requestId, outcome);
  }

  /**
   * A round runs at the clock's time, strictly after the previous round (1 ns after it when the
   * clock has not moved), as on the IC; timers that are due by then run in it at that time.
   */
  #nextRoundTimeNs(): bigint {
    const last = this.#state.timeNs;
    const now = this.clock.nowNs();
    const timeNs = now > last ? now : last + 1n;
    this.clock.onRound?.(timeNs);
    return timeNs;
  }

  /** The time a message executed between rounds (an install) sees: never before the latest round. */
  #currentTimeNs(): bigint {
    const now = this.clock.nowNs();
    return now > this.#state.timeNs ? now : this.#state.timeNs;
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
    if (due === undefined || this.#scheduler.state === 'closed') return;
    const delayMs = Number((due - this.clock.nowNs()) / 1_000_000n);
    this.#timerWakeUp = setTimeout(() => this.#scheduler.wake(), Math.max(0, Math.min(delayMs + 1, 2 ** 31 - 1)));
    this.#timerWakeUp.unref();
  }

  #assertOpen(): void {
    if (this.#scheduler.state === 'closed') throw closedError();
  }
}

function closedError(): ReplicaError {
  return new ReplicaError('ICWS_ERR_REPLICA_CLOSED', 'the replica was shut down');
}

/** Keys of the principals seen, held weakly: requests name their canister with one cached object. */
const canisterKeys = new WeakMap<Principal, string>();

function canisterKey(id: Principal): string {
  let key = canisterKeys.get(id);
  if (key === undefined) {
    const bytes = id.toUint8Array();
    key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
    canisterKeys.set(id, key);
  }
  return key;
}
