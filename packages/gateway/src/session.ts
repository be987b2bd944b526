import type { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import {
  CanisterWsOpenResultIdl,
  decodeCandid,
  decodeClientRequest,
  decodeWsOpenArgs,
  encodeCanisterToClientMessage,
  encodeGatewayHandshake,
  ProtocolError,
  clientKeyText,
  codeOfWireText,
  WS_CLOSE_METHOD,
  WS_OPEN_METHOD,
  type CanisterOutputMessage,
  type CanisterWsOpenResult,
  type ClientKey,
  type DecodedClientRequest,
} from '@icws/protocol';
import type { Logger } from 'pino';
import type { Clock, Timer } from './clock';
import { ErrorLog } from './error-log';
import { CloseCode, closeReason } from '@icws/protocol';
import { GatewayError, type GatewayErrorCode } from './errors';
import { isReplicaOverloaded, type IcTransport, type RelayOutcome } from './ic-transport';
import { Heartbeat } from './heartbeat';
import { InboundMeter } from './inbound-meter';
import type { GatewayMetrics } from './metrics';
import type { OverloadGuard, SheddableSession } from './overload-guard';
import { RelayQueue, type RelayJob, type RelayQueueOverflow } from './relay-queue';
import type { RetryPolicy } from './retry-policy';
import type { Recipient, Route, Router } from './router';
import { NO_TRACING, type CallSpanEnd, type GatewayTracer, type TraceSpan } from './tracing';

/** The part of a WebSocket (from `ws`) a session uses. */
export interface SessionSocket {
  readonly bufferedAmount: number;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'ping' | 'pong', listener: (data: Buffer) => void): unknown;
  send(data: Uint8Array): void;
  ping(): void;
  /** Stops reading from the connection. */
  pause(): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

/**
 * The connection under a session's socket, whose reads a session meters before the WebSocket
 * parses them (a `net.Socket`).
 */
export interface SessionWire {
  prependListener(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
}

/** The bounds a session enforces; each has a gateway flag. */
export interface SessionLimits {
  /** Largest client frame. */
  readonly maxFrameBytes: number;
  /** Largest client frame until the session is open (`--max-open-frame-bytes`). */
  readonly maxOpenFrameBytes: number;
  /** Unsent bytes after which a slow client is dropped (`--max-client-buffer`). */
  readonly maxClientBufferBytes: number;
  /** Calls waiting to be relayed or in flight (`--max-queued-frames`). */
  readonly maxQueuedFrames: number;
  /** Bytes of calls waiting to be relayed or in flight (`--max-queued-bytes`). */
  readonly maxQueuedBytes: number;
  /** How long a call may wait to be relayed while the replica answers (`--max-relay-wait-ms`). */
  readonly maxRelayWaitMs: number;
}

/** How long a session waits for its client; each has a gateway flag. */
export interface SessionTimeouts {
  /** From the handshake to `ws_open` (`--open-timeout-ms`). */
  readonly openTimeoutMs: number;
  /** Between pings (`--ping-interval-ms`). */
  readonly pingIntervalMs: number;
  /** Pings in a row left unanswered that end the session (`--max-missed-pongs`). */
  readonly maxMissedPongs: number;
}

/** What a session needs from the gateway around it. */
export interface SessionHost {
  readonly gatewayPrincipal: Principal;
  readonly transport: Pick<IcTransport, 'relayCall' | 'wsClose'>;
  readonly router: Pick<Router, 'bind' | 'pollSoon'>;
  /** Spaces the attempts at a call while the replica is unavailable. */
  readonly relayRetry: RetryPolicy;
  readonly clock: Clock;
  readonly limits: SessionLimits;
  readonly timeouts: SessionTimeouts;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
  /** Folds repeated failures (shared by the sessions, so one replica outage is one line). */
  readonly errors?: ErrorLog;
  /** Gets a span per relayed call; none by default. */
  readonly tracer?: GatewayTracer;
  /** Keeps track of work that a drain must wait for. */
  track(work: Promise<unknown>): void;
  /** Told of each call queued and relayed, to shed load when the replica falls behind all clients. */
  readonly overload?: Pick<OverloadGuard, 'arrived' | 'relayed'>;
}

/**
 * Where a session is:
 *
 *                    ws_open relayed            canister's first message
 *   awaiting_open ───────────────────▶ opening ──────────────────────────▶ open
 *         │                               │                                 │
 *         │ bad frame, refusal, relay bound or failure, socket closed, shutdown
 *         └───────────────────────────────┴─────────────────────────────────┴──▶ closed
 *
 * Calls the client sends while `opening` wait in the relay queue and go out once `open`.
 */
export type SessionState = 'awaiting_open' | 'opening' | 'open' | 'closed';

/** How long a socket closed by the gateway may take to finish its closing handshake. */
const CLOSE_HANDSHAKE_MS = 2_000;

/** The longest a closed socket is kept while what was sent before its close frame is unsent. */
const MAX_CLOSE_DRAIN_MS = 30_000;

/** The largest header of a client frame: 2 bytes, 8 of length, 4 of mask. */
const MAX_FRAME_HEADER_BYTES = 14;

/**
 * One client connection: frames in from the socket, calls out through its {@link RelayQueue},
 * certified messages in from the {@link Router}.
 */
export class ClientSession implements Recipient, SheddableSession {
  #state: SessionState = 'awaiting_open';
  #canisterId: Principal | undefined;
  #clientKey: ClientKey | undefined;
  #route: Route | undefined;
  #queue: RelayQueue | undefined;
  #openTimer: Timer | undefined;
  #socketClosed = false;
  /** The spans of the calls in the relay queue, in its order (it relays one at a time, in order). */
  readonly #calls: Array<TraceSpan<CallSpanEnd>> = [];
  /** The span of `ws_open`, which its outcome ends (a refusal is a reply). */
  #openCall: TraceSpan<CallSpanEnd> | undefined;
  readonly #socket: SessionSocket;
  readonly #host: SessionHost;
  readonly #meter: InboundMeter;
  readonly #heartbeat: Heartbeat;
  readonly #errors: ErrorLog;

  /**
   * Sends the gateway's handshake, listens to the socket, starts the deadline for `ws_open` and
   * the pings.
   * @param id - names the session in logs
   * @param wire - the connection under the socket; when given, an unfinished frame is bounded in
   *   size before the session opens and in time after
   */
  constructor(
    socket: SessionSocket,
    host: SessionHost,
    readonly id: number,
    wire?: SessionWire,
  ) {
    this.#socket = socket;
    this.#host = host;
    this.#errors = host.errors ?? new ErrorLog(host.log, host.clock);
    const { clock, timeouts } = host;
    this.#meter = new InboundMeter(clock);
    this.#heartbeat = new Heartbeat({
      clock,
      intervalMs: timeouts.pingIntervalMs,
      maxMissed: timeouts.maxMissedPongs,
      ping: () => socket.ping(),
      onTick: () => this.#checkStalledFrame(),
      onDead: (missed) => this.#fail('ICWS_ERR_PING_TIMEOUT', `no answer to ${missed} pings in a row, sent every ${timeouts.pingIntervalMs} ms`),
    });
    wire?.prependListener('data', (chunk) => this.#meter.received(chunk.length));
    wire?.on('data', () => this.#chunkParsed());
    socket.on('message', (data, isBinary) => {
      this.#meter.messageCompleted();
      this.#onFrame(data, isBinary);
    });
    socket.on('ping', (data) => this.#meter.controlFrame(data.length));
    socket.on('pong', (data) => {
      this.#meter.controlFrame(data.length);
      this.#heartbeat.pong();
    });
    socket.on('close', () => {
      this.#socketClosed = true;
      this.#teardown(CloseCode.NORMAL, 'client closed', 'client');
    });
    socket.on('error', (err) => host.log.debug({ session: id, err: err.message }, 'socket error'));
    socket.send(encodeGatewayHandshake({ gateway_principal: host.gatewayPrincipal }));
    this.#openTimer = clock.setTimer(
      () => this.#fail('ICWS_ERR_OPEN_TIMEOUT', `no ws_open within ${timeouts.openTimeoutMs} ms of the handshake`),
      timeouts.openTimeoutMs,
      { unref: true },
    );
    this.#heartbeat.start();
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The canister named by `ws_open`, once relayed. */
  get canisterId(): Principal | undefined {
    return this.#canisterId;
  }

  /** The client key of `ws_open`, once relayed. */
  get clientKey(): ClientKey | undefined {
    return this.#clientKey;
  }

  /** Sends a certified canister message to the client; the first one opens the session. */
  deliver(message: CanisterOutputMessage, cert: Uint8Array, tree: Uint8Array): void {
    if (this.#state === 'closed') return;
    const { maxClientBufferBytes } = this.#host.limits;
    if (this.#socket.bufferedAmount > maxClientBufferBytes) {
      this.#host.metrics.errors.inc({ kind: 'slow_client' });
      return this.#fail('ICWS_ERR_CLIENT_TOO_SLOW', `client too slow: more than ${maxClientBufferBytes} bytes waiting to be sent`);
    }
    this.#socket.send(encodeCanisterToClientMessage({ key: message.key, content: message.content, cert, tree }));
    this.#host.metrics.relayedToClient.inc();
    if (this.#state === 'opening') {
      this.#setState('open');
      this.#queue!.release();
    }
  }

  /**
   * Closes the connection from the gateway's side with `error`'s close code, and a reason that
   * starts with its code (`ICWS_ERR_…: what happened`).
   */
  close(error: GatewayError): void {
    this.#teardown(error.closeCode ?? CloseCode.INTERNAL_ERROR, closeReason(error.wireText), error.code);
  }

  #fail(code: GatewayErrorCode, message: string): void {
    this.close(new GatewayError(code, message));
  }

  /** How long the oldest of the client's calls queued or in flight has waited for the replica; 0 with none. */
  get relayWaitMs(): number {
    return this.#state === 'closed' ? 0 : (this.#queue?.oldestWaitMs ?? 0);
  }

  /** Closes the session to shed load: the replica does not keep up with all the clients' calls. */
  shed(): void {
    if (this.#state === 'closed') return;
    this.#host.metrics.errors.inc({ kind: 'overload_shed' });
    this.#fail('ICWS_ERR_OVERLOADED', 'the replica does not keep up with the calls of all clients; the newest sessions close to shed the excess: reconnect later');
  }

  /** What the socket read so far is parsed: an unfinished frame before opening must stay small. */
  #chunkParsed(): void {
    this.#meter.chunkParsed();
    if (this.#state === 'open' || this.#state === 'closed') return;
    const { maxOpenFrameBytes } = this.#host.limits;
    if (this.#meter.pendingBytes > maxOpenFrameBytes + MAX_FRAME_HEADER_BYTES) {
      this.#fail('ICWS_ERR_FRAME_TOO_LARGE', `a frame of over ${maxOpenFrameBytes} bytes before the session is open; ws_open is small (--max-open-frame-bytes)`);
    }
  }

  /** A frame begun and not finished within the time a client has to answer pings is not coming. */
  #checkStalledFrame(): void {
    const since = this.#meter.partialSince;
    if (since === undefined) return;
    const { pingIntervalMs, maxMissedPongs } = this.#host.timeouts;
    const windowMs = pingIntervalMs * maxMissedPongs;
    if (this.#host.clock.now() - since >= windowMs) {
      this.#fail('ICWS_ERR_FRAME_TIMEOUT', `a frame of which ${this.#meter.pendingBytes} bytes arrived was not finished within ${windowMs} ms`);
    }
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    if (this.#state === 'closed') return;
    if (!isBinary) return this.#fail('ICWS_ERR_TEXT_FRAME', 'text frames are not supported; send CBOR client requests in binary frames');
    const { maxFrameBytes, maxOpenFrameBytes } = this.#host.limits;
    if (this.#state !== 'open' && data.length > maxOpenFrameBytes) {
      return this.#fail('ICWS_ERR_FRAME_TOO_LARGE', `frame of ${data.length} bytes exceeds the limit of ${maxOpenFrameBytes} bytes before the session is open (--max-open-frame-bytes)`);
    }
    if (data.length > maxFrameBytes) return this.#fail('ICWS_ERR_FRAME_TOO_LARGE', `frame of ${data.length} bytes exceeds the limit of ${maxFrameBytes} bytes`);
    let request: DecodedClientRequest;
    try {
      request = decodeClientRequest(data);
    } catch (err) {
      return this.#fail('ICWS_ERR_BAD_CLIENT_REQUEST', `not a client request: ${err instanceof ProtocolError ? err.message : String(err)}`);
    }
    if (this.#state === 'awaiting_open') return this.#open(request);
    const canisterId = request.envelope.content.canister_id;
    if (canisterId.compareTo(this.#canisterId!) !== 'eq') {
      return this.#fail('ICWS_ERR_WRONG_CANISTER', `this session is bound to canister ${this.#canisterId!.toText()}; got a call to ${canisterId.toText()}`);
    }
    this.#enqueue({ request });
  }

  #open(request: DecodedClientRequest): void {
    const { content } = request.envelope;
    if (content.method_name !== WS_OPEN_METHOD) {
      return this.#fail('ICWS_ERR_OPEN_REQUIRED', `the first frame must be a ws_open call, got a call to ${content.method_name}`);
    }
    let clientNonce: bigint;
    try {
      const args = decodeWsOpenArgs(content.arg);
      if (args.gateway_principal.compareTo(this.#host.gatewayPrincipal) !== 'eq') {
        return this.#fail('ICWS_ERR_WRONG_GATEWAY', `ws_open names gateway ${args.gateway_principal.toText()}, but this is ${this.#host.gatewayPrincipal.toText()}`);
      }
      clientNonce = args.client_nonce;
    } catch (err) {
      return this.#fail('ICWS_ERR_BAD_CLIENT_REQUEST', `ws_open argument: ${(err as Error).message}`);
    }
    this.#openTimer?.cancel();
    const clientKey: ClientKey = { client_principal: content.sender, client_nonce: clientNonce };
    const route = this.#host.router.bind(this, content.canister_id, clientKey);
    if (route === undefined) {
      return this.#fail('ICWS_ERR_CLIENT_KEY_IN_USE', `client key ${clientKeyText(clientKey)} is already connected to this gateway`);
    }
    this.#route = route;
    this.#canisterId = content.canister_id;
    this.#clientKey = clientKey;
    this.#queue = this.#createQueue(content.canister_id);
    this.#setState('opening');
    this.#openCall = this.#startCall(request);
    this.#enqueue(
      {
        request,
        onOutcome: (outcome) => {
          const refusal = openRefusal(outcome);
          if (refusal === undefined) return this.#openCall!.end({ outcome: outcome.status });
          const error = new GatewayError('ICWS_ERR_OPEN_REFUSED', refusal);
          this.#openCall!.end({ outcome: 'refused', error });
          this.close(error);
        },
      },
      this.#openCall,
    );
    // ws_open is in flight: the calls after it wait for the canister's first message.
    this.#queue.hold();
  }

  #createQueue(canisterId: Principal): RelayQueue {
    const { transport, relayRetry, limits, metrics, router, clock } = this.#host;
    return new RelayQueue({
      canisterId,
      transport,
      retry: relayRetry,
      limits: { maxFrames: limits.maxQueuedFrames, maxBytes: limits.maxQueuedBytes, maxWaitMs: limits.maxRelayWaitMs },
      clock,
      onRelayed: (outcome: RelayOutcome) => {
        this.#host.overload?.relayed();
        const call = this.#calls.shift();
        if (call !== this.#openCall) call?.end({ outcome: outcome.status });
        metrics.relayedToCanister.inc();
        if (outcome.status !== 'accepted') router.pollSoon(canisterId);
      },
      onFailed: (err: unknown) => {
        this.#calls.shift()?.end({ outcome: 'failed', error: err });
        const message = err instanceof Error ? err.message : String(err);
        if (isReplicaOverloaded(err)) {
          metrics.errors.inc({ kind: 'replica_overloaded' });
          this.#fail('ICWS_ERR_REPLICA_OVERLOADED', `the replica stayed overloaded; reconnect later: ${message}`);
          return;
        }
        const refused = err instanceof GatewayError && err.hasCode('ICWS_ERR_ENVELOPE_REFUSED');
        metrics.errors.inc({ kind: refused ? 'envelope_refused' : 'replica_unavailable' });
        // The replica's own code goes first, so it survives the cut of a close reason to 123 bytes.
        if (refused) this.#fail('ICWS_ERR_ENVELOPE_REFUSED', refusalText(message));
        else this.#fail('ICWS_ERR_REPLICA_UNAVAILABLE', `could not relay to the canister: ${message}`);
      },
      // Nothing is in flight when the queue stalls: the first call left is the one that waited too long.
      onStalled: () => this.#refuse('wait', this.#calls.shift()),
      onRetry: (err: unknown, attempt: number) => {
        // Every overloaded answer counts, the retried ones here and the last one in onFailed.
        if (isReplicaOverloaded(err)) {
          metrics.errors.inc({ kind: 'replica_overloaded' });
          this.#errors.report('warn', 'replica', err, 'replica overloaded; retrying the relay', { session: this.id, attempt });
          return;
        }
        this.#errors.report('warn', 'replica', err, 'replica unavailable; retrying the relay', { session: this.id, attempt });
      },
    });
  }

  /** Queues a call, or closes the session when the queue is full. */
  #enqueue(job: RelayJob, call = this.#startCall(job.request)): void {
    const overflow = this.#queue!.push(job);
    if (overflow === undefined) {
      this.#host.overload?.arrived();
      this.#calls.push(call);
      return;
    }
    this.#refuse(overflow, call);
  }

  /** Closes the session for a relay bound met: by `call` arriving, or by the queue. */
  #refuse(overflow: RelayQueueOverflow, call?: TraceSpan<CallSpanEnd>): void {
    const error = this.#overflowError(overflow);
    this.#host.metrics.errors.inc({ kind: overflow === 'wait' ? 'relay_backlog' : 'relay_queue_full' });
    call?.end({ outcome: 'failed', error });
    this.close(error);
  }

  #overflowError(overflow: RelayQueueOverflow): GatewayError {
    const { maxQueuedFrames, maxQueuedBytes, maxRelayWaitMs } = this.#host.limits;
    switch (overflow) {
      case 'frames':
        return new GatewayError('ICWS_ERR_RELAY_QUEUE_FULL', `over ${maxQueuedFrames} calls queued; wait for replies or raise --max-queued-frames`);
      case 'bytes':
        return new GatewayError('ICWS_ERR_RELAY_QUEUE_TOO_LARGE', `over ${maxQueuedBytes} bytes of calls queued; wait for replies or raise --max-queued-bytes`);
      case 'wait':
        return new GatewayError('ICWS_ERR_RELAY_BACKLOG', `calls waited over ${maxRelayWaitMs} ms for the replica (--max-relay-wait-ms); reconnect later`);
    }
  }

  #startCall(request: DecodedClientRequest): TraceSpan<CallSpanEnd> {
    return (this.#host.tracer ?? NO_TRACING).startCall({
      method: request.envelope.content.method_name,
      canisterId: this.#canisterId!,
      clientKey: this.#clientKey!,
      session: this.id,
      envelopeBytes: request.envelopeCbor.length,
    });
  }

  /**
   * Ends the connection if the client does not finish the closing handshake in time. The close
   * frame is queued behind what was sent before it, and is lost if the connection ends while it
   * is still in the process: so the socket is kept until the kernel has taken it (up to a bound),
   * and a client that reads again within that time still learns why it was closed.
   */
  #terminateUnlessClosed(): void {
    const { clock } = this.#host;
    const socket = this.#socket;
    const startedAt = clock.now();
    const check = (): void => {
      if (this.#socketClosed) return;
      if (socket.bufferedAmount > 0 && clock.now() - startedAt < MAX_CLOSE_DRAIN_MS) {
        clock.setTimer(check, CLOSE_HANDSHAKE_MS, { unref: true });
        return;
      }
      socket.terminate();
    };
    clock.setTimer(check, CLOSE_HANDSHAKE_MS, { unref: true });
  }

  /** The one place the state changes. */
  #setState(next: SessionState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.#host.log.debug({ session: this.id, from: previous, to: next }, 'session state');
  }

  /**
   * The one way a session ends: drops its waiting calls, unbinds, and tells the canister once.
   * @param cause - the code of the error the gateway closes with, or `client`
   */
  #teardown(code: number, reason: string, cause: GatewayErrorCode | 'client'): void {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    this.#openTimer?.cancel();
    this.#heartbeat.stop();
    const queue = this.#queue;
    queue?.close();
    const { log, transport, metrics } = this.#host;
    metrics.sessionsClosed.inc({ code: cause });
    if (cause !== 'client') {
      log.info({ session: this.id, code, reason }, 'closing client session');
      // The rest of an unfinished frame is not worth reading: stop, so it cannot grow.
      if (this.#meter.pendingBytes > 0) this.#socket.pause();
      this.#socket.close(code, reason);
      this.#terminateUnlessClosed();
    }
    if (this.#route === undefined) return;
    this.#route.release();
    const canisterId = this.#canisterId!;
    const clientKey = this.#clientKey!;
    // ws_close goes after the call in flight, so the canister sees it last.
    const closing = queue!
      .idle()
      .then(() => {
        for (const call of this.#calls.splice(0)) call.end({ outcome: 'dropped' });
        const call = (this.#host.tracer ?? NO_TRACING).startCall({ method: WS_CLOSE_METHOD, canisterId, clientKey, session: this.id });
        return transport.wsClose(canisterId, clientKey).then(
          () => call.end({ outcome: 'executed' }),
          (err: unknown) => {
            call.end({ outcome: 'failed', error: err });
            throw err;
          },
        );
      })
      .catch((err: unknown) => {
        metrics.errors.inc({ kind: 'ws_close' });
        this.#errors.report('warn', 'replica', err, 'ws_close failed', { session: this.id });
      });
    this.#host.track(closing);
  }
}

/** @returns why the canister refused `ws_open`, or undefined if it accepted. */
function openRefusal(outcome: RelayOutcome): string | undefined {
  if (outcome.status === 'rejected') return `the canister rejected ws_open: ${outcome.message}`;
  if (outcome.status !== 'replied') return undefined;
  try {
    const [result] = decodeCandid([CanisterWsOpenResultIdl as IDL.Type], outcome.reply, 'ws_open result') as [CanisterWsOpenResult];
    return 'Err' in result ? `the canister refused ws_open: ${result.Err}` : undefined;
  } catch {
    return 'the canister answered ws_open with something other than CanisterWsOpenResult';
  }
}

/**
 * @returns the replica's refusal as a close reason carries it, its code first when it names one:
 *   `ICWS_ERR_DELEGATION_EXPIRED (403): sender_delegation[0] expired …`
 */
function refusalText(message: string): string {
  const answer = /^replica answered (\d{3}): (.*)$/s.exec(message);
  const code = codeOfWireText(message);
  if (answer === null || code === undefined) return `the replica refused the envelope: ${message}`;
  return `${code} (${answer[1]}): ${answer[2].replace(` (${code})`, '')}`;
}
