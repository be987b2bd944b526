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
   * in that order. A reconnection starts again from 1.
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

/** A connection ended and a new one (new session) will be opened after `delayMs`. */
export class IcWebSocketReconnectEvent extends Event {
  /**
   * @param attempt - 1 for the first reconnection after a connection ended, 2 for the next, …
   * @param delayMs - how long until the attempt
   * @param code - close code of the connection that ended
   * @param reason - its close reason
   * @param error - why it ended
   */
  constructor(
    readonly attempt: number,
    readonly delayMs: number,
    readonly code: number,
    readonly reason: string,
    readonly error?: IcWebSocketError,
  ) {
    super('reconnecting');
  }
}

/** Event types of an `IcWebSocket` and their event objects. */
export interface IcWebSocketEventMap<M> {
  /** The canister's certified open message arrived: `send` works from here (again after each reconnection). */
  open: Event;
  message: IcWebSocketMessageEvent<M>;
  error: IcWebSocketErrorEvent;
  close: IcWebSocketCloseEvent;
  reconnecting: IcWebSocketReconnectEvent;
}
