/**
 * The configuration of an `IcWebSocket`: its type (shaped like the upstream `ic-websocket-js`
 * config, plus optional extras) and its checking, which turns a config into the settings a
 * connection runs with or names the field that is wrong.
 */
import { Actor, type ActorMethod, type ActorSubclass, type SignIdentity } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import {
  COMMUNICATION_LATENCY_BOUND_MS,
  CLIENT_OPEN_TIMEOUT_MS,
  DEFAULT_MAX_CERTIFICATE_AGE_MINUTES,
  DEFAULT_SEND_ACK_INTERVAL_MS,
  type CanisterWsMessageArguments,
  type CanisterWsMessageResult,
  type CanisterWsOpenArguments,
  type CanisterWsOpenResult,
} from '@icws/protocol';
import WebSocketImpl from 'isomorphic-ws';
import type { BlsVerifier } from './bls-backend';
import { isBlsVerifierName, sharedBlsVerifier, type BlsVerifierName } from './bls-verifier';
import { describeError, IcWebSocketError, IcWebSocketErrorCode as Code } from './errors';
import type { FetchFn } from './root-key';
import type { SocketConstructor } from './session';

/** The `ws_*` methods a canister's actor must have; `T` is its application message type. */
export interface WsCanisterService<T = any> {
  ws_message: ActorMethod<[CanisterWsMessageArguments, [] | [T]], CanisterWsMessageResult>;
  // Required<>: services generated from a .did that has the `resume` field take it as required,
  // upstream-shaped services do not know it; an argument carrying it fits both.
  ws_open: ActorMethod<[Required<CanisterWsOpenArguments>], CanisterWsOpenResult>;
}

/** The application message type of a canister service: the `opt` second argument of its `ws_message`. */
export type ApplicationMessageOf<S extends WsCanisterService> = Exclude<ArgumentsOf<S['ws_message']>[1], []>[0];

type ArgumentsOf<F> = F extends ActorMethod<infer A, any> ? A : never; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Reconnection settings. */
export interface ReconnectOptions {
  /** Ceiling of the first delay (full jitter below it); doubles with each attempt. @default 500 */
  minDelayMs?: number;
  /** Largest delay. @default 30_000 */
  maxDelayMs?: number;
  /** Attempts after a connection ended before giving up; counting restarts once a connection opens. @default Infinity */
  maxAttempts?: number;
  /**
   * Ask the canister to resume the session on each reconnection: the messages missed meanwhile
   * arrive, in order, and messages sent meanwhile reach it exactly once (`resumed` event). A
   * canister that cannot (window passed, upstream CDK) starts a new session (`newsession` event).
   * With `false`, every reconnection is a new session.
   * @default true
   */
  resume?: boolean;
  /**
   * Most messages `send` queues while reconnecting or during the paced flush after it; more throw `ICWS_ERR_SEND_QUEUE_FULL`. Also how
   * many sent messages the canister has not acknowledged yet are kept to be re-sent after a resume.
   * @default 1_000
   */
  maxQueuedMessages?: number;
  /** Most bytes of Candid `send` queues while reconnecting; as {@link maxQueuedMessages}. @default 1_048_576 (1 MiB) */
  maxQueuedBytes?: number;
  /**
   * Ceiling of the delay after a close that says the gateway is overloaded (close 1013,
   * `ICWS_ERR_OVERLOADED`, `ICWS_ERR_RELAY_BACKLOG`, `ICWS_ERR_REPLICA_OVERLOADED`): the delay is drawn
   * in [ceiling / 2, ceiling), and the ceiling doubles with each overload close in a row (5–10 s,
   * 10–20 s, 20–40 s, then 30–60 s with the defaults). The count restarts when a connection ends
   * otherwise, or after one that stayed open a minute.
   * @default 10_000
   */
  overloadDelayMs?: number;
  /** Largest ceiling of the delay after an overload close; see {@link overloadDelayMs}. @default 60_000 */
  overloadMaxDelayMs?: number;
  /**
   * Messages that go at once when a connection opens with messages to re-send or queued; the rest
   * follow at {@link flushRate}, and `send` queues behind them until all have gone. With the
   * defaults a gateway never holds more than 16 + 8 × 5 = 56 of them (its relay queue takes 64
   * calls, each relayed within 5 s of its arrival, by default).
   * @default 16
   */
  flushBurst?: number;
  /** Messages per second sent after {@link flushBurst} (`Infinity`: no pacing). @default 8 */
  flushRate?: number;
}

/** Configuration of an `IcWebSocket`; make one with {@link createWsConfig}. */
export interface IcWebSocketConfig<S extends WsCanisterService = WsCanisterService> {
  /** The canister to connect to. */
  canisterId: string | Principal;
  /**
   * An actor of the canister (`Actor.createActor` of the app's `@icp-sdk/core`, which this SDK
   * shares as a peer dependency): its `ws_message` method gives the Candid type of the messages.
   * Give either this or {@link idlFactory}.
   */
  canisterActor?: ActorSubclass<S>;
  /**
   * The canister's interface factory (as `dfx generate` writes it: `({ IDL }) => IDL.Service(…)`),
   * instead of an actor: for pages that load only this SDK (the browser bundle), or whose actor
   * comes from another agent library (such as `@dfinity/agent`). It is called with this SDK's `IDL`.
   */
  idlFactory?: IDL.InterfaceFactory;
  /**
   * Signs every envelope: any `SignIdentity`, including a `DelegationIdentity`; use
   * {@link generateRandomIdentity} for anonymous users. Its principal is the client's.
   */
  identity: SignIdentity;
  /**
   * The IC network the canister lives on (`https://icp-api.io` or a local replica such as
   * `http://127.0.0.1:4943`). Mainnet's root key is built in; a local network's is fetched from it.
   */
  networkUrl: string;
  /**
   * The canister's ack interval (its `sendAckIntervalMs`): must equal it. A sent message not
   * acknowledged within this plus {@link latencyBoundMs} closes the connection
   * (`ICWS_ERR_ACK_TIMEOUT`), and so does an open connection that gets no ack nor any other
   * certified message for that long (`ICWS_ERR_CANISTER_SILENT`): the canister acks every client
   * each interval, so silence means the gateway withholds messages or the replica is down.
   * @default 300_000
   */
  ackMessageIntervalMs?: number;
  /**
   * Upper bound on the latency between client and canister through the gateway: the margin added
   * to the ack interval before a missing ack or a silent canister closes the connection.
   * @default 30_000
   */
  latencyBoundMs?: number;
  /**
   * Largest application message `send` accepts, in bytes of Candid; a larger one throws
   * `ICWS_ERR_MESSAGE_TOO_LARGE` and is not sent. Below the gateway's frame limit (2 MiB by
   * default), which also counts the signed envelope around the message.
   * @default 1_048_576 (1 MiB)
   */
  maxMessageBytes?: number;
  /** Oldest certificate accepted on a canister message, in minutes. @default 5 */
  maxCertificateAgeInMinutes?: number;
  /** Time from creating the socket to the canister's open message. @default 60_000 */
  openTimeoutMs?: number;
  /**
   * Reopen the connection when it ends other than by `close()`, with jittered backoff, moving to
   * the next gateway of the list each attempt, and resume the session (see {@link ReconnectOptions}).
   * @default false
   */
  reconnect?: boolean | ReconnectOptions;
  /** The root key to check certificates against, instead of fetching or the built-in one. */
  rootKey?: Uint8Array;
  /**
   * What checks the BLS signatures of certificates: `'worker'`, mcl-wasm on a worker thread (Node)
   * or Web Worker (browsers), so the calling thread never waits on it; `'wasm'`, mcl-wasm on the
   * calling thread; `'noble'`, the pure-JavaScript verifier of `@icp-sdk/core` on the calling
   * thread; or a {@link BlsVerifier} of your own. A named verifier that cannot run here (no
   * WebAssembly, no workers) gives way to the next of worker → wasm → noble; all give the same
   * verdicts. The named ones are shared by every socket of the process.
   * @default 'worker'
   */
  blsVerifier?: BlsVerifierName | BlsVerifier;
  /** WebSocket constructor. @default the platform's `WebSocket` in browsers, `ws` in Node */
  WebSocket?: SocketConstructor;
  /** `fetch`, used to get a local network's root key. @default globalThis.fetch */
  fetch?: FetchFn;
}

/** @returns `config`, typed; for symmetry with the upstream client. */
export function createWsConfig<S extends WsCanisterService>(config: IcWebSocketConfig<S>): IcWebSocketConfig<S> {
  return config;
}

/** The settings a connection runs with, checked and with defaults filled in. @internal */
export interface ResolvedConfig {
  canisterId: Principal;
  messageType: IDL.Type;
  identity: SignIdentity;
  networkUrl: string;
  fetch: FetchFn;
  rootKey: Uint8Array | undefined;
  blsVerifier: BlsVerifier;
  WebSocket: SocketConstructor;
  ackTimeoutMs: number;
  silenceTimeoutMs: number;
  maxMessageBytes: number;
  openTimeoutMs: number;
  maxCertificateAgeInMinutes: number;
  reconnect: Required<ReconnectOptions> | undefined;
}

/**
 * @returns the settings of `config`.
 * @throws {IcWebSocketError} `ICWS_ERR_INVALID_CONFIG` naming what is missing or wrong
 * @internal
 */
export function resolveConfig<S extends WsCanisterService>(config: IcWebSocketConfig<S>): ResolvedConfig {
  if (config === undefined || config === null) throw invalidConfig('a config is required (see createWsConfig)');
  const canisterId = canisterIdOf(config.canisterId);
  const messageType = messageTypeOf(serviceOf(config as unknown as IcWebSocketConfig));
  const identity = identityOf(config.identity);
  if (typeof config.networkUrl !== 'string' || !isUrl(config.networkUrl)) {
    throw invalidConfig(`networkUrl must be the URL of the IC network (e.g. https://icp-api.io), got ${String(config.networkUrl)}`);
  }
  const fetchImpl = config.fetch ?? (globalThis.fetch?.bind(globalThis) as FetchFn | undefined);
  if (fetchImpl === undefined && config.rootKey === undefined) throw invalidConfig('no fetch in this environment: pass config.fetch or config.rootKey');
  const WebSocket = config.WebSocket ?? (WebSocketImpl as unknown as SocketConstructor);
  if (typeof WebSocket !== 'function') throw invalidConfig('no WebSocket in this environment: pass config.WebSocket');
  const ackIntervalMs = positive(config.ackMessageIntervalMs, 'ackMessageIntervalMs') ?? DEFAULT_SEND_ACK_INTERVAL_MS;
  // the canister acks every interval; one latency bound covers the relay of the ack
  const silenceTimeoutMs = ackIntervalMs + (positive(config.latencyBoundMs, 'latencyBoundMs') ?? COMMUNICATION_LATENCY_BOUND_MS);
  return {
    canisterId,
    messageType,
    identity,
    networkUrl: config.networkUrl,
    fetch: fetchImpl!,
    rootKey: config.rootKey,
    blsVerifier: blsVerifierOf(config.blsVerifier),
    WebSocket,
    ackTimeoutMs: silenceTimeoutMs,
    silenceTimeoutMs,
    maxMessageBytes: positive(config.maxMessageBytes, 'maxMessageBytes') ?? DEFAULT_MAX_MESSAGE_BYTES,
    openTimeoutMs: positive(config.openTimeoutMs, 'openTimeoutMs') ?? CLIENT_OPEN_TIMEOUT_MS,
    maxCertificateAgeInMinutes: positive(config.maxCertificateAgeInMinutes, 'maxCertificateAgeInMinutes') ?? DEFAULT_MAX_CERTIFICATE_AGE_MINUTES,
    reconnect: reconnectOptions(config.reconnect),
  };
}

/** Default of {@link IcWebSocketConfig.maxMessageBytes}: half the gateway's default frame limit, leaving room for the envelope. */
const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

function invalidConfig(problem: string): IcWebSocketError {
  return new IcWebSocketError(Code.INVALID_CONFIG, `IcWebSocket config: ${problem}`);
}

function canisterIdOf(value: unknown): Principal {
  try {
    if (typeof value === 'string') return Principal.fromText(value);
    if (value !== null && typeof value === 'object' && typeof (value as Principal).toUint8Array === 'function') {
      return Principal.fromUint8Array((value as Principal).toUint8Array());
    }
  } catch (cause) {
    throw invalidConfig(`canisterId is not a principal: ${describeError(cause)}`);
  }
  throw invalidConfig(`canisterId must be a Principal or its text, got ${String(value)}`);
}

function identityOf(identity: unknown): SignIdentity {
  const candidate = identity as Partial<Record<'getPrincipal' | 'getPublicKey' | 'sign' | 'transformRequest', unknown>> | undefined;
  const methods = ['getPrincipal', 'getPublicKey', 'sign', 'transformRequest'] as const;
  if (candidate === undefined || candidate === null || methods.some((m) => typeof candidate[m] !== 'function')) {
    throw invalidConfig('identity must be a SignIdentity (e.g. generateRandomIdentity(), an Ed25519KeyIdentity or a DelegationIdentity)');
  }
  const principal = (identity as SignIdentity).getPrincipal();
  if (principal.isAnonymous()) throw invalidConfig('identity must not be anonymous: each client is known by its principal');
  return identity as SignIdentity;
}

/** @returns the canister's service type, from its actor or its interface factory. */
function serviceOf(config: IcWebSocketConfig<WsCanisterService>): IDL.ServiceClass {
  const { canisterActor: actor, idlFactory } = config;
  if ((actor === undefined || actor === null) === (idlFactory === undefined || idlFactory === null)) {
    throw invalidConfig('give either canisterActor (Actor.createActor with the canister interface) or idlFactory (its interface factory)');
  }
  try {
    return actor ? Actor.interfaceOf(actor as unknown as Actor) : idlFactory!({ IDL });
  } catch (cause) {
    throw invalidConfig(`${actor ? 'canisterActor is not an actor' : 'idlFactory failed'}: ${describeError(cause)}`);
  }
}

/** @returns the Candid type of the application messages: the `opt T` second argument of `ws_message`. */
function messageTypeOf(service: IDL.ServiceClass): IDL.Type {
  const method = service?._fields?.find(([name]) => name === 'ws_message')?.[1];
  if (method === undefined) throw invalidConfig("the canister's interface has no ws_message method");
  if (method.argTypes.length !== 2) {
    throw invalidConfig(`ws_message must take (CanisterWsMessageArguments, opt AppMessage), it takes ${method.argTypes.length} argument(s)`);
  }
  const option = method.argTypes[1] as IDL.Type & { _type?: IDL.Type };
  if (!(option instanceof IDL.OptClass) && !(option?._type !== undefined && option.display().startsWith('opt'))) {
    throw invalidConfig(`the second argument of ws_message must be opt AppMessage, got ${option?.display?.()}`);
  }
  return option._type!;
}

function blsVerifierOf(value: BlsVerifierName | BlsVerifier | undefined): BlsVerifier {
  if (value === undefined) return sharedBlsVerifier();
  if (isBlsVerifierName(value)) return sharedBlsVerifier(value);
  if (value !== null && typeof value === 'object' && typeof value.verify === 'function') return value;
  throw invalidConfig(`blsVerifier must be 'worker', 'wasm', 'noble' or an object with verify(publicKey, signature, message), got ${String(value)}`);
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw invalidConfig(`${name} must be a positive number, got ${String(value)}`);
  return value;
}

function reconnectOptions(value: boolean | ReconnectOptions | undefined): Required<ReconnectOptions> | undefined {
  if (value === undefined || value === false) return undefined;
  const options = value === true ? {} : value;
  const resolved = {
    minDelayMs: options.minDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 30_000,
    maxAttempts: options.maxAttempts ?? Infinity,
    resume: options.resume ?? true,
    maxQueuedMessages: options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES,
    maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
    overloadDelayMs: options.overloadDelayMs ?? 10_000,
    overloadMaxDelayMs: options.overloadMaxDelayMs ?? 60_000,
    flushBurst: options.flushBurst ?? 16,
    flushRate: options.flushRate ?? 8,
  };
  if (!(resolved.minDelayMs >= 0) || !(resolved.maxDelayMs >= resolved.minDelayMs) || !(resolved.maxAttempts >= 0)) {
    throw invalidConfig(`reconnect needs 0 <= minDelayMs <= maxDelayMs and maxAttempts >= 0, got ${JSON.stringify(options)}`);
  }
  if (!(resolved.overloadDelayMs >= 0) || !(resolved.overloadMaxDelayMs >= resolved.overloadDelayMs) || !Number.isFinite(resolved.overloadMaxDelayMs)) {
    throw invalidConfig(`reconnect needs 0 <= overloadDelayMs <= overloadMaxDelayMs (finite), got ${JSON.stringify(options)}`);
  }
  if (!Number.isSafeInteger(resolved.flushBurst) || resolved.flushBurst < 1) throw invalidConfig(`reconnect.flushBurst must be an integer >= 1, got ${String(resolved.flushBurst)}`);
  if (typeof resolved.flushRate !== 'number' || !(resolved.flushRate > 0)) throw invalidConfig(`reconnect.flushRate must be a number > 0 (Infinity for no pacing), got ${String(resolved.flushRate)}`);
  if (typeof resolved.resume !== 'boolean') throw invalidConfig(`reconnect.resume must be true or false, got ${String(resolved.resume)}`);
  for (const name of ['maxQueuedMessages', 'maxQueuedBytes'] as const) {
    if (!Number.isSafeInteger(resolved[name]) || resolved[name] < 0) throw invalidConfig(`reconnect.${name} must be an integer >= 0, got ${String(resolved[name])}`);
  }
  return resolved;
}

/** Default of {@link ReconnectOptions.maxQueuedMessages}. */
const DEFAULT_MAX_QUEUED_MESSAGES = 1_000;
/** Default of {@link ReconnectOptions.maxQueuedBytes}: 1 MiB. */
const DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;

/**
 * @returns the gateway URLs of `urlOrUrls` as text, in order.
 * @throws {IcWebSocketError} `ICWS_ERR_INVALID_CONFIG` for an empty list or something that is not a WebSocket URL
 * @internal
 */
export function gatewayUrls(urlOrUrls: string | URL | ReadonlyArray<string | URL>): string[] {
  const list = Array.isArray(urlOrUrls) ? urlOrUrls : [urlOrUrls as string | URL];
  if (list.length === 0) throw invalidConfig('give at least one gateway URL (e.g. wss://gateway.example.org)');
  return list.map((url, index) => {
    const text = String(url);
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw invalidConfig(`gateway URL ${list.length > 1 ? `#${index + 1} ` : ''}is not a URL: ${text}`);
    }
    if (!['ws:', 'wss:', 'http:', 'https:'].includes(parsed.protocol)) throw invalidConfig(`gateway URL ${text} must be a ws:// or wss:// URL`);
    return text;
  });
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}
