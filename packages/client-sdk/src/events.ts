/**
 * Events of an `IcWebSocket`. They extend the platform's `Event` (Node ≥ 20 and browsers have it)
 * and carry the fields their DOM namesakes have (`data`, `error`/`message`, `code`/`reason`/`wasClean`),
 * so handlers written for `WebSocket` or the upstream `ic-websocket-js` read them unchanged.
 */
import type { IcWebSocketError } from './errors';

/** What is known of a received application message besides its content. */
export interface ReceivedMessageDetails {
  /**
   * Its sequence number in the connection: the canister numbers its messages to each connection
   * 1, 2, 3, … (1 is its open message, and acks take numbers too), and the SDK delivers them only
   * in that order. A resumed session goes on numbering; a new session starts again from 1.
   */
  sequenceNum: bigint;
  /** When the replica signed the certificate that covers it, in ms since the epoch. */
  certificateTimeMs: number;
}

/** A certified application message from the canister, decoded with its Candid type. */
export class IcWebSocketMessageEvent<M> extends Event {
  /** See {@link ReceivedMessageDetails.sequenceNum}. */
  readonly sequenceNum: bigint;
  /** See {@link ReceivedMessageDetails.certificateTimeMs}. */
  readonly certificateTimeMs: number;

  /**
   * @param data - the decoded message
   * @param details - its sequence number and its certificate's time
   */
  constructor(
    readonly data: M,
    details: ReceivedMessageDetails,
  ) {
    super('message');
    this.sequenceNum = details.sequenceNum;
    this.certificateTimeMs = details.certificateTimeMs;
  }
}

/** Why a connection failed. Followed by `close`, or by `reconnecting` when it will be reopened. */
export class IcWebSocketErrorEvent extends Event {
  /** The same as `error.message`. */
  readonly message: string;
  /** @param error - what happened */
  constructor(readonly error: IcWebSocketError) {
    super('error');
    this.message = error.message;
  }
}

/** The socket closed for good: no reconnection follows. */
export class IcWebSocketCloseEvent extends Event {
  /**
   * @param code - the close code (see `CloseCode`)
   * @param reason - the close reason
   * @param wasClean - whether the closing handshake completed
   * @param error - why, unless the application or the canister closed normally
   */
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly wasClean: boolean,
    readonly error?: IcWebSocketError,
  ) {
    super('close');
  }
}

/**
 * A connection ended and a new one will be opened after `delayMs`, through `url` (the next gateway
 * of the list); it asks to resume the session unless `reconnect.resume` is false. When the gateway
 * shed the connection as overloaded, `overloaded` is true and the delay is the overload backoff
 * (`reconnect.overloadDelayMs`): an app can show "busy, reconnecting in …".
 */
export class IcWebSocketReconnectEvent extends Event {
  /**
   * @param attempt - 1 for the first reconnection after a connection ended, 2 for the next, …
   * @param delayMs - how long until the attempt
   * @param code - close code of the connection that ended
   * @param reason - its close reason
   * @param error - why it ended
   * @param url - the gateway the attempt connects to
   * @param overloaded - whether the gateway shed the connection as overloaded: `delayMs` is the
   *   longer overload backoff, and `reason` says why (e.g. `ICWS_ERR_OVERLOADED: …`)
   */
  constructor(
    readonly attempt: number,
    readonly delayMs: number,
    readonly code: number,
    readonly reason: string,
    readonly error?: IcWebSocketError,
    readonly url: string = '',
    readonly overloaded: boolean = false,
  ) {
    super('reconnecting');
  }
}

/**
 * A reconnection got the session back: the `recovered` messages the client missed follow as
 * `message` events, in order, and the messages sent while away went out again — exactly once.
 * Fired just before `open`.
 */
export class IcWebSocketResumedEvent extends Event {
  /**
   * @param recovered - how many messages the canister had kept for the client and now sends again
   * @param resent - how many of the client's messages went out again (unacknowledged or queued while reconnecting)
   * @param lost - the client's messages the canister never received that were no longer kept to re-send
   *   (over `reconnect.maxQueuedMessages`/`maxQueuedBytes`); 0 unless those limits were reached
   * @param url - the gateway it is connected through now
   */
  constructor(
    readonly recovered: number,
    readonly resent: number,
    readonly lost: number,
    readonly url: string,
  ) {
    super('resumed');
  }
}

/** Why a reconnection began a new session rather than resuming the old one. */
export type NewSessionReason =
  /** The canister keeps no such session: its recovery window passed, it closed it, or it restarted. */
  | 'UnknownSession'
  /** The canister no longer kept every message the client missed (its recovery limits). */
  | 'MessagesDropped'
  /** The canister keeps no sessions to resume (its recovery window is 0). */
  | 'ResumeDisabled'
  /** The canister does not know resumes (e.g. an upstream CDK). */
  | 'NotSupported';

/**
 * A reconnection asked to resume the session and got a new one instead: messages sent to the old
 * session after the connection was lost are not delivered, and `unconfirmed` messages the client
 * had sent may or may not have reached the canister (they are not re-sent). Messages queued while
 * reconnecting do go out, on the new session. Fired just before `open`.
 */
export class IcWebSocketNewSessionEvent extends Event {
  /** Why the session could not be resumed, in words. */
  readonly message: string;

  /**
   * @param reason - why the session could not be resumed
   * @param unconfirmed - the client's messages whose delivery is unknown
   * @param url - the gateway it is connected through now
   */
  constructor(
    readonly reason: NewSessionReason,
    readonly unconfirmed: number,
    readonly url: string,
  ) {
    super('newsession');
    this.message = NEW_SESSION_MESSAGES[reason];
  }
}

const NEW_SESSION_MESSAGES: Record<NewSessionReason, string> = {
  UnknownSession: 'the canister no longer keeps the session (its recovery window passed, it closed the session, or it restarted): a new session began',
  MessagesDropped: 'the canister no longer keeps every message the client missed (its recovery limits): a new session began',
  ResumeDisabled: 'the canister keeps no sessions to resume (its recovery window is 0): a new session began',
  NotSupported: 'the canister does not support resuming sessions: a new session began',
};

/** Event types of an `IcWebSocket` and their event objects. */
export interface IcWebSocketEventMap<M> {
  /** The canister's certified open message arrived: `send` works from here (again after each reconnection). */
  open: Event;
  message: IcWebSocketMessageEvent<M>;
  error: IcWebSocketErrorEvent;
  close: IcWebSocketCloseEvent;
  reconnecting: IcWebSocketReconnectEvent;
  /** A reconnection resumed the session (before its `open`). */
  resumed: IcWebSocketResumedEvent;
  /** A reconnection could not resume the session and began a new one (before its `open`). */
  newsession: IcWebSocketNewSessionEvent;
}
