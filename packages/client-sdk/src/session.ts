/**
 * One connection to a canister through a gateway, from socket creation to close. An `IcWebSocket`
 * runs one session at a time and a new one for each reconnection (new socket, new client nonce).
 * A session may ask, in its signed `ws_open`, to resume an earlier one: the canister's certified
 * open message then says whether it did — and the numbering of both directions goes on from where
 * the client and the canister stood — or gave a fresh session, numbered from 1. The session trusts
 * nothing the gateway says until it is verified.
 *
 * ```
 *  connecting ──socket open──▶ handshaking ──gateway handshake; signed ws_open sent──▶ opening
 *      │                            │                                                    │
 *      │                            │                         certified OpenMessage (seq 1) for our client key
 *      │                            │                                                    ▼
 *      │                            │                                                  open ◀─┐ certified messages in
 *      │                            │                                                    │    │ sequence; acks answered
 *      │                            │                                                    │    │ with keep-alives
 *      ▼                            ▼                                                    ▼ ───┘
 *  ─────────── close(), any error, open/ack/silence timeout, CloseMessage ──▶ closing ──socket closed (or grace period)──▶ closed
 *  ─────────── socket closed by the gateway or the network ─────────────────────────────────────────────────────────────▶ closed
 * ```
 *
 * Two clocks watch an open connection. The ack timer runs while a sent message is unacknowledged
 * (the gateway drops the client's messages). The silence timer runs always: the canister acks every
 * client each ack interval, so from the open message on, some certified message must arrive within
 * `silenceTimeoutMs` of the last one, or the gateway withholds them, the replica is down, or the
 * canister dropped this connection (e.g. replaced by a newer one of the same identity).
 *
 * Every way out goes through `#end` (teardown) and then `#finish`, which reports once, saying
 * whether a new connection would be refused the same way (`refusal.ts`). Socket events and async
 * work that complete after the state moved on are ignored.
 */
import type { Principal } from '@icp-sdk/core/principal';
import {
  clientKeyText,
  closeReasonKind,
  decodeCanisterToClientMessage,
  decodeGatewayHandshake,
  decodeServiceMessage,
  decodeWebsocketMessage,
  encodeServiceMessage,
  freshSessionReasonKind,
  encodeWsMessageArgs,
  encodeWsOpenArgs,
  keepAliveMessage,
  WS_MESSAGE_METHOD,
  WS_OPEN_METHOD,
  type CanisterOpenMessageContent,
  type CanisterToClientMessage,
  type ClientKey,
  type FreshSessionReasonKind,
  type WebsocketMessage,
  type WebsocketServiceMessageContent,
} from '@icws/protocol';
import { closeCodeOfError, closeReason, CloseCode } from './codes';
import { describeError, IcWebSocketError, IcWebSocketErrorCode as Code } from './errors';
import type { ReceivedMessageDetails } from './events';
import { Outbox } from './outbox';
import { classifyClientClose, classifyGatewayClose } from './refusal';
import type { ResendBuffer } from './resend-buffer';
import { AckTracker, IncomingSequence } from './sequence';

/** States of a {@link Session}; see the diagram above. */
export type SessionState = 'connecting' | 'handshaking' | 'opening' | 'open' | 'closing' | 'closed';

/** The part of the WebSocket API a session uses: the browser's `WebSocket` and `ws` both have it. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor (the platform's, `ws`, or a fake in tests). */
export type SocketConstructor = new (url: string, protocols?: string | string[]) => SocketLike;

/** How a session ended. */
export interface SessionEnd {
  /** The close code sent (if the client closed) or received (if the gateway did); see `codes.ts`. */
  code: number;
  reason: string;
  /** Whether the closing handshake completed. */
  wasClean: boolean;
  /** Why, unless the application or the canister closed the connection normally. */
  error?: IcWebSocketError;
  /** Whether a new connection would end the same way (a refusal, see `refusal.ts`): no reconnection. */
  final: boolean;
  /** Whether the gateway shed the connection as overloaded ("try again later", see `refusal.ts`). */
  overloaded?: true;
}

/** The earlier session a session asks the canister to resume, and where it stood. */
export interface ResumeRequest {
  /** Its client key. */
  clientKey: ClientKey;
  /** Sequence number of the last canister message it received. */
  lastReceived: bigint;
  /** Sequence number of the last message it numbered for the canister. */
  lastSent: bigint;
}

/** How the canister opened a session, as its open message says. */
export type OpenOutcome =
  /** No resume was asked: a new session. */
  | { kind: 'new' }
  /** The session asked for goes on: `recovered` missed messages follow; the canister had the client's messages up to `lastIncoming`. */
  | { kind: 'resumed'; recovered: number; lastIncoming: bigint }
  /** A resume was asked and a fresh session given: `NotSupported` when the canister does not know resumes. */
  | { kind: 'fresh'; reason: FreshSessionReasonKind | 'NotSupported' };

/** What a session needs; everything with I/O or time is injected. */
export interface SessionOptions {
  url: string;
  protocols?: string | string[];
  WebSocket: SocketConstructor;
  /** Signs `ws_open` / `ws_message` calls into `ClientRequest` frames. */
  signer: { readonly principal: Principal; sign(methodName: string, arg: Uint8Array): Promise<Uint8Array> };
  /** Verifies that a relayed message is certified by the canister; resolves with its certificate's time. */
  verifier: { verify(message: CanisterToClientMessage): Promise<{ certificateTimeMs: number }> };
  /** Random u64 telling this connection apart from the client's other ones. */
  clientNonce: bigint;
  /** The earlier session to ask the canister to resume, if any. */
  resume?: ResumeRequest;
  /** Keeps the application messages sent until the canister acknowledges them, for a later resume. */
  sent?: Pick<ResendBuffer, 'record' | 'acknowledge'>;
  /** How long from socket creation to the canister's open message. */
  openTimeoutMs: number;
  /** How long a sent message may wait for the canister's ack. */
  ackTimeoutMs: number;
  /**
   * How long an open connection may go without any certified message (the canister acks each
   * client every ack interval): the ack interval plus the latency bound.
   */
  silenceTimeoutMs: number;
  /** How long to wait for the closing handshake before giving up on it. @default 1000 */
  closeGraceMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  now?: () => number;
  /** The canister's open message arrived: `send` works from here. */
  onOpen(outcome: OpenOutcome): void;
  /** An application message (Candid bytes), certified and in sequence. */
  onMessage(content: Uint8Array, details: ReceivedMessageDetails): void;
  /** The canister acknowledged every message sent so far: the gateway holds none of them. */
  onCaughtUp?(): void;
  onEnd(end: SessionEnd): void;
}

const DEFAULT_CLOSE_GRACE_MS = 1000;
const SOCKET_CLOSED = 3;

/** One connection; see the module comment. */
export class Session {
  static #nextId = 1;
  /** Tells sessions apart in logs and lets owners ignore a replaced session's callbacks. */
  readonly id = Session.#nextId++;
  readonly clientKey: ClientKey;
  #state: SessionState = 'connecting';
  readonly #options: SessionOptions;
  readonly #now: () => number;
  readonly #socket: SocketLike;
  #gatewayPrincipal: Principal | undefined;
  readonly #incoming = new IncomingSequence();
  readonly #acks: AckTracker;
  #lastAssigned = 0n;
  readonly #inbox: Uint8Array[] = [];
  #draining = false;
  /** Signed frames in order; tagged with the sequence number of a `ws_message`, `undefined` for `ws_open`. */
  readonly #outbox = new Outbox<bigint | undefined>(
    (frame, sequenceNum) => this.#write(frame, sequenceNum),
    (err) => this.fail(err instanceof IcWebSocketError ? err : new IcWebSocketError(Code.SIGNING_FAILED, describeError(err), { cause: err })),
  );
  #openTimer: ReturnType<typeof setTimeout> | undefined;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #silenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last certified message arrived (the open message, at first). */
  #lastHeardAt = 0;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #opened = false;
  #ending: SessionEnd | undefined;
  #socketError: string | undefined;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#acks = new AckTracker(options.ackTimeoutMs);
    this.clientKey = { client_principal: options.signer.principal, client_nonce: options.clientNonce };
    this.#openTimer = setTimeout(() => this.#onOpenTimeout(), options.openTimeoutMs);
    const socket = new options.WebSocket(options.url, options.protocols);
    this.#socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => this.#onSocketOpen();
    socket.onmessage = (event) => this.#onSocketMessage(event.data);
    socket.onerror = (event) => this.#onSocketError(event);
    socket.onclose = (event) => this.#onSocketClose(event);
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The principal the gateway announced in its handshake. */
  get gatewayPrincipal(): Principal | undefined {
    return this.#gatewayPrincipal;
  }

  /** Whether the canister's open message arrived (the session was open at some point). */
  get opened(): boolean {
    return this.#opened;
  }

  /** Where this session stands, for a later session to ask the canister to resume it. */
  resumePoint(): ResumeRequest {
    return { clientKey: this.clientKey, lastReceived: this.#incoming.last, lastSent: this.#lastAssigned };
  }

  /**
   * Sends an application message (Candid bytes) as the next `ws_message`.
   * @throws {IcWebSocketError} `ICWS_ERR_NOT_OPEN` unless the session is open
   */
  send(content: Uint8Array): void {
    if (this.#state !== 'open') {
      throw new IcWebSocketError(Code.NOT_OPEN, `cannot send: the connection is ${this.#state}, not open`);
    }
    this.#sendMessage(content, false);
  }

  /** Closes the connection (idempotent). */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    this.#end({ code, reason, wasClean: true, final: classifyClientClose(code).final });
  }

  /** Ends the connection because of `error`, with the close code that goes with it. */
  fail(error: IcWebSocketError): void {
    const code = closeCodeOfError(error.code);
    this.#end({ code, reason: error.message, wasClean: true, error, final: classifyClientClose(code).final });
  }

  #setState(next: SessionState): void {
    this.#state = next;
  }

  #live(): boolean {
    return this.#state !== 'closing' && this.#state !== 'closed';
  }

  // ---- socket events ----

  #onSocketOpen(): void {
    if (this.#state === 'connecting') this.#setState('handshaking');
  }

  #onSocketMessage(data: unknown): void {
    if (!this.#live()) return;
    const bytes = toBytes(data);
    if (bytes === undefined) {
      return this.fail(new IcWebSocketError(Code.BAD_FRAME, `the gateway sent a ${typeof data === 'string' ? 'text' : typeof data} frame; the protocol uses binary CBOR frames`));
    }
    if (this.#state === 'handshaking') return this.#onHandshake(bytes);
    this.#inbox.push(bytes);
    if (!this.#draining) void this.#drainInbox();
  }

  #onSocketError(event: unknown): void {
    const error = (event as { error?: unknown; message?: unknown }) ?? {};
    this.#socketError = error.error !== undefined ? describeError(error.error) : typeof error.message === 'string' ? error.message : undefined;
  }

  #onSocketClose(event: { code: number; reason: string; wasClean: boolean }): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'closing') return this.#finish(event.wasClean);
    const detail = this.#socketError === undefined ? '' : ` (${this.#socketError})`;
    const closed = `the gateway closed the connection with code ${event.code}${event.reason ? `: ${event.reason}` : ''}${detail}`;
    const verdict = classifyGatewayClose(event.code, event.reason);
    let error: IcWebSocketError;
    if (this.#state === 'connecting') {
      error = new IcWebSocketError(Code.CONNECTION_CLOSED, `could not connect to the gateway at ${this.#options.url}${detail}`);
    } else if (verdict.refusal !== undefined) {
      const codes = verdict.replicaCode === undefined ? verdict.gatewayCode : `${verdict.gatewayCode}, ${verdict.replicaCode}`;
      error = new IcWebSocketError(Code.CONNECTION_REFUSED, `${verdict.refusal} (${codes}); no new connection follows, as it would be refused too: ${closed}`);
    } else {
      error = new IcWebSocketError(Code.CONNECTION_CLOSED, closed);
    }
    this.#clearTimers();
    this.#ending = { code: event.code, reason: event.reason, wasClean: event.wasClean, error, final: verdict.final, ...(verdict.overloaded && { overloaded: true }) };
    this.#finish(event.wasClean);
  }

  // ---- opening ----

  #onHandshake(bytes: Uint8Array): void {
    try {
      this.#gatewayPrincipal = decodeGatewayHandshake(bytes).gateway_principal;
    } catch (cause) {
      return this.fail(new IcWebSocketError(Code.BAD_HANDSHAKE, `the first frame of the gateway is not its handshake: ${describeError(cause)}`, { cause }));
    }
    this.#setState('opening');
    const resume = this.#options.resume;
    const arg = encodeWsOpenArgs({
      client_nonce: this.#options.clientNonce,
      gateway_principal: this.#gatewayPrincipal,
      resume: resume === undefined ? [] : [{ client_key: resume.clientKey, last_incoming_sequence_num: resume.lastReceived }],
    });
    this.#outbox.push(undefined, this.#options.signer.sign(WS_OPEN_METHOD, arg));
  }

  #onOpenTimeout(): void {
    this.#openTimer = undefined;
    if (!this.#live() || this.#state === 'open') return;
    const ms = this.#options.openTimeoutMs;
    const what = {
      connecting: `the socket to the gateway at ${this.#options.url} did not open within ${ms} ms`,
      handshaking: `the gateway sent no handshake within ${ms} ms`,
      opening: `the canister's open message did not arrive within ${ms} ms: the gateway did not relay ws_open or its reply, or the canister is not an IC WebSocket canister`,
    }[this.#state as 'connecting' | 'handshaking' | 'opening'];
    this.fail(new IcWebSocketError(Code.OPEN_TIMEOUT, what));
  }

  // ---- incoming ----

  async #drainInbox(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#inbox.length > 0 && this.#live()) {
        await this.#receive(this.#inbox.shift()!);
      }
    } catch (err) {
      this.fail(err instanceof IcWebSocketError ? err : new IcWebSocketError(Code.BAD_FRAME, describeError(err), { cause: err }));
    } finally {
      this.#draining = false;
    }
  }

  async #receive(bytes: Uint8Array): Promise<void> {
    let relayed: CanisterToClientMessage;
    try {
      relayed = decodeCanisterToClientMessage(bytes);
    } catch (cause) {
      throw new IcWebSocketError(Code.BAD_FRAME, `the gateway sent a frame that is not a relayed canister message: ${describeError(cause)}`, { cause });
    }
    const { certificateTimeMs } = await this.#options.verifier.verify(relayed);
    if (!this.#live()) return;
    let message: WebsocketMessage;
    try {
      message = decodeWebsocketMessage(relayed.content);
    } catch (cause) {
      // certified bytes that do not decode: the canister, not the gateway, is at fault
      throw new IcWebSocketError(Code.BAD_FRAME, `message ${relayed.key} is certified but is not a WebsocketMessage: ${describeError(cause)}`, { cause });
    }
    if (!sameClientKey(message.client_key, this.clientKey)) {
      throw new IcWebSocketError(
        Code.WRONG_CLIENT_KEY,
        `message ${relayed.key} is certified for client ${clientKeyText(message.client_key)}, not for this one (${clientKeyText(this.clientKey)})`,
      );
    }
    const service = message.is_service_message ? decodeService(message.content) : undefined;
    const resume = this.#options.resume;
    // A resumed session's open message follows the last message the client received.
    if (this.#state === 'opening' && resume !== undefined && service !== undefined && 'OpenMessage' in service && 'Resumed' in (service.OpenMessage.resume?.[0] ?? {})) {
      this.#incoming.startAfter(resume.lastReceived);
    }
    this.#incoming.accept(message.sequence_num);
    this.#lastHeardAt = this.#now();
    if (service !== undefined) return this.#onServiceMessage(service);
    if (this.#state !== 'open') {
      throw new IcWebSocketError(Code.BAD_SERVICE_MESSAGE, "the canister's first message must be its open message, got an application message");
    }
    this.#options.onMessage(message.content, { sequenceNum: message.sequence_num, certificateTimeMs });
  }

  #onServiceMessage(service: WebsocketServiceMessageContent): void {
    if ('OpenMessage' in service) {
      if (this.#state !== 'opening') throw new IcWebSocketError(Code.BAD_SERVICE_MESSAGE, 'the canister sent a second open message');
      if (!sameClientKey(service.OpenMessage.client_key, this.clientKey)) {
        throw new IcWebSocketError(Code.WRONG_CLIENT_KEY, `the open message names client ${clientKeyText(service.OpenMessage.client_key)}, not this one (${clientKeyText(this.clientKey)})`);
      }
      const outcome = this.#openOutcome(service.OpenMessage);
      clearTimeout(this.#openTimer);
      this.#openTimer = undefined;
      if (outcome.kind === 'resumed') {
        // Numbering goes on after the last message the canister received; the rest is re-sent.
        this.#lastAssigned = outcome.lastIncoming;
        this.#acks.startAfter(outcome.lastIncoming);
      }
      this.#opened = true;
      this.#setState('open');
      this.#armSilenceTimer(this.#options.silenceTimeoutMs);
      this.#options.onOpen(outcome);
      return;
    }
    if (this.#state !== 'open') {
      throw new IcWebSocketError(Code.BAD_SERVICE_MESSAGE, `the canister's first message must be its open message, got ${Object.keys(service)[0]}`);
    }
    if ('AckMessage' in service) return this.#onAck(service.AckMessage.last_incoming_sequence_num);
    if ('CloseMessage' in service) {
      const reason = closeReasonKind(service.CloseMessage.reason);
      if (reason === 'ClosedByApplication') return this.close(CloseCode.CLOSED_BY_APPLICATION, reason);
      return this.fail(new IcWebSocketError(Code.CANISTER_CLOSED, `the canister closed the connection: ${reason}`));
    }
    throw new IcWebSocketError(Code.BAD_SERVICE_MESSAGE, `the canister sent a ${Object.keys(service)[0]}, which only clients send`);
  }

  /** @returns what the open message answers to this session's resume request, if it made one. */
  #openOutcome(open: CanisterOpenMessageContent): OpenOutcome {
    const request = this.#options.resume;
    if (request === undefined) return { kind: 'new' };
    const answer = open.resume?.[0];
    if (answer === undefined) return { kind: 'fresh', reason: 'NotSupported' };
    if ('Fresh' in answer) return { kind: 'fresh', reason: freshSessionReasonKind(answer.Fresh.reason) };
    const { recovered_messages: recovered, last_incoming_sequence_num: lastIncoming } = answer.Resumed;
    if (lastIncoming > request.lastSent) {
      throw new IcWebSocketError(Code.BAD_SERVICE_MESSAGE, `the canister resumed the session having received message ${lastIncoming} from it, but only ${request.lastSent} were sent`);
    }
    return { kind: 'resumed', recovered: Number(recovered), lastIncoming };
  }

  #onAck(lastIncoming: bigint): void {
    const result = this.#acks.ack(lastIncoming, this.#now());
    if (result.status === 'ahead') {
      throw new IcWebSocketError(Code.BAD_SERVICE_MESSAGE, `the canister acknowledged message ${lastIncoming}, but only ${result.lastSent} were sent`);
    }
    this.#options.sent?.acknowledge(lastIncoming);
    if (result.status === 'overdue') return this.fail(this.#ackTimeoutError(result.overdue));
    if (lastIncoming >= this.#lastAssigned) this.#options.onCaughtUp?.();
    if (!this.#live()) return;
    this.#armAckTimer(true);
    this.#sendMessage(encodeServiceMessage(keepAliveMessage(this.#incoming.last)), true);
  }

  // ---- outgoing ----

  #sendMessage(content: Uint8Array, isServiceMessage: boolean): void {
    const sequenceNum = ++this.#lastAssigned;
    if (!isServiceMessage) this.#options.sent?.record({ sequenceNum, content });
    const msg: WebsocketMessage = {
      client_key: this.clientKey,
      sequence_num: sequenceNum,
      timestamp: BigInt(this.#now()) * 1_000_000n,
      is_service_message: isServiceMessage,
      content,
    };
    this.#outbox.push(sequenceNum, this.#options.signer.sign(WS_MESSAGE_METHOD, encodeWsMessageArgs({ msg })));
  }

  #write(frame: Uint8Array, sequenceNum: bigint | undefined): void {
    if (!this.#live()) return;
    try {
      this.#socket.send(frame);
    } catch (cause) {
      throw new IcWebSocketError(Code.CONNECTION_CLOSED, `could not write to the socket: ${describeError(cause)}`, { cause });
    }
    if (sequenceNum !== undefined) {
      this.#acks.add(sequenceNum, this.#now());
      this.#armAckTimer(false);
    }
  }

  /** Sets the ack timer to the oldest unacknowledged message's deadline; `restart` re-arms a running one. */
  #armAckTimer(restart: boolean): void {
    if (this.#ackTimer !== undefined) {
      if (!restart) return;
      clearTimeout(this.#ackTimer);
      this.#ackTimer = undefined;
    }
    const deadline = this.#acks.nextDeadlineMs();
    if (deadline === undefined) return;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      if (!this.#live()) return;
      const overdue = this.#acks.overdue(this.#now());
      // Both deadlines passing together (a keep-alive sent on the last ack heard): nothing at all was
      // heard, which says more than the missing ack.
      if (overdue.length > 0) return this.fail(this.#silentFor() >= this.#options.silenceTimeoutMs ? this.#silenceError() : this.#ackTimeoutError(overdue));
      this.#armAckTimer(false);
    }, Math.max(0, deadline - this.#now()));
  }

  /** Fires `delayMs` from now; closes unless a certified message arrived within `silenceTimeoutMs` of then. */
  #armSilenceTimer(delayMs: number): void {
    this.#silenceTimer = setTimeout(() => {
      this.#silenceTimer = undefined;
      if (this.#state !== 'open') return;
      // one timer per period rather than one per message: re-armed for what is left of the period
      const left = this.#options.silenceTimeoutMs - this.#silentFor();
      if (left > 0) return this.#armSilenceTimer(left);
      this.fail(this.#silenceError());
    }, delayMs);
  }

  /** @returns milliseconds since the last certified message from the canister. */
  #silentFor(): number {
    return this.#now() - this.#lastHeardAt;
  }

  #silenceError(): IcWebSocketError {
    return new IcWebSocketError(
      Code.CANISTER_SILENT,
      `no ack nor other message from the canister for ${this.#options.silenceTimeoutMs} ms, though it acks every client each ack interval: the gateway withholds its messages, the replica is down, or a newer connection of the same identity replaced this one (ackMessageIntervalMs must equal the canister's ack interval)`,
    );
  }

  #ackTimeoutError(overdue: bigint[]): IcWebSocketError {
    const which = overdue.length === 1 ? `message ${overdue[0]}` : `messages ${overdue[0]}..${overdue[overdue.length - 1]}`;
    return new IcWebSocketError(
      Code.ACK_TIMEOUT,
      `the canister did not acknowledge ${which} within ${this.#options.ackTimeoutMs} ms: the gateway may be dropping messages (ackMessageIntervalMs must equal the canister's ack interval)`,
    );
  }

  // ---- teardown ----

  /** The one way into `closing`. */
  #end(end: SessionEnd): void {
    if (!this.#live()) return;
    this.#ending = end;
    this.#setState('closing');
    this.#clearTimers();
    this.#inbox.length = 0;
    this.#outbox.stop();
    const socket = this.#socket;
    if (socket.readyState === SOCKET_CLOSED) return this.#finish(false);
    try {
      socket.close(end.code, closeReason(end.reason));
    } catch {
      // a code the platform refuses (1006 and the like): close without one
      try {
        socket.close();
      } catch {
        return this.#finish(false);
      }
    }
    this.#graceTimer = setTimeout(() => this.#finish(false), this.#options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
  }

  #finish(wasClean: boolean): void {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    this.#clearTimers();
    const socket = this.#socket;
    // no-ops rather than null: `ws` throws on an 'error' event nobody listens to
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = ignore;
    (socket as { terminate?: () => void }).terminate?.();
    const end = this.#ending ?? { code: CloseCode.ABNORMAL, reason: '', wasClean, final: false };
    this.#options.onEnd({ ...end, wasClean: wasClean && end.wasClean });
  }

  #clearTimers(): void {
    clearTimeout(this.#openTimer);
    clearTimeout(this.#ackTimer);
    clearTimeout(this.#graceTimer);
    clearTimeout(this.#silenceTimer);
    this.#openTimer = this.#ackTimer = this.#graceTimer = this.#silenceTimer = undefined;
  }
}

function ignore(): void {}

function decodeService(content: Uint8Array): WebsocketServiceMessageContent {
  try {
    return decodeServiceMessage(content);
  } catch (cause) {
    throw new IcWebSocketError(Code.BAD_SERVICE_MESSAGE, `the canister sent an invalid service message: ${describeError(cause)}`, { cause });
  }
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data) && data.every((d) => d instanceof Uint8Array)) {
    // ws delivers fragmented messages as Buffer[] with binaryType 'fragments'; join them
    const out = new Uint8Array(data.reduce((n: number, d: Uint8Array) => n + d.length, 0));
    let at = 0;
    for (const d of data as Uint8Array[]) out.set(d, (at += d.length) - d.length);
    return out;
  }
  return undefined;
}

function sameClientKey(a: ClientKey, b: ClientKey): boolean {
  return a.client_nonce === b.client_nonce && a.client_principal.compareTo(b.client_principal) === 'eq';
}
