/**
 * A canister with IC WebSockets on a fake context, driven as clients and gateways drive it: every
 * call goes through `TestCanister` with Candid bytes and a caller. The canister records its
 * handler calls and exposes its `IcWebSocket` for inspection.
 */
import { Cbor } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Principal } from '@icp-sdk/core/principal';
import {
  decodeServiceMessage,
  decodeWebsocketMessage,
  encodeServiceMessage,
  keepAliveMessage,
  parseMessageKey,
  type CanisterOpenMessageContent,
  type CanisterOutputCertifiedMessages,
  type CanisterOutputMessage,
  type CanisterWsGetMessagesResult,
  type ClientKey,
  type WebsocketMessage,
  type WebsocketServiceMessageContent,
} from '@icws/protocol';
import { defineCanister, query, update } from '../../canister/define';
import { encodeUleb128 } from '@icws/protocol';
import { lookupPath } from '../../certification/lookup';
import { reconstruct, type HashTree } from '../../certification/hash-tree';
import { sha256 } from '../../certification/sha256';
import { TestCanister } from '../../testing/test-canister';
import { CanisterSendResultIdl, createIcWebSocket, type IcWebSocket } from '../ic-websocket';
import type { WsCloseCause, WsHandlers, WsResult, WsSettings } from '../types';

/** The app message type of the test canister, as upstream's tests use: `record { text : text }`. */
export const TestAppMessage = IDL.Record({ text: IDL.Text });
export interface TestAppMessage {
  text: string;
}

export type HandlerEvent =
  | { kind: 'open'; client: string }
  | { kind: 'message'; client: string; text: string }
  | { kind: 'close'; client: string; cause: WsCloseCause }
  | { kind: 'resume'; client: string; recovered: number; gateway: string };

/** What the test canister is installed with. */
export interface TestInit {
  settings: Partial<WsSettings>;
  events: HandlerEvent[];
  hooks: WsHandlers;
  expose(ws: IcWebSocket<TestAppMessage>): void;
}

const Blobs = IDL.Vec(IDL.Vec(IDL.Nat8));

/** The canister under test: the ws methods plus upstream's test endpoints and a few of ours. */
export const testCanister = defineCanister((ic, init: TestInit) => {
  const ws = createIcWebSocket<TestAppMessage>(ic, {
    ...init.settings,
    appMessage: TestAppMessage,
    onOpen(event) {
      init.events.push({ kind: 'open', client: event.clientPrincipal.toText() });
      init.hooks.onOpen?.(event);
    },
    onMessage(event) {
      init.events.push({ kind: 'message', client: event.clientPrincipal.toText(), text: ws.decodeMessage(event.message).text });
      init.hooks.onMessage?.(event);
    },
    onClose(event) {
      init.events.push({ kind: 'close', client: event.clientPrincipal.toText(), cause: event.cause });
      init.hooks.onClose?.(event);
    },
    onResume(event) {
      init.events.push({ kind: 'resume', client: event.clientPrincipal.toText(), recovered: event.recoveredMessages, gateway: event.gatewayPrincipal.toText() });
      init.hooks.onResume?.(event);
    },
  });
  init.expose(ws);
  return {
    ...ws.methods,
    send: update([IDL.Principal, Blobs], [CanisterSendResultIdl], (principal, messages) => {
      for (const bytes of messages) {
        const result = ws.send(principal, Uint8Array.from(bytes));
        if ('Err' in result) return result;
      }
      return { Ok: null };
    }),
    send_copies: update([IDL.Principal, IDL.Nat32, IDL.Vec(IDL.Nat8)], [], (principal, count, bytes) => {
      const payload = Uint8Array.from(bytes);
      for (let i = 0; i < count; i++) ws.send(principal, payload);
    }),
    close: update([IDL.Principal], [CanisterSendResultIdl], (principal) => ws.close(principal)),
    broadcast: update([IDL.Vec(IDL.Nat8)], [IDL.Nat32], (bytes) => ws.broadcast(Uint8Array.from(bytes))),
    send_then_trap: update([IDL.Principal, IDL.Vec(IDL.Nat8)], [], (principal, bytes) => {
      ws.send(principal, Uint8Array.from(bytes));
      throw new Error('the application failed after sending');
    }),
    send_in_query: query([IDL.Principal, IDL.Vec(IDL.Nat8)], [CanisterSendResultIdl], (principal, bytes) => ws.send(principal, Uint8Array.from(bytes))),
  };
});

let principals = 0;
/** @returns a fresh self-authenticating principal, as an Ed25519 client or gateway has; deterministic per test file. */
export function newPrincipal(): Principal {
  const key = new Uint8Array(44);
  new DataView(key.buffer).setUint32(40, ++principals);
  return Principal.selfAuthenticating(key);
}

/** @returns Candid bytes of the test app message. */
export function appBytes(text: string): Uint8Array {
  return new Uint8Array(IDL.encode([TestAppMessage], [{ text }]));
}

/** A queued message decoded: the WebsocketMessage, and its service or app content. */
export interface DecodedOutput {
  key: string;
  nonce: bigint;
  message: WebsocketMessage;
  service?: WebsocketServiceMessageContent;
  app?: TestAppMessage;
}

/** The test canister installed on a fake context, with the calls of clients and gateways. */
export class WsTestCanister {
  private constructor(
    readonly canister: TestCanister,
    /** What the canister's handlers were called with, in order. */
    readonly events: HandlerEvent[],
    /** Extra behaviour of the canister's handlers, settable by tests at any time. */
    readonly hooks: WsHandlers,
    /** The canister's WebSocket endpoint, for reading its state. */
    readonly ws: IcWebSocket<TestAppMessage>,
    private readonly settings: Partial<WsSettings>,
  ) {}

  /** Installs the test canister with `settings`, its time starting at `startMs`. */
  static create(settings: Partial<WsSettings & { durableSessions: boolean }> = {}, startMs?: number): WsTestCanister {
    return WsTestCanister.#start(settings, (init) => TestCanister.install(testCanister, init, { startTimeMs: startMs }));
  }

  /**
   * @returns the canister as a replica restart leaves it (`TestCanister.restart`): the heap new,
   *   stable memory kept, handlers recording into new `events`
   */
  restart(): WsTestCanister {
    return WsTestCanister.#start(this.settings, (init) => this.canister.restart(testCanister, init));
  }

  static #start(settings: Partial<WsSettings>, install: (init: TestInit) => TestCanister): WsTestCanister {
    const events: HandlerEvent[] = [];
    const hooks: WsHandlers = {};
    let ws: IcWebSocket<TestAppMessage> | undefined;
    const canister = install({ settings, events, hooks, expose: (exposed) => (ws = exposed) });
    return new WsTestCanister(canister, events, hooks, ws!, settings);
  }

  /** The canister's time, in nanoseconds. */
  get nowNs(): bigint {
    return this.canister.context.nowNs;
  }

  /** Moves time forward, running the timers that fall due. */
  advance(ms: number): void {
    this.canister.context.advanceTime(ms);
  }

  wsOpen(client: Principal, nonce: bigint, gateway: Principal): WsResult {
    return this.canister.update('ws_open', [{ client_nonce: nonce, gateway_principal: gateway, resume: [] }], { caller: client });
  }

  /** `ws_open` of `client` with `nonce`, asking to resume the session of `previous`, having received up to `lastReceived`. */
  wsResume(client: Principal, nonce: bigint, gateway: Principal, previous: ClientKey, lastReceived: bigint): WsResult {
    const resume = [{ client_key: previous, last_incoming_sequence_num: lastReceived }];
    return this.canister.update('ws_open', [{ client_nonce: nonce, gateway_principal: gateway, resume }], { caller: client });
  }

  /** Opens, and @throws unless the canister answers `Ok`. */
  open(client: Principal, nonce: bigint, gateway: Principal): ClientKey {
    const result = this.wsOpen(client, nonce, gateway);
    if (!('Ok' in result)) throw new Error(`ws_open answered ${JSON.stringify(result)}`);
    return { client_principal: client, client_nonce: nonce };
  }

  wsMessage(caller: Principal, msg: WebsocketMessage): WsResult {
    return this.canister.update('ws_message', [{ msg }, []], { caller });
  }

  /** Sends an app message of `key`'s client with sequence number `seq`. */
  appMessage(key: ClientKey, seq: bigint, text: string): WsResult {
    return this.wsMessage(key.client_principal, message(key, seq, appBytes(text), false));
  }

  /** Sends a keep-alive of `key`'s client with sequence number `seq`. */
  keepAlive(key: ClientKey, seq: bigint, lastReceived = 0n): WsResult {
    return this.wsMessage(key.client_principal, message(key, seq, encodeServiceMessage(keepAliveMessage(lastReceived)), true));
  }

  wsClose(gateway: Principal, key: ClientKey): WsResult {
    return this.canister.update('ws_close', [{ client_key: key }], { caller: gateway });
  }

  /** `ws_get_messages` as the gateway polls it (a query), asking for `maxMessages` when given; @throws on `Err`. */
  getMessages(gateway: Principal, nonce: bigint, maxMessages?: bigint): CanisterOutputCertifiedMessages {
    const result = this.getMessagesResult(gateway, nonce, 'query', maxMessages);
    if ('Err' in result) throw new Error(`ws_get_messages answered Err: ${result.Err}`);
    return result.Ok;
  }

  getMessagesResult(gateway: Principal, nonce: bigint, mode: 'query' | 'update' = 'query', maxMessages?: bigint): CanisterWsGetMessagesResult {
    const args = { nonce, max_messages: maxMessages === undefined ? [] : [maxMessages] };
    return mode === 'query'
      ? this.canister.query('ws_get_messages', [args], { caller: gateway })
      : this.canister.update('ws_get_messages', [args], { caller: gateway });
  }

  /** @returns the size of the Candid reply `ws_get_messages` sends `gateway` for `nonce`, in bytes. */
  getMessagesReplyBytes(gateway: Principal, nonce: bigint): number {
    const { argTypes } = this.canister.methods.ws_get_messages;
    const outcome = this.canister.call('query', 'ws_get_messages', new Uint8Array(IDL.encode([...argTypes], [{ nonce, max_messages: [] }])), { caller: gateway });
    if (outcome.status !== 'replied') throw new Error(`ws_get_messages was rejected: ${outcome.message}`);
    return outcome.reply.length;
  }

  /** Calls the test canister's `send` with raw `bytes` (not an app message) for `to`. */
  sendRaw(to: Principal, bytes: Uint8Array): WsResult {
    return this.canister.update('send', [to, [bytes]], { caller: to });
  }

  /** All of `gateway`'s queued messages from `nonce`, decoded. */
  queued(gateway: Principal, nonce = 0n): DecodedOutput[] {
    const out: DecodedOutput[] = [];
    for (;;) {
      const batch = this.getMessages(gateway, nonce);
      out.push(...batch.messages.map(decodeOutput));
      if (batch.is_end_of_queue || batch.messages.length === 0) return out;
      nonce = out[out.length - 1].nonce + 1n;
    }
  }

  /** @returns the texts of the app messages the canister's `onMessage` got, in order. */
  receivedTexts(): string[] {
    return this.events.flatMap((e) => (e.kind === 'message' ? [e.text] : []));
  }

  /** @returns what `gateway` has queued for `key`'s connection: each message's sequence number, and its app text or service kind. */
  stream(gateway: Principal, key: ClientKey): Array<[bigint, string]> {
    return this.queued(gateway)
      .filter((m) => sameKey(m.message.client_key, key))
      .map((m) => [m.message.sequence_num, m.app?.text ?? Object.keys(m.service!)[0]!]);
  }

  /** @returns the open message `gateway` has queued for `key`'s connection; @throws when there is none. */
  openMessage(gateway: Principal, key: ClientKey): { OpenMessage: CanisterOpenMessageContent } {
    const open = this.queued(gateway).find((m) => sameKey(m.message.client_key, key) && m.service !== undefined && 'OpenMessage' in m.service);
    if (open === undefined) throw new Error(`${hex(gateway.toUint8Array())} has no open message for nonce ${key.client_nonce}`);
    return open.service as { OpenMessage: CanisterOpenMessageContent };
  }

  /** Calls the test canister's `send` (one update, all messages). */
  send(caller: Principal, to: Principal, ...texts: string[]): WsResult {
    return this.canister.update('send', [to, texts.map(appBytes)], { caller });
  }

  /** Queues `count` copies of `text` for `to` in one update. */
  sendCopies(to: Principal, count: number, text = 'x'): void {
    this.canister.update('send_copies', [to, count, appBytes(text)], { caller: to });
  }

  /** Calls the test canister's `close`. */
  closeClient(caller: Principal, principal: Principal): WsResult {
    return this.canister.update('close', [principal], { caller });
  }

  /**
   * Checks a poll's certification as a client does, short of the signature (the fake certificate
   * is unsigned): the certificate's `certified_data` is the canister's and the tree's root hash,
   * its `time` is the canister's, and each message's content hashes to the leaf at
   * `["websocket", key]`. @throws naming the first check that fails
   */
  verify(batch: Pick<CanisterOutputCertifiedMessages, 'messages' | 'cert' | 'tree'>): void {
    const certificate = Cbor.decode<{ tree: HashTree }>(batch.cert);
    const certified = lookupPath(['canister', this.canister.id.toUint8Array(), 'certified_data'], certificate.tree);
    if (certified.status !== 'Found') throw new Error('the certificate has no certified_data');
    if (hex(certified.value) !== hex(this.canister.context.certifiedData)) throw new Error('the certificate is not of the canister’s certified data');
    const time = lookupPath(['time'], certificate.tree);
    if (time.status !== 'Found' || hex(time.value) !== hex(encodeUleb128(this.nowNs))) throw new Error('the certificate is not of the canister’s time');
    const tree = Cbor.decode<HashTree>(batch.tree);
    if (hex(reconstruct(tree)) !== hex(certified.value)) throw new Error('the tree does not match the certified data');
    for (const output of batch.messages) {
      const found = lookupPath(['websocket', output.key], tree);
      if (found.status !== 'Found') throw new Error(`the tree has no websocket/${output.key} (${found.status})`);
      if (hex(sha256(output.content)) !== hex(found.value)) throw new Error(`the content of ${output.key} does not hash to its leaf`);
    }
  }
}

function sameKey(a: ClientKey, b: ClientKey): boolean {
  return a.client_nonce === b.client_nonce && a.client_principal.toText() === b.client_principal.toText();
}

/** @returns a client-to-canister WebsocketMessage. */
export function message(key: ClientKey, seq: bigint, content: Uint8Array, isServiceMessage: boolean): WebsocketMessage {
  return { client_key: key, sequence_num: seq, timestamp: 0n, is_service_message: isServiceMessage, content };
}

/** @returns a queued message decoded down to its service or app content. */
export function decodeOutput(output: CanisterOutputMessage): DecodedOutput {
  const message = decodeWebsocketMessage(output.content);
  const content = message.content.slice(); // a copy at offset 0 for @dfinity/candid
  return {
    key: output.key,
    nonce: parseMessageKey(output.key).nonce,
    message,
    service: message.is_service_message ? decodeServiceMessage(content) : undefined,
    app: message.is_service_message ? undefined : (IDL.decode([TestAppMessage], content)[0] as unknown as TestAppMessage),
  };
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
