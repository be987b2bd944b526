import { Principal } from '@icp-sdk/core/principal';
import { FIRST_CANISTER_SEQUENCE_NUM, INITIAL_CLIENT_SEQUENCE_NUM, type CanisterWsResumeArguments, type FreshSessionReasonKind } from '@icws/protocol';
import type { DurableSessions, LoadedSession } from './durable-sessions';
import { RetainedMessages, type RetainedMessage, type RetentionLimits } from './retained-messages';
import type { UndoLog } from './undo-log';

const NS_PER_MS = 1_000_000n;

/**
 * How many client nonces a session remembers. A client whose resume request was executed but
 * whose answer never reached it (its new gateway failed too) asks again with the older nonce; a
 * few are plenty, and any message from the current nonce forgets the older ones.
 */
const MAX_INCARNATIONS = 8;

/** One client nonce a session was known by, and the sequence number its open message had. @internal */
export interface Incarnation {
  readonly nonce: bigint;
  readonly firstSeq: bigint;
}

/** Where a session's numbering stands while no connection carries it. @internal */
export interface SuspendedSession {
  /** When its connection ended (ns); it is kept for the recovery window from then. */
  readonly sinceNs: bigint;
  lastOutgoingSequenceNum: bigint;
  readonly expectedIncomingSequenceNum: bigint;
}

/** A session its client may resume: its nonces, the messages it sent lately and, when away, its numbering. @internal */
export interface RecoverableSession {
  readonly principal: Principal;
  readonly principalText: string;
  /** Oldest first; the last one is the session's current nonce. */
  incarnations: readonly Incarnation[];
  readonly messages: RetainedMessages;
  /** Whether the current nonce resumed an earlier one: its client may re-send what the canister has. */
  resumed: boolean;
  /** Set while no connection carries the session. */
  suspended: SuspendedSession | undefined;
  /** The numbering of its connection as last noted, which its stable record holds. */
  numbers: Omit<SessionNumbers, 'nonce'>;
}

/** Where a connected session's numbering stands. @internal */
export interface SessionNumbers {
  readonly nonce: bigint;
  readonly lastOutgoingSequenceNum: bigint;
  readonly expectedIncomingSequenceNum: bigint;
}

/** What a resume request gets. @internal */
export type ResumePlan =
  | { readonly kind: 'resume'; readonly missed: RetainedMessage[]; readonly expectedIncomingSequenceNum: bigint }
  | { readonly kind: 'fresh'; readonly reason: FreshSessionReasonKind }
  | { readonly kind: 'refuse'; readonly reason: string };

/**
 * The sessions the canister can give back to clients that reconnect, by principal (a principal has
 * one session, as it has one connection). A session begins with `ws_open`, keeps the application
 * messages sent to it for the recovery window (bounded in count and bytes), survives its connection
 * for that window (suspended), and ends when a new session of its principal begins, when the
 * application or a protocol breach closes it, or when the window passes. Every change records its undo.
 *
 * ```
 *  ws_open ──▶ connected ──connection lost (ws_close, keep-alive timeout, full queue)──▶ suspended
 *                 ▲  │                                                                    │
 *                 │  └────────── resumed through any gateway (new nonce, same numbering) ◀─┤
 *                 └────────────────────────────────────────────────────────────────────────┘
 *  closed by the application or a breach, replaced by a fresh ws_open, window passed ──▶ forgotten
 * ```
 * @internal
 */
export class SessionRecovery {
  readonly #byPrincipal = new Map<string, RecoverableSession>();
  readonly limits: RetentionLimits;
  /** Whether sessions are kept at all (a recovery window above 0). */
  readonly enabled: boolean;
  /** Resume requests answered with the session, and with a fresh one. */
  #resumed = 0;
  #fresh = 0;

  /**
   * @param durable - where sessions are also kept in stable memory, so that they outlive the heap;
   *   without it they live in the heap only
   */
  constructor(
    private readonly undo: UndoLog,
    settings: { recoveryWindowMs: number; maxRecoveryMessages: number; maxRecoveryBytes: number },
    private readonly durable?: DurableSessions,
  ) {
    this.enabled = settings.recoveryWindowMs > 0;
    this.limits = {
      windowNs: BigInt(settings.recoveryWindowMs) * NS_PER_MS,
      maxMessages: settings.maxRecoveryMessages,
      maxBytes: settings.maxRecoveryBytes,
    };
  }

  /** How many resume requests got their session back, and how many a fresh one. */
  get totals(): { resumed: number; fresh: number } {
    return { resumed: this.#resumed, fresh: this.#fresh };
  }

  /** The kept sessions. */
  values(): IterableIterator<RecoverableSession> {
    return this.#byPrincipal.values();
  }

  /** @returns the session of `principalText` if no connection carries it and its window has not passed. */
  suspended(principalText: string, nowNs: bigint): RecoverableSession | undefined {
    const session = this.#byPrincipal.get(principalText);
    return session?.suspended !== undefined && !this.#expired(session.suspended, nowNs) ? session : undefined;
  }

  /** Begins `principal`'s session with the connection of `nonce`, forgetting any earlier one. */
  begin(principal: Principal, principalText: string, nonce: bigint): void {
    if (!this.enabled) return;
    this.durable?.forget(principalText);
    const session: RecoverableSession = {
      principal,
      principalText,
      incarnations: [{ nonce, firstSeq: FIRST_CANISTER_SEQUENCE_NUM }],
      messages: new RetainedMessages(this.undo, FIRST_CANISTER_SEQUENCE_NUM, this.durable?.journal(principalText)),
      resumed: false,
      suspended: undefined,
      numbers: { lastOutgoingSequenceNum: FIRST_CANISTER_SEQUENCE_NUM - 1n, expectedIncomingSequenceNum: INITIAL_CLIENT_SEQUENCE_NUM },
    };
    this.#put(principalText, session);
    this.#save(session);
  }

  /** Keeps the application message numbered `seq` of `principalText`'s session. */
  retain(principalText: string, seq: bigint, content: Uint8Array, nowNs: bigint): void {
    const session = this.#byPrincipal.get(principalText);
    if (session === undefined) return;
    // A message too large to keep moves where the kept ones start: the record says so.
    if (!session.messages.retain({ seq, content, timestampNs: nowNs }, this.limits, nowNs)) this.#note(session, { ...session.numbers, lastOutgoingSequenceNum: seq });
  }

  /**
   * Notes that the client of `principalText` spoke with its current nonce (so it knows it: older
   * nonces are forgotten) and, for a keep-alive, that it received every message up to `received`.
   * @param numbers - its connection's numbering after the message, for the stable record
   */
  confirm(principalText: string, numbers: Omit<SessionNumbers, 'nonce'>, received?: bigint): void {
    const session = this.#byPrincipal.get(principalText);
    if (session === undefined) return;
    if (session.incarnations.length > 1) this.#set(session, 'incarnations', session.incarnations.slice(-1));
    if (received !== undefined) session.messages.confirm(received);
    this.#note(session, numbers);
  }

  /** Notes the numbering of `principalText`'s connection after a service message (open, ack, close) was queued. */
  noteSent(principalText: string, numbers: Omit<SessionNumbers, 'nonce'>): void {
    const session = this.#byPrincipal.get(principalText);
    if (session !== undefined && session.suspended === undefined) this.#note(session, numbers);
  }

  /**
   * Takes back the sessions stable memory holds, after the heap was lost (a replica restart, an
   * upgrade): no connection carries any of them any more, so each is suspended from `nowNs`
   * unless it was already, and its client may resume it within the recovery window. Sessions
   * whose window has passed are forgotten. Call it once, from the canister's factory.
   */
  restore(nowNs: bigint): void {
    if (this.durable === undefined || !this.enabled) return;
    for (const loaded of this.durable.load()) this.#restoreOne(loaded, nowNs);
    this.sweep(nowNs);
  }

  /** @returns whether the client of `principalText` resumed its session, so may re-send messages the canister has. */
  isResumed(principalText: string): boolean {
    return this.#byPrincipal.get(principalText)?.resumed === true;
  }

  /** Keeps `principalText`'s session for the recovery window: its connection ended at `sinceNs`. */
  suspend(principalText: string, numbers: Omit<SuspendedSession, 'sinceNs'>, sinceNs: bigint): void {
    const session = this.#byPrincipal.get(principalText);
    if (session === undefined) return;
    this.#set(session, 'suspended', { ...numbers, sinceNs });
    this.#save(session);
  }

  /** Forgets `principalText`'s session. */
  discard(principalText: string): void {
    const session = this.#byPrincipal.get(principalText);
    if (session === undefined) return;
    this.#byPrincipal.delete(principalText);
    this.undo.record(() => this.#byPrincipal.set(principalText, session));
    this.durable?.forget(principalText);
  }

  /** Keeps an application message for a suspended `session`, numbered as if it had been sent. */
  keepForSuspended(session: RecoverableSession, content: Uint8Array, nowNs: bigint): void {
    const suspended = session.suspended!;
    const previous = suspended.lastOutgoingSequenceNum;
    suspended.lastOutgoingSequenceNum = previous + 1n;
    this.undo.record(() => (suspended.lastOutgoingSequenceNum = previous));
    // A kept message's entry carries its number; one too large to keep goes in the record.
    if (!session.messages.retain({ seq: previous + 1n, content, timestampNs: nowNs }, this.limits, nowNs)) this.#save(session);
  }

  /**
   * Decides what `request`, made by the principal of `principalText`, gets; changes nothing.
   * @param connected - the numbering of the principal's connection, if one is registered
   */
  plan(principalText: string, request: CanisterWsResumeArguments, connected: SessionNumbers | undefined, nowNs: bigint): ResumePlan {
    if (!this.enabled) return { kind: 'fresh', reason: 'ResumeDisabled' };
    const session = this.#byPrincipal.get(principalText);
    const numbers = connected ?? session?.suspended;
    if (session === undefined || numbers === undefined) return { kind: 'fresh', reason: 'UnknownSession' };
    if (session.suspended !== undefined && this.#expired(session.suspended, nowNs)) return { kind: 'fresh', reason: 'UnknownSession' };
    const { incarnations } = session;
    if (connected !== undefined && incarnations[incarnations.length - 1]!.nonce !== connected.nonce) return { kind: 'fresh', reason: 'UnknownSession' };
    const asked = request.client_key.client_nonce;
    const index = incarnations.findIndex((incarnation) => incarnation.nonce === asked);
    if (index < 0) return { kind: 'fresh', reason: 'UnknownSession' };
    const received = request.last_incoming_sequence_num;
    // The session's later nonces began where the client stood when it asked before: it cannot
    // have received anything from this one beyond that.
    const end = index + 1 < incarnations.length ? incarnations[index + 1]!.firstSeq - 1n : numbers.lastOutgoingSequenceNum;
    if (received > end) {
      return { kind: 'refuse', reason: `it claims to have received message ${received}, but the session sent it only ${end} under nonce ${asked}` };
    }
    if (received + 1n < session.messages.keptFrom) return { kind: 'fresh', reason: 'MessagesDropped' };
    return { kind: 'resume', missed: session.messages.after(received), expectedIncomingSequenceNum: numbers.expectedIncomingSequenceNum };
  }

  /**
   * Gives `principalText`'s session to the connection of `nonce`, whose open message is numbered
   * `received + 1`: what the client had is dropped, and the messages it missed are kept again as
   * the caller queues them anew.
   */
  resume(principalText: string, nonce: bigint, received: bigint): void {
    const session = this.#byPrincipal.get(principalText)!;
    this.#set(session, 'incarnations', [...session.incarnations, { nonce, firstSeq: received + 1n }].slice(-MAX_INCARNATIONS));
    this.#set(session, 'resumed', true);
    this.#set(session, 'suspended', undefined);
    session.messages.restart(received + 1n);
    this.#count('resumed');
  }

  /** Counts a resume request answered with a fresh session. */
  countFresh(): void {
    this.#count('fresh');
  }

  /** Forgets the suspended sessions whose recovery window has passed. O(sessions). */
  sweep(nowNs: bigint): void {
    for (const session of [...this.#byPrincipal.values()]) {
      if (session.suspended !== undefined && this.#expired(session.suspended, nowNs)) this.discard(session.principalText);
    }
  }

  #restoreOne(loaded: LoadedSession, nowNs: bigint): void {
    const last = loaded.messages.at(-1);
    const keptFrom = loaded.messagesKeptFrom > loaded.keptFrom ? loaded.messagesKeptFrom : loaded.keptFrom;
    // Application messages after the record's last write are numbered in their own entries.
    let lastOutgoingSequenceNum = loaded.lastOutgoingSequenceNum;
    if (last !== undefined && last.seq > lastOutgoingSequenceNum) lastOutgoingSequenceNum = last.seq;
    if (keptFrom - 1n > lastOutgoingSequenceNum) lastOutgoingSequenceNum = keptFrom - 1n;
    const messages = new RetainedMessages(this.undo, keptFrom, this.durable!.journal(loaded.principalText));
    messages.load(loaded.messages, keptFrom);
    const numbers = { lastOutgoingSequenceNum, expectedIncomingSequenceNum: loaded.expectedIncomingSequenceNum };
    const session: RecoverableSession = {
      principal: Principal.fromText(loaded.principalText),
      principalText: loaded.principalText,
      incarnations: loaded.incarnations,
      messages,
      resumed: loaded.resumed,
      suspended: { ...numbers, sinceNs: loaded.suspendedSinceNs ?? nowNs },
      numbers,
    };
    this.#put(loaded.principalText, session);
    // Its connection was lost at the restart: a later restart must not move the window on.
    if (loaded.suspendedSinceNs === undefined) this.#save(session);
  }

  /** Records `numbers` as `session`'s connection's, and writes its record. */
  #note(session: RecoverableSession, numbers: Omit<SessionNumbers, 'nonce'>): void {
    if (this.durable === undefined) return;
    this.#set(session, 'numbers', { lastOutgoingSequenceNum: numbers.lastOutgoingSequenceNum, expectedIncomingSequenceNum: numbers.expectedIncomingSequenceNum });
    this.#save(session);
  }

  /** Writes `session`'s record to stable memory, when sessions are kept there. */
  #save(session: RecoverableSession): void {
    if (this.durable === undefined) return;
    const numbers = session.suspended ?? session.numbers;
    this.durable.save({
      principalText: session.principalText,
      incarnations: session.incarnations,
      resumed: session.resumed,
      lastOutgoingSequenceNum: numbers.lastOutgoingSequenceNum,
      expectedIncomingSequenceNum: numbers.expectedIncomingSequenceNum,
      keptFrom: session.messages.keptFrom,
      suspendedSinceNs: session.suspended?.sinceNs,
    });
  }

  #expired(suspended: SuspendedSession, nowNs: bigint): boolean {
    return nowNs - suspended.sinceNs > this.limits.windowNs;
  }

  #put(principalText: string, session: RecoverableSession): void {
    const previous = this.#byPrincipal.get(principalText);
    this.#byPrincipal.set(principalText, session);
    this.undo.record(() => (previous === undefined ? this.#byPrincipal.delete(principalText) : this.#byPrincipal.set(principalText, previous)));
  }

  #set<K extends 'incarnations' | 'resumed' | 'suspended' | 'numbers'>(session: RecoverableSession, field: K, value: RecoverableSession[K]): void {
    const previous = session[field];
    session[field] = value;
    this.undo.record(() => (session[field] = previous));
  }

  #count(which: 'resumed' | 'fresh'): void {
    if (which === 'resumed') this.#resumed++;
    else this.#fresh++;
    this.undo.record(() => (which === 'resumed' ? this.#resumed-- : this.#fresh--));
  }
}
