import type { Principal } from '@icp-sdk/core/principal';
import {
  MESSAGES_TO_DELETE_COUNT,
  ProtocolError,
  closeMessage,
  decodeServiceMessage,
  encodeServiceMessage,
  encodeWebsocketMessage,
  formatMessageKeyNonce,
  openMessage,
  type CanisterWsCloseArguments,
  type CanisterWsGetMessagesResult,
  type CanisterWsMessageArguments,
  type CanisterWsOpenArguments,
  type ClientKey,
  type CloseReasonKind,
} from '@icws/protocol';
import type { CanisterContext } from '../canister/define';
import { ClientRegistry, type RegisteredClient } from './client-registry';
import { wsErrors } from './errors';
import { GatewayRegistry, type RegisteredGateway } from './gateway-registry';
import { MessageCertification } from './message-certification';
import type { WsCloseCause, WsHandlers, WsResult, WsSettings } from './types';
import type { UndoLog } from './undo-log';

const OK: WsResult = Object.freeze({ Ok: null }) as WsResult;
const NS_PER_MS = 1_000_000n;
const utf8 = new TextEncoder();

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
  readonly #ackIntervalNs: bigint;

  constructor(
    private readonly ic: CanisterContext,
    readonly settings: WsSettings,
    private readonly handlers: WsHandlers,
    private readonly undo: UndoLog,
  ) {
    this.clients = new ClientRegistry(undo);
    this.gateways = new GatewayRegistry(undo);
    this.certification = new MessageCertification(ic);
    this.#ackIntervalNs = BigInt(settings.sendAckIntervalMs) * NS_PER_MS;
  }

  /** `ws_open`: the caller opens a connection through `gateway_principal`. */
  open(caller: Principal, args: CanisterWsOpenArguments): WsResult {
    if (caller.isAnonymous()) return { Err: wsErrors.anonymousPrincipalNotAllowed() };
    const key: ClientKey = { client_principal: caller, client_nonce: args.client_nonce };
    const principalText = caller.toText();
    const previous = this.clients.get(principalText);
    if (previous !== undefined && previous.key.client_nonce === key.client_nonce) {
      return { Err: wsErrors.clientKeyAlreadyConnected(key) };
    }
    if (previous !== undefined) this.#removeClient(previous, undefined, 'Reopened');
    const gateway = this.gateways.attachClient(args.gateway_principal, args.gateway_principal.toText());
    const client = ClientRegistry.create(key, principalText, gateway, this.ic.time());
    this.clients.add(client);
    this.#enqueue(client, encodeServiceMessage(openMessage(key)), true);
    this.handlers.onOpen?.({ clientPrincipal: caller });
    return OK;
  }

  /** `ws_message`: a message (application or keep-alive) from the caller's connection. */
  message(caller: Principal, args: CanisterWsMessageArguments): WsResult {
    const client = this.clients.get(caller.toText());
    if (client === undefined) return { Err: wsErrors.clientPrincipalNotConnected(caller) };
    const { msg } = args;
    if (msg.client_key.client_nonce !== client.key.client_nonce || msg.client_key.client_principal.toText() !== client.principalText) {
      return { Err: wsErrors.clientKeyMessageMismatch(msg.client_key) };
    }
    const expected = client.expectedIncomingSequenceNum;
    if (msg.sequence_num !== expected) {
      this.#removeClient(client, 'WrongSequenceNumber', 'WrongSequenceNumber');
      return { Err: wsErrors.incomingSequenceNumberWrong(expected, msg.sequence_num) };
    }
    this.clients.acceptIncoming(client);
    if (msg.is_service_message) return this.#serviceMessage(client, msg.content);
    this.handlers.onMessage?.({ clientPrincipal: client.key.client_principal, message: msg.content });
    return OK;
  }

  /** `ws_close`: the caller, a gateway, reports that a client's WebSocket closed. */
  closeFromGateway(caller: Principal, args: CanisterWsCloseArguments): WsResult {
    const gateway = this.gateways.get(caller.toText());
    if (gateway === undefined) return { Err: wsErrors.gatewayNotRegistered(caller) };
    const key = args.client_key;
    const client = this.clients.get(key.client_principal.toText());
    if (client === undefined || client.key.client_nonce !== key.client_nonce) return { Err: wsErrors.clientKeyNotConnected(key) };
    if (client.gateway !== gateway) return { Err: wsErrors.clientNotRegisteredToGateway(key, caller) };
    this.#removeClient(client, undefined, 'ClosedByGateway');
    return OK;
  }

  /**
   * `ws_get_messages`: up to the maximum of the caller's queued messages from `nonce` on, with one
   * certificate and a witness of exactly those keys. Unknown gateways and drained queues get an
   * empty result. O(log n + k) for k messages returned.
   */
  getMessages(caller: Principal, nonce: bigint): CanisterWsGetMessagesResult {
    const gateway = this.gateways.get(caller.toText());
    if (gateway === undefined) return emptyMessages();
    const { queue } = gateway;
    if (nonce >= BigInt(queue.nextNonce)) return emptyMessages();
    const start = nonce <= BigInt(queue.firstNonce) ? queue.firstNonce : Number(nonce);
    const max = this.settings.maxNumberOfReturnedMessages;
    const batch = queue.range(start, max);
    if (batch.length === 0) return emptyMessages();
    const cert = this.ic.dataCertificate();
    if (cert === undefined) return { Err: wsErrors.getMessagesNotInQuery() };
    return {
      Ok: {
        messages: batch.map((queued) => queued.output),
        cert,
        tree: this.certification.witness(batch[0].keyBytes, batch[batch.length - 1].keyBytes),
        is_end_of_queue: queue.nextNonce - start <= max,
      },
    };
  }

  /** Queues application `bytes` for `principal`'s connection. */
  send(principal: Principal, bytes: Uint8Array): WsResult {
    const client = this.clients.get(principal.toText());
    if (client === undefined) return { Err: wsErrors.clientPrincipalNotConnected(principal) };
    this.#enqueue(client, bytes, false);
    return OK;
  }

  /** Queues the same application `bytes` for every client `filter` accepts. @returns how many. */
  broadcast(bytes: Uint8Array, filter?: (clientPrincipal: Principal) => boolean): number {
    let sent = 0;
    for (const client of [...this.clients.values()]) {
      if (filter !== undefined && !filter(client.key.client_principal)) continue;
      if (this.clients.get(client.principalText) !== client) continue; // closed by the filter
      this.#enqueue(client, bytes, false);
      sent++;
    }
    return sent;
  }

  /** Closes `principal`'s connection, telling the client with `ClosedByApplication`. */
  close(principal: Principal): WsResult {
    const client = this.clients.get(principal.toText());
    if (client === undefined) return { Err: wsErrors.clientPrincipalNotConnected(principal) };
    this.#removeClient(client, 'ClosedByApplication', 'ClosedByApplication');
    return OK;
  }

  /** Queues a service message for `client` (acks). */
  sendService(client: RegisteredClient, content: Uint8Array): void {
    this.#enqueue(client, content, true);
  }

  /** Ends `client`'s connection, with a close message of `reason` when given. */
  removeClient(client: RegisteredClient, reason: CloseReasonKind | undefined, cause: WsCloseCause): void {
    this.#removeClient(client, reason, cause);
  }

  /** Unregisters gateways without clients for more than the ack interval, with their queues. */
  removeIdleGateways(): void {
    for (const gateway of this.gateways.removeIdle(this.ic.time(), this.#ackIntervalNs)) {
      for (const queued of gateway.queue) this.certification.remove(queued.keyBytes);
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
    return OK;
  }

  #removeClient(client: RegisteredClient, reason: CloseReasonKind | undefined, cause: WsCloseCause): void {
    if (this.clients.get(client.principalText) !== client) return; // closed already, by a handler
    if (reason !== undefined) this.#enqueue(client, encodeServiceMessage(closeMessage(reason)), true);
    this.clients.remove(client);
    this.gateways.detachClient(client.gateway, this.ic.time());
    this.handlers.onClose?.({ clientPrincipal: client.key.client_principal, cause });
  }

  /** Certifies and queues one message for `client`: the upstream CDK's `_ws_send`. O(log n). */
  #enqueue(client: RegisteredClient, content: Uint8Array, isServiceMessage: boolean): void {
    const { gateway } = client;
    const nowNs = this.ic.time();
    this.#pruneOld(gateway, nowNs);
    const nonce = gateway.queue.nextNonce;
    const key = `${gateway.text}_${formatMessageKeyNonce(BigInt(nonce))}`;
    const bytes = encodeWebsocketMessage({
      client_key: client.key,
      sequence_num: this.clients.nextOutgoing(client),
      timestamp: nowNs,
      is_service_message: isServiceMessage,
      content,
    });
    const keyBytes = utf8.encode(key);
    this.certification.add(keyBytes, bytes);
    gateway.queue.push({ nonce, keyBytes, output: { client_key: client.key, key, content: bytes }, timestampNs: nowNs });
    gateway.enqueued++;
    this.undo.record(() => {
      gateway.queue.pop();
      gateway.enqueued--;
    });
  }

  /** Drops up to MESSAGES_TO_DELETE_COUNT messages older than the ack interval from the front. */
  #pruneOld(gateway: RegisteredGateway, nowNs: bigint): void {
    for (let i = 0; i < MESSAGES_TO_DELETE_COUNT; i++) {
      const oldest = gateway.queue.front();
      if (oldest === undefined || nowNs - oldest.timestampNs <= this.#ackIntervalNs) return;
      gateway.queue.shift();
      gateway.pruned++;
      this.certification.remove(oldest.keyBytes);
      this.undo.record(() => {
        gateway.queue.unshift(oldest);
        gateway.pruned--;
      });
    }
  }
}

function emptyMessages(): CanisterWsGetMessagesResult {
  return { Ok: { messages: [], cert: new Uint8Array(), tree: new Uint8Array(), is_end_of_queue: true } };
}
