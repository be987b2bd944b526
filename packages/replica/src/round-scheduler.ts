/**
 * When the replica executes and certifies: one round at a time, each round an object that whoever
 * needs its certificate awaits.
 */

/** Where a {@link RoundScheduler} is. */
export type RoundState = 'idle' | 'queued' | 'executing' | 'signing' | 'settling' | 'closed';

/** What a {@link RoundScheduler} drives: the replica's execution and certification. */
export interface RoundHost {
  /** @returns whether a round is due though nobody awaits one: calls queued, timers due, state changed. */
  hasWork(): boolean;
  /** @returns the time of a round that starts now. */
  roundTimeNs(): bigint;
  /**
   * Executes a round, giving the event loop turns between slices of work.
   * @returns the message whose signature certifies the state the round leaves
   */
  execute(round: Round): Promise<Uint8Array>;
  /**
   * Makes the state the round left durable, before its message is signed: whatever a certificate
   * acknowledges survives a crash. A host that keeps no durable state leaves it out.
   */
  persist?(round: Round): void | Promise<void>;
  /** Takes the signature of the round's message: from now on the round's state is the certified one. */
  certify(round: Round, signature: Uint8Array): void;
}

/** Signs a round's message with the root key: the replica's `CertificateSigner`. */
export interface RoundSigner {
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Hooks of a {@link RoundScheduler}. */
export interface RoundSchedulerOptions {
  /** Told of every change of state, after it happened. */
  readonly onStateChange?: (state: RoundState, previous: RoundState) => void;
  /** Where a failed round is reported. @default console.log */
  readonly log?: (line: string) => void;
  /**
   * The least time from the start of one round to the start of the next, in ms. Every round is a
   * certificate each client checks (a BLS pairing, milliseconds); spacing the rounds lets the calls
   * of a few milliseconds share one. @default 0
   */
  readonly minIntervalMs?: number;
  /** A monotonic clock in ms, for {@link RoundSchedulerOptions.minIntervalMs}. @default performance.now */
  readonly now?: () => number;
  /** Waits `ms` milliseconds. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The waiters of a round pass this many at a time once it is certified, each group in its own turn
 * of the event loop, so queries are answered between them instead of behind all of them (answering
 * a hundred calls with their certificates takes tens of milliseconds).
 */
const WAITERS_PER_TURN = 16;

/**
 * One execution round: its number, its time once it started, and the promise of its certificate.
 * Waiting for a certificate is awaiting the round that will carry it.
 */
export class Round {
  /** Settled when the round's signature is taken, or rejected when the round fails or the replica closes. */
  readonly certified: Promise<void>;
  #timeNs: bigint | undefined;
  #resolve!: () => void;
  #reject!: (err: Error) => void;
  /** The turn of the event loop in which the latest waiter passes; see {@link Round.turn}. */
  #lastTurn: Promise<void>;
  #waiters = 0;

  /** @internal */
  constructor(readonly number: number) {
    this.certified = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Nobody may be waiting when a round fails; those who do still see the rejection.
    this.certified.catch(() => undefined);
    this.#lastTurn = this.certified;
  }

  /** The round's time (ns since the epoch), from the moment it starts executing. */
  get timeNs(): bigint | undefined {
    return this.#timeNs;
  }

  /**
   * @returns a promise settled once the round is certified, in the turn of the event loop given to
   * this waiter: the first {@link WAITERS_PER_TURN} pass at once, the next ones a turn later, and so on.
   */
  turn(): Promise<void> {
    const index = this.#waiters++;
    if (index > 0 && index % WAITERS_PER_TURN === 0) this.#lastTurn = this.#lastTurn.then(yieldToEventLoop);
    return this.#lastTurn;
  }

  /** @internal */
  begin(timeNs: bigint): void {
    this.#timeNs = timeNs;
  }

  /** Settled once every waiter of {@link Round.turn} so far has passed. @internal */
  get everyonePassed(): Promise<void> {
    return this.#lastTurn;
  }

  /** @internal */
  settle(err?: Error): void {
    if (err === undefined) this.#resolve();
    else this.#reject(err);
  }
}

/**
 * Runs the replica's rounds one after the other: a round executes what is queued, is signed, lets
 * its waiters pass, and the next one starts when there is work or somebody waits for it.
 *
 * ```
 *          wake(), nextRound()        a turn later: work or a waiter       message built
 *   idle ---------------------> queued ---------------------------> executing -------------> signing
 *    ^  ^                        |  ^                                                          |
 *    |  +-- a turn later: none --+  +-- waiters passed: work or a waiter --+                   | signature
 *    |                                                                     |                   v
 *    +--------------------- waiters passed: no work ---------------------- settling <----------+
 *                                                                     (waiters pass, 16 a turn)
 *
 *   executing, signing -- the round fails --> idle   (rejects its waiters and the next round's)
 *   any state -- close() --> closed                  (rejects the rounds not certified yet)
 * ```
 *
 * Calls that arrive while a round executes or is signed wait for the next round. The next round
 * starts only after the waiters of the previous one have passed, so they still find the state their
 * certificate covers, and no sooner than `minIntervalMs` after the previous one started: `queued`
 * lasts until then.
 */
export class RoundScheduler {
  #state: RoundState = 'idle';
  /** The round executing, being signed, or letting its waiters pass. */
  #current: Round | undefined;
  /** The round that starts next, once somebody waits for it. */
  #next: Round | undefined;
  /** Rounds are numbered as they are made; they run in that order. */
  #roundsMade = 0;
  #closedBy: Error | undefined;
  readonly #onStateChange: (state: RoundState, previous: RoundState) => void;
  readonly #log: (line: string) => void;
  readonly #minIntervalMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** When the latest round started, on {@link RoundSchedulerOptions.now}'s clock. */
  #lastStart = -Infinity;

  constructor(
    private readonly host: RoundHost,
    private readonly signer: RoundSigner,
    options: RoundSchedulerOptions = {},
  ) {
    this.#onStateChange = options.onStateChange ?? (() => undefined);
    this.#log = options.log ?? console.log;
    this.#minIntervalMs = options.minIntervalMs ?? 0;
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get state(): RoundState {
    return this.#state;
  }

  /** Starts a round soon if there is work; calls arriving in the meantime join it. */
  wake(): void {
    if (this.#state !== 'idle') return;
    this.#setState('queued');
    void this.#drive();
  }

  /**
   * @returns the round that starts after now: its certificate covers everything done before.
   * @throws the error given to {@link RoundScheduler.close} once closed
   */
  nextRound(): Round {
    if (this.#state === 'closed') throw this.#closedBy!;
    this.#next ??= new Round(++this.#roundsMade);
    this.wake();
    return this.#next;
  }

  /** @returns the round executing or being signed, or else the next one: the first certificate to come. */
  freshRound(): Round {
    return this.#inFlight() ?? this.nextRound();
  }

  /**
   * Waits until no round is under way, wanted or due; rejects when a round it waited for failed.
   * Returns at once when closed.
   */
  async whenIdle(): Promise<void> {
    for (;;) {
      if (this.#state === 'closed') return;
      const round = this.#inFlight() ?? this.#next ?? (this.host.hasWork() ? this.nextRound() : undefined);
      if (round === undefined) return;
      try {
        await round.certified;
      } catch (err) {
        if (this.#is('closed')) return;
        throw err;
      }
    }
  }

  /** Stops scheduling and rejects the rounds not certified yet with `reason`. */
  close(reason: Error): void {
    if (this.#state === 'closed') return;
    this.#closedBy = reason;
    this.#setState('closed');
    this.#settlePending(reason);
  }

  /** Rejects the round under way (unless certified) and the next one. */
  #settlePending(err: Error): void {
    this.#current?.settle(err);
    this.#next?.settle(err);
    this.#current = undefined;
    this.#next = undefined;
  }

  #inFlight(): Round | undefined {
    return this.#state === 'executing' || this.#state === 'signing' ? this.#current : undefined;
  }

  async #drive(): Promise<void> {
    do {
      // Calls that arrive until the round may start, and in that turn, join the round.
      const wait = this.#lastStart + this.#minIntervalMs - this.#now();
      if (wait > 0) await this.#sleep(wait);
      await yieldToEventLoop();
      if (this.#is('closed')) return;
      if (this.#next === undefined && !this.host.hasWork()) {
        this.#setState('idle');
        return;
      }
      // A round that leaves the scheduler idle ends this loop, even if a wake() (a caller of the
      // round, resumed before this loop is) has queued another round since: that wake started its own.
    } while (await this.#run());
  }

  /**
   * Runs one round; ends `queued` when another one is due, else `idle` (or `closed`).
   * @returns whether it ended `queued`
   */
  async #run(): Promise<boolean> {
    const round = this.#next ?? new Round(++this.#roundsMade);
    this.#next = undefined;
    this.#current = round;
    this.#lastStart = this.#now();
    round.begin(this.host.roundTimeNs());
    this.#setState('executing');
    try {
      const message = await this.host.execute(round);
      if (this.#is('closed')) return false;
      await this.host.persist?.(round);
      if (this.#is('closed')) return false;
      this.#setState('signing');
      const signature = await this.signer.sign(message);
      if (this.#is('closed')) return false;
      this.host.certify(round, signature);
      this.#setState('settling');
      round.settle();
      await round.everyonePassed;
      if (this.#is('closed')) return false;
    } catch (err) {
      if (this.#is('closed')) return false;
      const error = err instanceof Error ? err : new Error(String(err));
      this.#log(`replica round ${round.number} failed: ${error.stack ?? error.message}`);
      // A signer or an execution that failed once would fail the next round too: stop until woken.
      this.#settlePending(error);
      this.#setState('idle');
      return false;
    }
    this.#current = undefined;
    const again = this.#next !== undefined || this.host.hasWork();
    this.#setState(again ? 'queued' : 'idle');
    return again;
  }

  /** Reads the state anew: TypeScript keeps a field narrowed across `await`, the state does not stay. */
  #is(state: RoundState): boolean {
    return this.#state === state;
  }

  #setState(state: RoundState): void {
    const previous = this.#state;
    if (previous === state || previous === 'closed') return;
    this.#state = state;
    this.#onStateChange(state, previous);
  }
}

/** Lets the event loop handle I/O (queries, new calls) before going on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
