/**
 * `IcWebSocket`: a WebSocket-like object that talks to a canister through an untrusted gateway.
 * Shaped like the upstream `ic-websocket-js` client (constructor, config, `send`, `close`,
 * `readyState`, `on*` handlers), so its users can switch; beyond it, `opened`, an async iterator of
 * messages, several gateways, and optional reconnection with backoff that resumes the session.
 * The protocol itself lives in `session.ts`; what outlives a session in `continuity.ts`.
 */
import type { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import { backoff, overloadBackoff } from './backoff';
import { CloseCode } from './codes';
import { EnvelopeSigner, type SigningIdentity } from './envelope';
import { gatewayUrls, resolveConfig, type ApplicationMessageOf, type IcWebSocketConfig, type ReconnectOptions, type WsCanisterService } from './config';
import { SessionContinuity } from './continuity';
import { describeError, IcWebSocketError, IcWebSocketErrorCode as Code } from './errors';
import {
  IcWebSocketCloseEvent,
  IcWebSocketErrorEvent,
  IcWebSocketMessageEvent,
  IcWebSocketNewSessionEvent,
  IcWebSocketReconnectEvent,
  IcWebSocketResumedEvent,
  type IcWebSocketEventMap,
  type ReceivedMessageDetails,
} from './events';
import { MessageVerifier } from './certification';
import { messageCodecOf, type MessageCodec } from './message-codec';
import { MessageStream } from './message-stream';
import { rootKeyProvider } from './root-key';
import { Session, type OpenOutcome, type SessionEnd, type SocketConstructor } from './session';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

type Handler<E, T> = ((this: T, event: E) => unknown) | null;

/**
 * A WebSocket to a canister through an IC WebSocket gateway. Every message it sends is a signed
 * envelope; every message it delivers is certified by the canister and in sequence.
 *
 * `readyState` is `CONNECTING` until the canister's certified open message arrives (and again
 * while reconnecting), `OPEN` while messages flow, `CLOSED` once closed for good.
 *
 * ```
 *  session ──open──▶ OPEN ──session ends──▶ close() called, a final end (refusal.ts),
 *     ▲                                      no reconnect option or attempts used up?
 *     │                                        ├─ yes ──▶ CLOSED ('close', once)
 *     └──── backoff delay ◀── 'reconnecting' ◀─┘ no      (send() meanwhile: queued)
 *           next gateway;        then 'resumed' or 'newsession', then 'open'
 * ```
 */
export class IcWebSocket<S extends WsCanisterService = WsCanisterService, M = ApplicationMessageOf<S>> {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;

  /** The canister this socket talks to. */
  readonly canisterId: Principal;
  readonly #urls: readonly string[];
  #urlIndex = 0;
  readonly #protocols: string | string[] | undefined;
  readonly #messageType: IDL.Type;
  readonly #codec: MessageCodec;
  readonly #signer: EnvelopeSigner;
  readonly #verifier: MessageVerifier;
  readonly #WebSocket: SocketConstructor;
  readonly #ackTimeoutMs: number;
  readonly #silenceTimeoutMs: number;
  readonly #maxMessageBytes: number;
  readonly #openTimeoutMs: number;
  readonly #reconnect: Required<ReconnectOptions> | undefined;
  readonly #continuity: SessionContinuity;
  readonly #events = new EventTarget();
  readonly #handlers = new Map<string, EventListener>();
  readonly #streams = new Set<MessageStream<M>>();
  #openWaiters: Array<{ resolve(): void; reject(err: unknown): void }> = [];
  #session: Session | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  /** Overload closes in a row; see {@link ReconnectOptions.overloadDelayMs}. */
  #overloadStreak = 0;
  #openedAt = 0;
  #everOpened = false;
  #closeRequested = false;
  #closed: IcWebSocketCloseEvent | undefined;

  /**
   * Connects at once: the socket opens, the gateway's handshake is answered with a signed
   * `ws_open`, and the socket is open when the canister's certified open message arrives.
   * @param urlOrUrls - the gateway, e.g. `wss://gateway.example.org`, or several gateways of the
   *   canister: the first is used first, and each reconnection attempt moves to the next
   * @param protocols - WebSocket subprotocols, as for `new WebSocket`
   * @param config - see {@link IcWebSocketConfig}
   * @throws {IcWebSocketError} `ICWS_ERR_INVALID_CONFIG` naming what is missing or wrong
   */
  constructor(urlOrUrls: string | URL | ReadonlyArray<string | URL>, protocols: string | string[] | undefined, config: IcWebSocketConfig<S>) {
    const resolved = resolveConfig(config);
    this.canisterId = resolved.canisterId;
    this.#messageType = resolved.messageType;
    this.#codec = messageCodecOf(resolved.messageType);
    this.#urls = gatewayUrls(urlOrUrls);
    this.#protocols = protocols;
    this.#WebSocket = resolved.WebSocket;
    this.#ackTimeoutMs = resolved.ackTimeoutMs;
    this.#silenceTimeoutMs = resolved.silenceTimeoutMs;
    this.#maxMessageBytes = resolved.maxMessageBytes;
    this.#openTimeoutMs = resolved.openTimeoutMs;
    this.#reconnect = resolved.reconnect;
    this.#continuity = new SessionContinuity({
      resume: resolved.reconnect?.resume ?? false,
      maxQueuedMessages: resolved.reconnect?.maxQueuedMessages ?? 0,
      maxQueuedBytes: resolved.reconnect?.maxQueuedBytes ?? 0,
      flushBurst: resolved.reconnect?.flushBurst ?? 1,
      flushRate: resolved.reconnect?.flushRate ?? Infinity,
    });
    this.#signer = new EnvelopeSigner(resolved.identity as SigningIdentity, this.canisterId);
    this.#verifier = new MessageVerifier({
      canisterId: this.canisterId,
      rootKey: rootKeyProvider(resolved.networkUrl, resolved.fetch, resolved.rootKey),
      maxCertificateAgeInMinutes: resolved.maxCertificateAgeInMinutes,
      blsVerifier: resolved.blsVerifier,
    });
    this.#connect();
  }

  /** `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3); see the class comment. */
  get readyState(): number {
    if (this.#closed !== undefined) return CLOSED;
    switch (this.#session?.state) {
      case 'open':
        return OPEN;
      case 'closing':
      case 'closed':
        // a failing connection is CONNECTING again if another will follow
        return this.#closeRequested || this.#reconnect === undefined ? CLOSING : CONNECTING;
      default:
        return CONNECTING;
    }
  }

  /** Resolves when the connection is open (at once if it is); rejects if it closes for good first. */
  get opened(): Promise<void> {
    if (this.readyState === OPEN) return Promise.resolve();
    if (this.#closed !== undefined) return Promise.reject(this.#closed.error ?? closedBeforeOpen());
    return new Promise((resolve, reject) => this.#openWaiters.push({ resolve, reject }));
  }

  /** The gateway the current (or next) connection goes through. */
  get url(): string {
    return this.#urls[this.#urlIndex]!;
  }

  /** @returns the client's principal (the identity's). */
  getPrincipal(): Principal {
    return this.#signer.principal;
  }

  /** @returns whether the canister's open message arrived and the connection has not ended since. */
  isConnectionEstablished(): boolean {
    return this.readyState === OPEN;
  }

  /**
   * Sends `message`, encoded with the canister's Candid message type, as a signed `ws_message`.
   * While reconnecting (with `reconnect`, after the first open), the message waits in a bounded
   * queue and goes out once the next connection opens; after a resume it reaches the canister
   * exactly once. What a reconnection carries over goes out paced (`reconnect.flushBurst`,
   * `flushRate`); until it has, messages sent queue behind it, within the same bounds.
   * @throws {IcWebSocketError} `ICWS_ERR_NOT_OPEN` before the first open and once closed;
   *   `ICWS_ERR_SEND_QUEUE_FULL` while reconnecting (or flushing after it) with the queue full; `ICWS_ERR_INVALID_MESSAGE`
   *   if `message` does not fit the Candid type; `ICWS_ERR_MESSAGE_TOO_LARGE` if it encodes to more
   *   than `maxMessageBytes` (nothing is sent, the connection stays open)
   */
  send(message: M): void {
    let bytes: Uint8Array;
    try {
      // this package's IDL, the one the message type was built with (see serviceOf)
      bytes = this.#codec.encode(message);
    } catch (cause) {
      throw new IcWebSocketError(Code.INVALID_MESSAGE, `the message does not fit the canister's message type ${this.#messageType.display()}: ${describeError(cause)}`, {
        cause,
      });
    }
    if (bytes.length > this.#maxMessageBytes) {
      throw new IcWebSocketError(
        Code.MESSAGE_TOO_LARGE,
        `the message is ${bytes.length} bytes of Candid, over the limit of ${this.#maxMessageBytes} bytes (config maxMessageBytes; gateways refuse frames over 2 MiB by default, envelope included): not sent`,
      );
    }
    const session = this.#session;
    // Behind the messages a reconnection carried over, while they go out paced.
    if (session !== undefined && session.state === 'open') return this.#continuity.waiting > 0 ? this.#continuity.hold(bytes) : session.send(bytes);
    if (this.#everOpened && this.readyState === CONNECTING) return this.#continuity.hold(bytes);
    throw new IcWebSocketError(Code.NOT_OPEN, `cannot send: the connection is not open (readyState ${this.readyState}); await ws.opened first`);
  }

  /**
   * Closes the connection for good (no reconnection); `close` fires once the closing handshake is done.
   * @param code - close code sent to the gateway @default 1000
   * @param reason - close reason @default ''
   */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.#closeRequested || this.#closed !== undefined) return;
    this.#closeRequested = true;
    if (this.#session !== undefined && this.#session.state !== 'closed') return this.#session.close(code, reason);
    clearTimeout(this.#reconnectTimer);
    this.#finalize({ code, reason, wasClean: true, final: true });
  }

  /** Iterates over the messages received from now on; ends when the socket closes, throws if it closed with an error. */
  [Symbol.asyncIterator](): AsyncIterableIterator<M> {
    const stream: MessageStream<M> = new MessageStream<M>(() => this.#streams.delete(stream));
    if (this.#closed !== undefined) stream.end(this.#closed.error);
    else this.#streams.add(stream);
    return stream;
  }

  // ---- events ----

  /** Adds a listener, as `EventTarget.addEventListener` does. */
  addEventListener<K extends keyof IcWebSocketEventMap<M>>(
    type: K,
    listener: (this: IcWebSocket<S, M>, event: IcWebSocketEventMap<M>[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void {
    this.#events.addEventListener(type, listener as unknown as EventListener, options);
  }

  /** Removes a listener added with {@link addEventListener}. */
  removeEventListener<K extends keyof IcWebSocketEventMap<M>>(
    type: K,
    listener: (this: IcWebSocket<S, M>, event: IcWebSocketEventMap<M>[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void {
    this.#events.removeEventListener(type, listener as unknown as EventListener, options);
  }

  /** Called when a reconnection resumed the session, before its `open`. */
  get onresumed(): Handler<IcWebSocketResumedEvent, this> {
    return this.#handler('resumed');
  }
  set onresumed(handler: Handler<IcWebSocketResumedEvent, this>) {
    this.#setHandler('resumed', handler);
  }
  /** Called when a reconnection could not resume the session and began a new one, before its `open`. */
  get onnewsession(): Handler<IcWebSocketNewSessionEvent, this> {
    return this.#handler('newsession');
  }
  set onnewsession(handler: Handler<IcWebSocketNewSessionEvent, this>) {
    this.#setHandler('newsession', handler);
  }
  /** Called when a connection ended and another will be attempted. */
  get onreconnecting(): Handler<IcWebSocketReconnectEvent, this> {
    return this.#handler('reconnecting');
  }
  set onreconnecting(handler: Handler<IcWebSocketReconnectEvent, this>) {
    this.#setHandler('reconnecting', handler);
  }
  /** Called when the connection opens (each time, with reconnection). */
  get onopen(): Handler<Event, this> {
    return this.#handler('open');
  }
  set onopen(handler: Handler<Event, this>) {
    this.#setHandler('open', handler);
  }
  /** Called with each certified application message. */
  get onmessage(): Handler<IcWebSocketMessageEvent<M>, this> {
    return this.#handler('message');
  }
  set onmessage(handler: Handler<IcWebSocketMessageEvent<M>, this>) {
    this.#setHandler('message', handler);
  }
  /** Called when a connection fails; `close` or `reconnecting` follows. */
  get onerror(): Handler<IcWebSocketErrorEvent, this> {
    return this.#handler('error');
  }
  set onerror(handler: Handler<IcWebSocketErrorEvent, this>) {
    this.#setHandler('error', handler);
  }
  /** Called once, when the socket is closed for good. */
  get onclose(): Handler<IcWebSocketCloseEvent, this> {
    return this.#handler('close');
  }
  set onclose(handler: Handler<IcWebSocketCloseEvent, this>) {
    this.#setHandler('close', handler);
  }

  #handler<E>(type: string): Handler<E, this> {
    const listener = this.#handlers.get(type) as unknown as { handler?: unknown } | undefined;
    return (listener?.handler ?? null) as Handler<E, this>;
  }

  #setHandler<E>(type: string, handler: Handler<E, this>): void {
    const previous = this.#handlers.get(type);
    if (previous !== undefined) this.#events.removeEventListener(type, previous);
    this.#handlers.delete(type);
    if (typeof handler !== 'function') return;
    const listener = Object.assign((event: Event) => handler.call(this, event as E), { handler });
    this.#handlers.set(type, listener);
    this.#events.addEventListener(type, listener);
  }

  #emit(event: Event): void {
    this.#events.dispatchEvent(event);
  }

  // ---- sessions ----

  #connect(): void {
    const session: Session = new Session({
      url: this.url,
      protocols: this.#protocols,
      WebSocket: this.#WebSocket,
      signer: this.#signer,
      verifier: this.#verifier,
      clientNonce: randomU64(),
      resume: this.#continuity.resumeRequest,
      sent: this.#continuity.sent,
      openTimeoutMs: this.#openTimeoutMs,
      ackTimeoutMs: this.#ackTimeoutMs,
      silenceTimeoutMs: this.#silenceTimeoutMs,
      onOpen: (outcome) => this.#onOpen(session, outcome),
      onMessage: (content, details) => this.#onMessage(session, content, details),
      onCaughtUp: () => this.#continuity.caughtUp(session),
      onEnd: (end) => this.#onEnd(session, end),
    });
    this.#session = session;
  }

  #onOpen(session: Session, outcome: OpenOutcome): void {
    if (session !== this.#session) return;
    this.#attempt = 0;
    this.#openedAt = Date.now();
    this.#everOpened = true;
    const carried = this.#continuity.opened(session, outcome);
    for (const waiter of this.#openWaiters.splice(0)) waiter.resolve();
    if (carried.kind === 'resumed') this.#emit(new IcWebSocketResumedEvent(carried.recovered, carried.resent, carried.lost, this.url));
    if (carried.kind === 'fresh') this.#emit(new IcWebSocketNewSessionEvent(carried.reason, carried.unconfirmed, this.url));
    this.#emit(new Event('open'));
  }

  #onMessage(session: Session, content: Uint8Array, details: ReceivedMessageDetails): void {
    if (session !== this.#session) return;
    let message: M;
    try {
      message = this.#codec.decode(content) as M;
    } catch (cause) {
      return session.fail(
        new IcWebSocketError(Code.BAD_APP_MESSAGE, `the canister sent a message that is not of its message type ${this.#messageType.display()}: ${describeError(cause)}`, {
          cause,
        }),
      );
    }
    for (const stream of this.#streams) stream.push(message);
    this.#emit(new IcWebSocketMessageEvent(message, details));
  }

  #onEnd(session: Session, end: SessionEnd): void {
    if (session !== this.#session) return;
    this.#continuity.ended(session);
    if (end.error !== undefined) this.#emit(new IcWebSocketErrorEvent(end.error));
    const options = this.#reconnect;
    if (this.#closeRequested || options === undefined || end.final || this.#attempt >= options.maxAttempts) {
      return this.#finalize(end);
    }
    const overloaded = end.overloaded === true;
    // A connection that stayed open a while outlived the overload; one that ended otherwise was not shed.
    if (session.opened && (!overloaded || Date.now() - this.#openedAt >= OVERLOAD_STREAK_RESET_MS)) this.#overloadStreak = 0;
    if (overloaded) this.#overloadStreak++;
    const delayMs = overloaded
      ? overloadBackoff(this.#overloadStreak, options.overloadDelayMs, options.overloadMaxDelayMs)
      : backoff(this.#attempt, options.minDelayMs, options.maxDelayMs);
    this.#attempt++;
    // The gateway that dropped the connection may be down: the next attempt tries the next one.
    this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (!this.#closeRequested) this.#connect();
    }, delayMs);
    this.#emit(new IcWebSocketReconnectEvent(this.#attempt, delayMs, end.code, end.reason, end.error, this.url, overloaded));
  }

  #finalize(end: SessionEnd): void {
    if (this.#closed !== undefined) return;
    const event = new IcWebSocketCloseEvent(end.code, end.reason, end.wasClean, end.error);
    this.#closed = event;
    const error = end.error ?? closedBeforeOpen();
    for (const waiter of this.#openWaiters.splice(0)) waiter.reject(error);
    for (const stream of [...this.#streams]) stream.end(end.error);
    this.#emit(event);
  }
}

/** How long a connection stays open before the count of overload closes in a row restarts. */
const OVERLOAD_STREAK_RESET_MS = 60_000;

function closedBeforeOpen(): IcWebSocketError {
  return new IcWebSocketError(Code.CLOSED_BEFORE_OPEN, 'the connection is closed and will not open');
}

function randomU64(): bigint {
  return globalThis.crypto.getRandomValues(new BigUint64Array(1))[0]!;
}
