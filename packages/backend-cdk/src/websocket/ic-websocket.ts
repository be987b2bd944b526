/**
 * `createIcWebSocket`: IC WebSockets for a canister in a few lines. It returns the four `ws_*`
 * methods (Candid of the upstream `ws_types.did`, plus the `opt` field of the resume extension,
 * which upstream peers ignore) to spread into the canister's methods, and the functions to push
 * messages to clients. Clients that lose their connection can resume their session within the
 * recovery window, through any gateway, without losing a message.
 *
 * ```ts
 * export default defineCanister((ic) => {
 *   const ws = createIcWebSocket<AppMessage>(ic, {
 *     appMessage: AppMessageIdl,
 *     onOpen: ({ clientPrincipal }) => ws.sendMessage(clientPrincipal, { text: 'hello' }),
 *     onMessage: ({ clientPrincipal, message }) => ws.sendMessage(clientPrincipal, ws.decodeMessage(message)),
 *   });
 *   return { ...ws.methods };
 * });
 * ```
 */
import { IDL } from '@icp-sdk/core/candid';
import type { Principal } from '@icp-sdk/core/principal';
import {
  CLIENT_KEEP_ALIVE_TIMEOUT_MS,
  CanisterWsOpenResultIdl,
  DEFAULT_MAX_NUMBER_OF_RETURNED_MESSAGES,
  DEFAULT_SEND_ACK_INTERVAL_MS,
  compileCandid,
  decodeCandid,
  decodeWsGetMessagesArgsFast,
  decodeWsMessageArgsFast,
  encodeCandid,
  principalText,
  wsServiceMethods,
  type CanisterWsCloseArguments,
  type CanisterWsGetMessagesArguments,
  type CanisterWsMessageArguments,
  type CanisterWsOpenArguments,
} from '@icws/protocol';
import type { CanisterContext, MethodDefinition } from '../canister/define';
import type { RegisteredClient } from './client-registry';
import { DurableSessions } from './durable-sessions';
import { appMessageError, configError, messageTooLargeError } from './errors';
import type { RegisteredGateway } from './gateway-registry';
import { KeepAlive } from './keep-alive';
import {
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_MESSAGES,
  DEFAULT_MAX_REQUESTED_MESSAGES,
  DEFAULT_MAX_RETURNED_BYTES,
  MAX_QUERY_REPLY_BYTES,
  maxMessageBytes,
} from './reply-size';
import type { SessionRecovery } from './session-recovery';
import type { WsClientInfo, WsGatewayMetrics, WsHandlers, WsMetrics, WsRecoveryMetrics, WsResult, WsSettings } from './types';
import { rollbackUndoLog } from './undo-log';
import { WebSocketState } from './websocket-state';

/** Candid of the result of `send`: `variant { Ok : null; Err : text }`, as upstream's `CanisterSendResult`. */
export const CanisterSendResultIdl = CanisterWsOpenResultIdl;
/** Candid of the result of `close`: `variant { Ok : null; Err : text }`, as upstream's `CanisterCloseResult`. */
export const CanisterCloseResultIdl = CanisterWsOpenResultIdl;

/** Default of `recoveryWindowMs`: how long a lost connection's session can be resumed (2 minutes). */
export const DEFAULT_RECOVERY_WINDOW_MS = 120_000;
/** Default of `maxRecoveryMessages`: application messages kept per client for its resume. */
export const DEFAULT_MAX_RECOVERY_MESSAGES = 1_000;
/** Default of `maxRecoveryBytes`: bytes of application messages kept per client for its resume (1 MiB). */
export const DEFAULT_MAX_RECOVERY_BYTES = 1024 * 1024;

/** Options of {@link createIcWebSocket}: handlers, the app message type and settings. */
export interface IcWebSocketOptions extends WsHandlers, Partial<WsSettings> {
  /**
   * The Candid type of application messages. It becomes the `opt` second argument of
   * `ws_message`, where clients learn it from the canister's interface, and types
   * `sendMessage` / `decodeMessage` (give the matching TypeScript type as the type parameter:
   * `createIcWebSocket<AppMessage>(ic, { appMessage: AppMessageIdl })`).
   * @default IDL.Null (what the upstream client's interface declares)
   */
  appMessage?: IDL.Type;
  /**
   * Keeps the sessions clients may resume (their nonces, numbering and retained messages) in the
   * canister's stable memory as well as its heap, so that they survive a replica restart or an
   * upgrade: afterwards every known session counts as suspended from the moment the canister
   * started again, and its client resumes it within the recovery window as after a lost
   * connection. Each write belongs to the message making it, like the heap change it mirrors.
   * Costs one stable write per application message sent and per message received. `false`
   * keeps sessions in the heap only. Needs a host with stable memory (`ic.stableStore`).
   * @default true when the host offers stable memory and `recoveryWindowMs` is above 0
   */
  durableSessions?: boolean;
}

/** The `ws_*` methods to spread into a canister's methods. */
export type IcWebSocketMethods = {
  ws_open: MethodDefinition;
  ws_close: MethodDefinition;
  ws_message: MethodDefinition;
  ws_get_messages: MethodDefinition;
};

/** A canister's WebSocket endpoint, made by {@link createIcWebSocket}. */
export interface IcWebSocket<AppMessage = unknown> {
  /** `ws_open`, `ws_close`, `ws_message` (updates) and `ws_get_messages` (query). */
  readonly methods: IcWebSocketMethods;
  /** The settings in force, defaults filled in. */
  readonly settings: Readonly<WsSettings>;
  /** The Candid type of application messages. */
  readonly appMessage: IDL.Type;
  /**
   * The largest message `send` and `broadcast` accept, in bytes: one that fits a `ws_get_messages`
   * reply on its own (`settings.maxReturnedBytes` less the reply's overhead).
   */
  readonly maxMessageBytes: number;
  /**
   * Queues `bytes` (a Candid-encoded app message) for `clientPrincipal`'s connection, certified.
   * O(log n) in the queued messages. Call it from update methods, handlers and timers.
   * For a client whose connection was lost (its `onClose` said `resumable`), the message is kept
   * for its resume within the recovery window instead.
   * @returns `Ok`, or `Err` naming the problem: the principal has no connection (nor a session to
   * resume); the message is larger than {@link maxMessageBytes}; its gateway's queue is full of
   * unpolled messages (the client is then closed, its `onClose` cause `QueueFull`)
   */
  send(clientPrincipal: Principal, bytes: Uint8Array): WsResult;
  /** {@link send} of `message` encoded as the app message type. @throws CdkError `ICWS_ERR_WS_APP_MESSAGE` when it does not fit */
  sendMessage(clientPrincipal: Principal, message: AppMessage): WsResult;
  /**
   * Queues the same `bytes` for every connected client, or those `filter` accepts; certifies once.
   * Clients whose gateway's queue is full of unpolled messages are closed instead (`QueueFull`);
   * clients whose connection was lost within the recovery window get it kept for their resume.
   * O(log n) per recipient. @returns how many clients it was queued for
   * @throws CdkError `ICWS_ERR_WS_MESSAGE_TOO_LARGE` when `bytes` is larger than {@link maxMessageBytes}; nothing is queued
   */
  broadcast(bytes: Uint8Array, filter?: (clientPrincipal: Principal) => boolean): number;
  /** {@link broadcast} of `message` encoded as the app message type. @throws CdkError `ICWS_ERR_WS_APP_MESSAGE`, `ICWS_ERR_WS_MESSAGE_TOO_LARGE` */
  broadcastMessage(message: AppMessage, filter?: (clientPrincipal: Principal) => boolean): number;
  /**
   * Closes `clientPrincipal`'s connection: the client gets a close message (`ClosedByApplication`)
   * and `onClose` runs. Not from `onClose` itself. For a client whose connection was lost, forgets
   * its session: a resume gets a fresh one.
   * @returns `Ok`, or `Err` when the principal has no connection nor a session to resume
   */
  close(clientPrincipal: Principal): WsResult;
  /** @returns `message` Candid-encoded as the app message type. @throws CdkError `ICWS_ERR_WS_APP_MESSAGE` */
  encodeMessage(message: AppMessage): Uint8Array;
  /** @returns the app message in Candid `bytes` (as `onMessage` gets them). @throws CdkError `ICWS_ERR_WS_APP_MESSAGE` */
  decodeMessage(bytes: Uint8Array): AppMessage;
  /** @returns whether `clientPrincipal` has an open connection. O(1). */
  isConnected(clientPrincipal: Principal): boolean;
  /** @returns `clientPrincipal`'s connection, if open. O(1). */
  client(clientPrincipal: Principal): WsClientInfo | undefined;
  /** @returns every open connection, in the order they opened. O(n). */
  clients(): WsClientInfo[];
  /** How many connections are open. O(1). */
  readonly clientCount: number;
  /** @returns the queues of all registered gateways. O(gateways). */
  metrics(): WsMetrics;
}

/**
 * Adds the server side of the IC WebSocket protocol to a canister. Call it once, in the canister's
 * factory (it starts the ack timer). The CDK owns the canister's certified data: it certifies
 * every queued message there.
 * @param ic - the canister's context, as `defineCanister` passes it
 * @param options - handlers, app message type and settings
 * @throws CdkError `ICWS_ERR_WS_CONFIG` when a setting is out of range
 */
export function createIcWebSocket<AppMessage = unknown>(ic: CanisterContext, options: IcWebSocketOptions = {}): IcWebSocket<AppMessage> {
  const settings = resolveSettings(options);
  const appMessage: IDL.Type = options.appMessage ?? IDL.Null;
  const handlers: WsHandlers = {
    onOpen: options.onOpen?.bind(options),
    onMessage: options.onMessage?.bind(options),
    onClose: options.onClose?.bind(options),
    onResume: options.onResume?.bind(options),
  };
  const state = new WebSocketState(ic, settings, handlers, rollbackUndoLog(ic), durableSessions(ic, options.durableSessions, settings));
  state.recovery.restore(ic.time());
  new KeepAlive(ic, state).start();
  if (state.recovery.enabled) ic.setTimerInterval(settings.recoveryWindowMs, () => state.sweepRecovery());

  const signatures = wsServiceMethods(appMessage);
  const decodeGetMessagesArgs = (bytes: Uint8Array): unknown[] | undefined => {
    const args = decodeWsGetMessagesArgsFast(bytes);
    return args && [args];
  };
  // Polls arriving while a round executes or is signed read the state the latest certificate covers.
  ic.setCertifiedQueries?.(() => {
    const view = state.certifiedView();
    return {
      ws_get_messages: method(
        'query',
        signatures.ws_get_messages,
        (args: CanisterWsGetMessagesArguments) => view.getMessages(ic.caller(), args.nonce, args.max_messages?.[0]),
        decodeGetMessagesArgs,
      ),
    };
  });
  const methods: IcWebSocketMethods = {
    ws_open: method('update', signatures.ws_open, (args: CanisterWsOpenArguments) => state.open(ic.caller(), args)),
    ws_close: method('update', signatures.ws_close, (args: CanisterWsCloseArguments) => state.closeFromGateway(ic.caller(), args)),
    // The second argument only shows the app message type in the interface; clients send it empty.
    ws_message: method('update', signatures.ws_message, (args: CanisterWsMessageArguments) => state.message(ic.caller(), args), (bytes) => {
      const args = decodeWsMessageArgsFast(bytes);
      return args && [args, []];
    }),
    ws_get_messages: method(
      'query',
      signatures.ws_get_messages,
      (args: CanisterWsGetMessagesArguments) => state.getMessages(ic.caller(), args.nonce, args.max_messages?.[0]),
      decodeGetMessagesArgs,
    ),
  };

  // The app message type's Candid header is built once, not per message.
  const appCodec = compileCandid([appMessage]);
  const encodeMessage = (message: AppMessage): Uint8Array => {
    try {
      return appCodec === undefined ? encodeCandid([appMessage], [message]) : appCodec.encode([message]);
    } catch (err) {
      throw appMessageError(`the message does not fit the app message type ${appMessage.display()}: ${(err as Error).message}`);
    }
  };

  const broadcast = (bytes: Uint8Array, filter?: (clientPrincipal: Principal) => boolean): number => {
    const tooLarge = state.tooLarge(bytes);
    if (tooLarge !== undefined) throw messageTooLargeError(`broadcast: ${tooLarge}`);
    return state.broadcast(bytes, filter);
  };

  return {
    methods,
    settings,
    appMessage,
    maxMessageBytes: state.maxMessageBytes,
    send: (clientPrincipal, bytes) => state.send(clientPrincipal, checkBytes(bytes)),
    sendMessage: (clientPrincipal, message) => state.send(clientPrincipal, encodeMessage(message)),
    broadcast: (bytes, filter) => broadcast(checkBytes(bytes), filter),
    broadcastMessage: (message, filter) => broadcast(encodeMessage(message), filter),
    close: (clientPrincipal) => state.close(clientPrincipal),
    encodeMessage,
    decodeMessage: (bytes) => {
      const fast = appCodec?.decode(checkBytes(bytes));
      if (fast !== undefined) return fast[0] as AppMessage;
      try {
        return decodeCandid([appMessage], bytes, 'app message')[0] as AppMessage;
      } catch (err) {
        throw appMessageError(`the bytes are not an app message of type ${appMessage.display()}: ${(err as Error).message}`);
      }
    },
    isConnected: (clientPrincipal) => state.clients.get(principalText(clientPrincipal)) !== undefined,
    client: (clientPrincipal) => {
      const client = state.clients.get(principalText(clientPrincipal));
      return client === undefined ? undefined : clientInfo(client);
    },
    clients: () => Array.from(state.clients.values(), clientInfo),
    get clientCount() {
      return state.clients.size;
    },
    metrics: () => ({
      connectedClients: state.clients.size,
      registeredGateways: state.gateways.size,
      certifiedMessages: state.certification.size,
      gateways: Array.from(state.gateways.values(), gatewayMetrics),
      recovery: recoveryMetrics(state.recovery),
    }),
  };
}

/**
 * A method with the Candid signature of `func`, exactly as the protocol package declares it, and
 * a fast decoder for the encodings gateways and clients send.
 */
function method<A extends unknown[]>(
  mode: 'update' | 'query',
  func: IDL.FuncClass,
  implementation: (...args: A) => unknown,
  decodeArguments?: (bytes: Uint8Array) => unknown[] | undefined,
): MethodDefinition {
  return { mode, argTypes: func.argTypes, retTypes: func.retTypes, implementation: implementation as MethodDefinition['implementation'], decodeArguments };
}

function resolveSettings(options: Partial<WsSettings>): WsSettings {
  const maxNumberOfReturnedMessages = options.maxNumberOfReturnedMessages ?? DEFAULT_MAX_NUMBER_OF_RETURNED_MESSAGES;
  const settings: WsSettings = {
    sendAckIntervalMs: options.sendAckIntervalMs ?? DEFAULT_SEND_ACK_INTERVAL_MS,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? CLIENT_KEEP_ALIVE_TIMEOUT_MS,
    maxNumberOfReturnedMessages,
    maxRequestedMessages: options.maxRequestedMessages ?? Math.max(DEFAULT_MAX_REQUESTED_MESSAGES, maxNumberOfReturnedMessages),
    maxReturnedBytes: options.maxReturnedBytes ?? DEFAULT_MAX_RETURNED_BYTES,
    maxQueuedMessages: options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES,
    maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
    recoveryWindowMs: options.recoveryWindowMs ?? DEFAULT_RECOVERY_WINDOW_MS,
    maxRecoveryMessages: options.maxRecoveryMessages ?? DEFAULT_MAX_RECOVERY_MESSAGES,
    maxRecoveryBytes: options.maxRecoveryBytes ?? DEFAULT_MAX_RECOVERY_BYTES,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (name === 'recoveryWindowMs') {
      if (!Number.isSafeInteger(value) || value < 0) throw configError(`recoveryWindowMs must be an integer >= 0 (0 keeps no sessions to resume), got ${String(value)}`);
    } else if (!Number.isSafeInteger(value) || value <= 0) {
      throw configError(`${name} must be a positive integer, got ${String(value)}`);
    }
  }
  if (settings.sendAckIntervalMs <= settings.keepAliveTimeoutMs) {
    throw configError(
      `sendAckIntervalMs (${settings.sendAckIntervalMs}) must be greater than keepAliveTimeoutMs (${settings.keepAliveTimeoutMs}): ` +
        'clients are acked again only after the keep-alive check',
    );
  }
  if (settings.maxRequestedMessages < settings.maxNumberOfReturnedMessages) {
    throw configError(
      `maxRequestedMessages (${settings.maxRequestedMessages}) must be at least maxNumberOfReturnedMessages (${settings.maxNumberOfReturnedMessages}): ` +
        'a gateway that asks for a count must not get fewer messages than one that does not',
    );
  }
  if (settings.maxReturnedBytes > MAX_QUERY_REPLY_BYTES) {
    throw configError(`maxReturnedBytes (${settings.maxReturnedBytes}) must be at most ${MAX_QUERY_REPLY_BYTES}: the IC refuses a larger query reply`);
  }
  if (maxMessageBytes(settings.maxReturnedBytes) < 1) {
    throw configError(
      `maxReturnedBytes (${settings.maxReturnedBytes}) leaves no room for a message: a reply needs ` +
        `${settings.maxReturnedBytes - maxMessageBytes(settings.maxReturnedBytes)} bytes besides its messages' contents`,
    );
  }
  if (settings.maxQueuedBytes < settings.maxReturnedBytes) {
    throw configError(`maxQueuedBytes (${settings.maxQueuedBytes}) must be at least maxReturnedBytes (${settings.maxReturnedBytes}): a queue must hold the largest message`);
  }
  return Object.freeze(settings);
}

/** @returns where sessions are kept in stable memory, or `undefined` to keep them in the heap only. */
function durableSessions(ic: CanisterContext, option: boolean | undefined, settings: WsSettings): DurableSessions | undefined {
  // Older hosts build contexts without stable memory, whatever the type says.
  const store = (ic as Partial<Pick<CanisterContext, 'stableStore'>>).stableStore;
  if (option === true && store === undefined) throw configError('durableSessions is true, but the host offers no stable memory (ic.stableStore): leave the option out, or run on a host with stable memory');
  if (option === false || store === undefined || settings.recoveryWindowMs === 0) return undefined;
  return new DurableSessions(store);
}

function checkBytes(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw appMessageError(`expected the message as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  return bytes;
}

function clientInfo(client: RegisteredClient): WsClientInfo {
  return {
    clientPrincipal: client.key.client_principal,
    clientNonce: client.key.client_nonce,
    gatewayPrincipal: client.gateway.principal,
    openedAtNs: client.openedAtNs,
    lastKeepAliveNs: client.lastKeepAliveNs,
    messagesSent: client.lastOutgoingSequenceNum,
    messagesReceived: client.expectedIncomingSequenceNum - 1n,
  };
}

function recoveryMetrics(recovery: SessionRecovery): WsRecoveryMetrics {
  const metrics: WsRecoveryMetrics = { suspendedSessions: 0, retainedMessages: 0, retainedBytes: 0, resumedTotal: recovery.totals.resumed, freshSessionsTotal: recovery.totals.fresh };
  for (const session of recovery.values()) {
    if (session.suspended !== undefined) metrics.suspendedSessions++;
    metrics.retainedMessages += session.messages.length;
    metrics.retainedBytes += session.messages.bytes;
  }
  return metrics;
}

function gatewayMetrics(gateway: RegisteredGateway): WsGatewayMetrics {
  const { queue } = gateway;
  return {
    gatewayPrincipal: gateway.principal,
    connectedClients: gateway.clientCount,
    queuedMessages: queue.length,
    queuedBytes: queue.bytes,
    firstNonce: BigInt(queue.firstNonce),
    nextNonce: BigInt(queue.nextNonce),
    polledNonce: BigInt(gateway.polledNonce),
    oldestMessageTimestampNs: queue.front()?.timestampNs,
    enqueuedTotal: gateway.enqueued,
    prunedTotal: gateway.pruned,
    queueFullClosures: gateway.queueFullClosures,
    idleSinceNs: gateway.emptySinceNs,
  };
}
