import type { Principal } from '@icp-sdk/core/principal';
import {
  MESSAGES_TO_DELETE_COUNT,
  ProtocolError,
  closeMessage,
  decodeServiceMessage,
  encodeServiceMessage,
  encodeWebsocketMessage,
  formatMessageKeyNonce,
  freshSession,
  openMessage,
  resumedSession,
  type CanisterWsCloseArguments,
  type CanisterWsGetMessagesResult,
  type CanisterWsMessageArguments,
  type CanisterWsOpenArguments,
  type ClientKey,
  type CloseReasonKind,
  type GatewayPrincipal,
  principalText,
} from '@icws/protocol';
import { DEFER_TO_CURRENT_STATE, type CanisterContext } from '../canister/define';
import { ClientRegistry, type RegisteredClient } from './client-registry';
import { wsErrors } from './errors';
import { queueRange, type QueueView } from './gateway-queue';
import { GatewayRegistry, type RegisteredGateway } from './gateway-registry';
import { MessageCertification } from './message-certification';
import { maxMessageBytes, messageBudget, replyBytesOf } from './reply-size';
import type { DurableSessions } from './durable-sessions';
import { SessionRecovery, type ResumePlan } from './session-recovery';
import type { WsCloseCause, WsHandlers, WsResult, WsSettings } from './types';
import type { UndoLog } from './undo-log';

const OK: WsResult = Object.freeze({ Ok: null }) as WsResult;
const NS_PER_MS = 1_000_000n;
const utf8 = new TextEncoder();
/** Ends of a connection after which its client may still resume the session: its connection was lost, not closed. */
const RESUMABLE_CAUSES: ReadonlySet<WsCloseCause> = new Set<WsCloseCause>(['ClosedByGateway', 'KeepAliveTimeout', 'QueueFull']);

/**
 * The server side of the IC WebSocket protocol, as the upstream Rust CDK implements it: clients,
 * one queue per gateway, certification, sequence numbers. Every refusal is an `Err` result decided
 * before anything changes; every change records its undo, so a trap in an application handler
 * leaves the state as it was. Certification is applied once per message, when it commits.
 * @internal
 */
export class WebSocketState {
  readonly clients: ClientRegistry;
  readonly gateways: GatewayRegistry;
  readonly certification: MessageCertification;
  /** The sessions clients may resume, with the messages they may have missed. */
  readonly recovery: SessionRecovery;
  readonly #ackIntervalNs: bigint;
  /** The largest application message `send` accepts: one that fits a poll reply on its own. */
  readonly maxMessageBytes: number;

  constructor(
    private readonly ic: CanisterContext,
    readonly settings: WsSettings,
    private readonly handlers: WsHandlers,
    private readonly undo: UndoLog,
    durable?: DurableSessions,
  ) {
    this.clients = new ClientRegistry(undo);
    this.gateways = new GatewayRegistry(undo);
    this.certification = new MessageCertification(ic);
    this.recovery = new SessionRecovery(undo, settings, durable);
    this.#ackIntervalNs = BigInt(settings.sendAckIntervalMs) * NS_PER_MS;
    this.maxMessageBytes = maxMessageBytes(settings.maxReturnedBytes);
  }

  /**
   * `ws_open`: the caller opens a connection through `gateway_principal`. With a resume request
   * (only the caller's own session may be named), it gets that session back when the canister
   * still keeps it and every message the client missed, or else a fresh one; the open message says which.
   */
  open(caller: Principal, args: CanisterWsOpenArguments): WsResult {
    if (caller.isAnonymous()) return { Err: wsErrors.anonymousPrincipalNotAllowed() };
    const key: ClientKey = { client_principal: caller, client_nonce: args.client_nonce };
    const callerText = principalText(caller);
    const previous = this.clients.get(callerText);
    if (previous !== undefined && previous.key.client_nonce === key.client_nonce) {
      return { Err: wsErrors.clientKeyAlreadyConnected(key) };
    }
    const request = args.resume?.[0];
    if (request !== undefined && principalText(request.client_key.client_principal) !== callerText) {
      return { Err: wsErrors.resumeOfAnotherPrincipal(caller, request.client_key) };
    }
    const known = this.gateways.get(principalText(args.gateway_principal));
    if (known !== undefined && !this.#makeRoom(known, 0)) return { Err: wsErrors.gatewayQueueFullOnOpen(args.gateway_principal, this.settings) };
    const plan = request === undefined ? undefined : this.recovery.plan(callerText, request, previous === undefined ? undefined : numbersOf(previous), this.ic.time());
    if (plan?.kind === 'refuse') return { Err: wsErrors.resumeRefused(request!.client_key, plan.reason) };
    if (plan?.kind === 'resume') return this.#resume(key, callerText, args.gateway_principal, request!.last_incoming_sequence_num, plan);
    // Upstream drops the old connection without a word, leaving its client to find out from an
    // ack timeout; ClosedByApplication is the close reason upstream clients end on cleanly.
    if (previous !== undefined) this.#removeClient(previous, 'ClosedByApplication', 'Reopened');
    const gateway = this.gateways.attachClient(args.gateway_principal, principalText(args.gateway_principal));
    const client = ClientRegistry.create(key, callerText, gateway, this.ic.time());
    this.clients.add(client);
    this.recovery.begin(caller, callerText, key.client_nonce);
    if (plan !== undefined) this.recovery.countFresh();
    this.#enqueue(client, encodeServiceMessage(openMessage(key, plan && freshSession(plan.reason))), true, false);
    this.handlers.onOpen?.({ clientPrincipal: caller });
    return OK;
  }

  /** `ws_message`: a message (application or keep-alive) from the caller's connection. */
  message(caller: Principal, args: CanisterWsMessageArguments): WsResult {
    const client = this.clients.get(principalText(caller));
    if (client === undefined) return { Err: wsErrors.clientPrincipalNotConnected(caller) };
    const { msg } = args;
    if (msg.client_key.client_nonce !== client.key.client_nonce || principalText(msg.client_key.client_principal) !== client.principalText) {
      return { Err: wsErrors.clientKeyMessageMismatch(msg.client_key) };
    }
    const expected = client.expectedIncomingSequenceNum;
    if (msg.sequence_num !== expected) {
      // A resumed client re-sends what it could not know had arrived: the repeat is dropped.
      if (msg.sequence_num < expected && this.recovery.isResumed(client.principalText)) return OK;
      this.#removeClient(client, 'WrongSequenceNumber', 'WrongSequenceNumber');
      return { Err: wsErrors.incomingSequenceNumberWrong(expected, msg.sequence_num) };
    }
    this.clients.acceptIncoming(client);
    this.recovery.confirm(client.principalText, client);
    if (msg.is_service_message) return this.#serviceMessage(client, msg.content);
    this.handlers.onMessage?.({ clientPrincipal: client.key.client_principal, message: msg.content });
    return OK;
  }

  /** `ws_close`: the caller, a gateway, reports that a client's WebSocket closed. */
  closeFromGateway(caller: Principal, args: CanisterWsCloseArguments): WsResult {
    const gateway = this.gateways.get(principalText(caller));
    if (gateway === undefined) return { Err: wsErrors.gatewayNotRegistered(caller) };
    const key = args.client_key;
    const client = this.clients.get(principalText(key.client_principal));
    if (client === undefined || client.key.client_nonce !== key.client_nonce) return { Err: wsErrors.clientKeyNotConnected(key) };
    if (client.gateway !== gateway) return { Err: wsErrors.clientNotRegisteredToGateway(key, caller) };
    this.#removeClient(client, undefined, 'ClosedByGateway');
    return OK;
  }

  /**
   * `ws_get_messages`: the caller's queued messages from `nonce` on, up to the maximum in number and
   * in reply bytes (but at least one), with one certificate and a witness of exactly those keys.
   * The maximum in number is `maxMessages` when the gateway asks for one, within
   * `maxRequestedMessages`, else `maxNumberOfReturnedMessages`. Notes that the gateway has every
   * message below `nonce`. Unknown gateways and drained queues get an empty result. O(log n + k)
   * for k messages returned.
   */
  getMessages(caller: Principal, nonce: bigint, maxMessages?: bigint): CanisterWsGetMessagesResult {
    const gateway = this.gateways.get(principalText(caller));
    return gateway === undefined ? emptyMessages() : this.#poll(gateway, gateway.queue, this.certification, nonce, maxMessages);
  }

  /**
   * @returns the state as it is now, frozen for {@link WsCertifiedView.getMessages}: the queues and
   *   the certification tree stay as they are now while later messages change them. O(gateways).
   */
  certifiedView(): WsCertifiedView {
    const queues = new Map<string, { gateway: RegisteredGateway; queue: QueueView }>();
    for (const gateway of this.gateways.values()) queues.set(gateway.text, { gateway, queue: gateway.queue.snapshot() });
    const certification = this.certification.snapshot();
    return {
      getMessages: (caller, nonce, maxMessages) => {
        const entry = queues.get(principalText(caller));
        // A poll that has had every message of the frozen state waits for the round under way,
        // which may queue more for it: answering it empty would send it to sleep a polling interval.
        if (entry === undefined || nonce >= BigInt(entry.queue.nextNonce)) return DEFER_TO_CURRENT_STATE;
        return this.#poll(entry.gateway, entry.queue, certification, nonce, maxMessages);
      },
    };
  }

  /**
   * The reply to a poll of `gateway` from `nonce`, reading `queue` and `certification` (the live
   * ones, or frozen ones of the same moment). Notes in the live gateway that it has every message
   * below `nonce`.
   */
  #poll(gateway: RegisteredGateway, queue: QueueView, certification: CertificationWitness, nonce: bigint, maxMessages: bigint | undefined): CanisterWsGetMessagesResult {
    this.gateways.notePolled(gateway, nonce);
    if (nonce >= BigInt(queue.nextNonce)) return emptyMessages();
    const start = nonce <= BigInt(queue.firstNonce) ? queue.firstNonce : Number(nonce);
    const batch = queueRange(queue, start, this.#pollCount(maxMessages), messageBudget(this.settings.maxReturnedBytes), replyBytesOf);
    if (batch.length === 0) return emptyMessages();
    const cert = this.ic.dataCertificate();
    if (cert === undefined) return { Err: wsErrors.getMessagesNotInQuery() };
    const last = batch[batch.length - 1];
    return {
      Ok: {
        messages: batch.map((queued) => ({ client_key: queued.clientKey, key: messageKey(gateway, queued.nonce), content: queued.content })),
        cert,
        tree: certification.witness(messageKeyBytes(gateway, batch[0].nonce), messageKeyBytes(gateway, last.nonce)),
        is_end_of_queue: last.nonce + 1 === queue.nextNonce,
      },
    };
  }

  /** @returns how many messages a poll returns at most: what the gateway asked for (at least one) within the settings. */
  #pollCount(asked: bigint | undefined): number {
    const { maxNumberOfReturnedMessages, maxRequestedMessages } = this.settings;
    if (asked === undefined) return maxNumberOfReturnedMessages;
    return asked < 1n ? 1 : asked > BigInt(maxRequestedMessages) ? maxRequestedMessages : Number(asked);
  }

  /**
   * @returns the `Err` text for application `bytes` too large to fit a poll reply on their own, or
   * `undefined` when they fit
   */
  tooLarge(bytes: Uint8Array): string | undefined {
    if (bytes.length <= this.maxMessageBytes) return undefined;
    return wsErrors.messageTooLarge(bytes.length, this.maxMessageBytes, this.settings.maxReturnedBytes);
  }

  /**
   * Queues application `bytes` for `principal`'s connection. When its gateway's queue is full of
   * unpolled messages, the client is closed (`QueueFull`) instead.
   */
  send(principal: Principal, bytes: Uint8Array): WsResult {
    const tooLarge = this.tooLarge(bytes);
    if (tooLarge !== undefined) return { Err: tooLarge };
    const text = principalText(principal);
    const client = this.clients.get(text);
    if (client === undefined) {
      const away = this.recovery.suspended(text, this.ic.time());
      if (away === undefined) return { Err: wsErrors.clientPrincipalNotConnected(principal) };
      this.recovery.keepForSuspended(away, this.#owned(bytes), this.ic.time());
      return OK;
    }
    if (this.#enqueue(client, this.#owned(bytes), false)) return OK;
    return { Err: this.#closeForFullQueue(client) };
  }

  /**
   * Queues the same application `bytes` (which must pass {@link tooLarge}) for every client `filter`
   * accepts; clients whose gateway's queue is full are closed instead. @returns how many got it.
   */
  broadcast(bytes: Uint8Array, filter?: (clientPrincipal: Principal) => boolean): number {
    const owned = this.#owned(bytes);
    let sent = 0;
    for (const client of [...this.clients.values()]) {
      if (filter !== undefined && !filter(client.key.client_principal)) continue;
      if (this.clients.get(client.principalText) !== client) continue; // closed by the filter
      if (this.#enqueue(client, owned, false)) sent++;
      else this.#closeForFullQueue(client);
    }
    if (!this.recovery.enabled) return sent;
    // Sessions whose connection was lost keep it for their resume.
    const nowNs = this.ic.time();
    for (const session of [...this.recovery.values()]) {
      if (session.suspended === undefined) continue;
      if (filter !== undefined && !filter(session.principal)) continue;
      if (this.recovery.suspended(session.principalText, nowNs) !== session) continue; // expired, or closed by the filter
      this.recovery.keepForSuspended(session, owned, nowNs);
      sent++;
    }
    return sent;
  }

  /**
   * Closes `principal`'s connection, telling the client with `ClosedByApplication`; for a client
   * whose connection was lost, forgets its session instead (a resume gets a fresh one).
   */
  close(principal: Principal): WsResult {
    const text = principalText(principal);
    const client = this.clients.get(text);
    if (client === undefined) {
      if (this.recovery.suspended(text, this.ic.time()) === undefined) return { Err: wsErrors.clientPrincipalNotConnected(principal) };
      this.recovery.discard(text);
      return OK;
    }
    this.#removeClient(client, 'ClosedByApplication', 'ClosedByApplication');
    return OK;
  }

  /** Queues a service message for `client` (acks); closes the client when its gateway's queue is full. */
  sendService(client: RegisteredClient, content: Uint8Array): void {
    if (!this.#enqueue(client, content, true)) this.#closeForFullQueue(client);
  }

  /** Ends `client`'s connection, with a close message of `reason` when given. */
  removeClient(client: RegisteredClient, reason: CloseReasonKind | undefined, cause: WsCloseCause): void {
    this.#removeClient(client, reason, cause);
  }

  /** Forgets the sessions whose connection was lost longer than the recovery window ago. */
  sweepRecovery(): void {
    this.recovery.sweep(this.ic.time());
  }

  /** Unregisters gateways without clients for more than the ack interval, with their queues. */
  removeIdleGateways(): void {
    for (const gateway of this.gateways.removeIdle(this.ic.time(), this.#ackIntervalNs)) {
      for (const queued of gateway.queue) this.certification.remove(messageKeyBytes(gateway, queued.nonce));
    }
  }

  #serviceMessage(client: RegisteredClient, content: Uint8Array): WsResult {
    let decoded;
    try {
      decoded = decodeServiceMessage(content);
    } catch (err) {
      if (err instanceof ProtocolError) return { Err: wsErrors.decodeServiceMessageContent(err.message) };
      throw err;
    }
    if (!('KeepAliveMessage' in decoded)) return { Err: wsErrors.invalidServiceMessage() };
    this.clients.keepAlive(client, this.ic.time());
    this.recovery.confirm(client.principalText, client, decoded.KeepAliveMessage.last_incoming_sequence_num);
    return OK;
  }

  /**
   * Gives the caller's session, connected through a gateway that no longer serves it or suspended,
   * to its new connection: the open message follows the last message the client received, then
   * the messages it missed, renumbered after it; what the canister received from it stays counted.
   */
  #resume(key: ClientKey, callerText: string, gatewayPrincipal: GatewayPrincipal, received: bigint, plan: Extract<ResumePlan, { kind: 'resume' }>): WsResult {
    const nowNs = this.ic.time();
    const previous = this.clients.get(callerText);
    if (previous !== undefined) {
      // The client has left that connection: it gives way without a close message or onClose.
      this.clients.remove(previous);
      this.gateways.detachClient(previous.gateway, nowNs);
    }
    const gateway = this.gateways.attachClient(gatewayPrincipal, principalText(gatewayPrincipal));
    const client = ClientRegistry.create(key, callerText, gateway, nowNs);
    client.expectedIncomingSequenceNum = plan.expectedIncomingSequenceNum;
    client.lastOutgoingSequenceNum = received;
    this.clients.add(client);
    this.recovery.resume(callerText, key.client_nonce, received);
    const outcome = resumedSession(BigInt(plan.missed.length), plan.expectedIncomingSequenceNum - 1n);
    this.#enqueue(client, encodeServiceMessage(openMessage(key, outcome)), true, false);
    // Bounded by the recovery limits rather than the queue's, like the open message itself.
    for (const missed of plan.missed) this.#enqueue(client, missed.content, false, false);
    this.handlers.onResume?.({ clientPrincipal: key.client_principal, recoveredMessages: plan.missed.length, gatewayPrincipal });
    return OK;
  }

  /** @returns `bytes` as the kit may keep them for a resume: a copy the application cannot change. */
  #owned(bytes: Uint8Array): Uint8Array {
    return this.recovery.enabled ? bytes.slice() : bytes;
  }

  #removeClient(client: RegisteredClient, reason: CloseReasonKind | undefined, cause: WsCloseCause): void {
    if (this.clients.get(client.principalText) !== client) return; // closed already, by a handler
    // A close message is queued even into a full queue: it is one per client, and the client
    // must learn why its messages stop.
    if (reason !== undefined) this.#enqueue(client, encodeServiceMessage(closeMessage(reason)), true, false);
    this.clients.remove(client);
    const nowNs = this.ic.time();
    this.gateways.detachClient(client.gateway, nowNs);
    const resumable = this.recovery.enabled && RESUMABLE_CAUSES.has(cause);
    if (resumable) this.recovery.suspend(client.principalText, numbersOf(client), nowNs);
    else this.recovery.discard(client.principalText);
    this.handlers.onClose?.({ clientPrincipal: client.key.client_principal, cause, resumable });
  }

  /** Closes `client` because its gateway's queue is full. @returns the `Err` text saying so. */
  #closeForFullQueue(client: RegisteredClient): string {
    const { gateway } = client;
    const text = wsErrors.gatewayQueueFull(gateway.principal, client.key.client_principal, gateway.queue.length, gateway.queue.bytes, this.settings);
    gateway.queueFullClosures++;
    this.undo.record(() => gateway.queueFullClosures--);
    this.#removeClient(client, 'KeepAliveTimeout', 'QueueFull');
    return text;
  }

  /**
   * Certifies and queues one message for `client`: the upstream CDK's `_ws_send`. O(log n).
   * A `bounded` message needs room under the queue's limits.
   * @returns false, having queued nothing, when there is no room
   */
  #enqueue(client: RegisteredClient, content: Uint8Array, isServiceMessage: boolean, bounded = true): boolean {
    const { gateway } = client;
    const nowNs = this.ic.time();
    this.#pruneOld(gateway, nowNs);
    const bytes = encodeWebsocketMessage({
      client_key: client.key,
      sequence_num: client.lastOutgoingSequenceNum + 1n,
      timestamp: nowNs,
      is_service_message: isServiceMessage,
      content,
    });
    if (bounded && !this.#makeRoom(gateway, bytes.length)) return false;
    this.clients.nextOutgoing(client);
    const nonce = gateway.queue.nextNonce;
    this.certification.add(messageKeyBytes(gateway, nonce), bytes);
    gateway.queue.push({ nonce, clientKey: client.key, content: bytes, timestampNs: nowNs });
    gateway.enqueued++;
    this.undo.record(() => {
      gateway.queue.pop();
      gateway.enqueued--;
    });
    if (!isServiceMessage) this.recovery.retain(client.principalText, client.lastOutgoingSequenceNum, content, nowNs);
    else this.recovery.noteSent(client.principalText, client);
    return true;
  }

  /**
   * Drops up to MESSAGES_TO_DELETE_COUNT messages from the front that are older than the ack
   * interval and that the gateway has polled: a message it has not fetched stays, however old, or
   * the gateway would see a gap in the nonces.
   */
  #pruneOld(gateway: RegisteredGateway, nowNs: bigint): void {
    for (let i = 0; i < MESSAGES_TO_DELETE_COUNT; i++) {
      const oldest = gateway.queue.front();
      if (oldest === undefined || oldest.nonce >= gateway.polledNonce || nowNs - oldest.timestampNs <= this.#ackIntervalNs) return;
      this.#dropFront(gateway);
    }
  }

  /**
   * Makes room for one more message of `bytes` under the queue's limits, dropping polled messages
   * from the front whatever their age. @returns false when unpolled messages alone fill the queue
   */
  #makeRoom(gateway: RegisteredGateway, bytes: number): boolean {
    const { queue } = gateway;
    const { maxQueuedMessages, maxQueuedBytes } = this.settings;
    while (queue.length + 1 > maxQueuedMessages || queue.bytes + bytes > maxQueuedBytes) {
      const oldest = queue.front();
      if (oldest === undefined || oldest.nonce >= gateway.polledNonce) return false;
      this.#dropFront(gateway);
    }
    return true;
  }

  /** Drops the oldest message of `gateway`'s queue, which the gateway has polled. */
  #dropFront(gateway: RegisteredGateway): void {
    const oldest = gateway.queue.shift()!;
    gateway.pruned++;
    this.certification.remove(messageKeyBytes(gateway, oldest.nonce));
    this.undo.record(() => {
      gateway.queue.unshift(oldest);
      gateway.pruned--;
    });
  }
}

/** @returns where `client`'s numbering stands. */
function numbersOf(client: RegisteredClient): { nonce: bigint; lastOutgoingSequenceNum: bigint; expectedIncomingSequenceNum: bigint } {
  return { nonce: client.key.client_nonce, lastOutgoingSequenceNum: client.lastOutgoingSequenceNum, expectedIncomingSequenceNum: client.expectedIncomingSequenceNum };
}

/** A frozen state of the WebSocket protocol: see {@link WebSocketState.certifiedView}. @internal */
export interface WsCertifiedView {
  /**
   * {@link WebSocketState.getMessages} against the frozen state, or {@link DEFER_TO_CURRENT_STATE}
   * when it holds no message from `nonce` on (or no queue of the caller).
   */
  getMessages(caller: Principal, nonce: bigint, maxMessages?: bigint): CanisterWsGetMessagesResult | typeof DEFER_TO_CURRENT_STATE;
}

/** What a poll needs of the certification: witnesses of key ranges. */
interface CertificationWitness {
  witness(firstKey: Uint8Array, lastKey: Uint8Array): Uint8Array;
}

/** @returns the key of the message at `nonce` in `gateway`'s queue: the protocol's `formatMessageKey`, with the gateway's text cached. */
function messageKey(gateway: RegisteredGateway, nonce: number): string {
  return `${gateway.text}_${formatMessageKeyNonce(BigInt(nonce))}`;
}

/** @returns the UTF-8 of {@link messageKey}, the message's label in the certification tree. */
function messageKeyBytes(gateway: RegisteredGateway, nonce: number): Uint8Array {
  return utf8.encode(messageKey(gateway, nonce));
}

function emptyMessages(): CanisterWsGetMessagesResult {
  return { Ok: { messages: [], cert: new Uint8Array(), tree: new Uint8Array(), is_end_of_queue: true } };
}
