/**
 * For end-to-end tests of the canister kit (the kit's unit tests use a fake context instead).
 * A canister with IC WebSockets on the embedded replica, driven the way clients and gateways drive
 * it: every call goes through `Replica.update` / `Replica.query` with Candid bytes and a caller.
 * The canister records its handler calls and hands its `IcWebSocket` to the test for inspection.
 */
import { Cbor, Certificate, lookup_path, LookupPathStatus, reconstruct, type HashTree } from '@icp-sdk/core/agent';
import { IDL } from '@icp-sdk/core/candid';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import type { Principal } from '@icp-sdk/core/principal';
import { CanisterSendResultIdl, type IcWebSocket, type WsHandlers, type WsResult, type WsSettings } from '@icws/backend-cdk';
import { Replica, TestClock } from '@icws/replica';
import {
  CanisterWsCloseResultIdl,
  CanisterWsGetMessagesResultIdl,
  CanisterWsMessageResultIdl,
  CanisterWsOpenResultIdl,
  encodeServiceMessage,
  encodeWsCloseArgs,
  encodeWsGetMessagesArgs,
  encodeWsMessageArgs,
  encodeWsOpenArgs,
  hex,
  keepAliveMessage,
  type CanisterOutputCertifiedMessages,
  type ClientKey,
  type WebsocketMessage,
} from '@icws/protocol';
import { createHash } from 'node:crypto';
import {
  appBytes,
  decodeOutput,
  message,
  testCanister,
  TestAppMessage,
  type DecodedOutput,
  type HandlerEvent,
  type TestInit,
} from '../../packages/backend-cdk/src/websocket/test-support/ws-test-canister';

export { appBytes, decodeOutput, message, TestAppMessage, type DecodedOutput, type HandlerEvent };

const Blobs = IDL.Vec(IDL.Vec(IDL.Nat8));

/** @returns a fresh self-authenticating principal, as an Ed25519 client or gateway has. */
export function newPrincipal(): Principal {
  return Ed25519KeyIdentity.generate().getPrincipal();
}


export class WsHarness {
  private constructor(
    readonly replica: Replica,
    readonly clock: TestClock,
    readonly canisterId: Principal,
    /** What the canister's handlers were called with, in order. */
    readonly events: HandlerEvent[],
    /** Extra behaviour of the canister's handlers, settable by tests at any time. */
    readonly hooks: WsHandlers,
    /** The canister's WebSocket endpoint, for reading its state. */
    readonly ws: IcWebSocket<TestAppMessage>,
  ) {}

  /** Starts a replica on a test clock at `startMs` (default now) with the test canister. */
  static async create(settings: Partial<WsSettings> = {}, startMs = Date.now()): Promise<WsHarness> {
    const clock = new TestClock(startMs);
    const replica = await Replica.create({ clock, signer: 'inline', log: () => undefined });
    const events: HandlerEvent[] = [];
    const hooks: WsHandlers = {};
    let ws: IcWebSocket<TestAppMessage> | undefined;
    const init: TestInit = { settings, events, hooks, expose: (exposed) => (ws = exposed) };
    const id = replica.install('ws_test', testCanister, { init });
    return new WsHarness(replica, clock, id, events, hooks, ws!);
  }

  close(): Promise<void> {
    return this.replica.close();
  }

  async wsOpen(client: Principal, nonce: bigint, gateway: Principal): Promise<WsResult> {
    return this.#update(client, 'ws_open', encodeWsOpenArgs({ client_nonce: nonce, gateway_principal: gateway }), CanisterWsOpenResultIdl);
  }

  /** Opens and expects `Ok`. */
  async open(client: Principal, nonce: bigint, gateway: Principal): Promise<ClientKey> {
    expect(await this.wsOpen(client, nonce, gateway)).toEqual({ Ok: null });
    return { client_principal: client, client_nonce: nonce };
  }

  async wsMessage(caller: Principal, msg: WebsocketMessage): Promise<WsResult> {
    return this.#update(caller, 'ws_message', encodeWsMessageArgs({ msg }), CanisterWsMessageResultIdl);
  }

  /** Sends an app message of `key`'s client with sequence number `seq`. */
  appMessage(key: ClientKey, seq: bigint, text: string): Promise<WsResult> {
    return this.wsMessage(key.client_principal, message(key, seq, appBytes(text), false));
  }

  /** Sends a keep-alive of `key`'s client with sequence number `seq`. */
  keepAlive(key: ClientKey, seq: bigint, lastReceived = 0n): Promise<WsResult> {
    return this.wsMessage(key.client_principal, message(key, seq, encodeServiceMessage(keepAliveMessage(lastReceived)), true));
  }

  async wsClose(gateway: Principal, key: ClientKey): Promise<WsResult> {
    return this.#update(gateway, 'ws_close', encodeWsCloseArgs({ client_key: key }), CanisterWsCloseResultIdl);
  }

  /** `ws_get_messages` as the gateway polls it (a query). */
  async getMessages(gateway: Principal, nonce: bigint): Promise<CanisterOutputCertifiedMessages> {
    const result = await this.getMessagesResult(gateway, nonce);
    if ('Err' in result) throw new Error(`ws_get_messages answered Err: ${result.Err}`);
    return result.Ok;
  }

  async getMessagesResult(gateway: Principal, nonce: bigint, mode: 'query' | 'update' = 'query') {
    const arg = encodeWsGetMessagesArgs({ nonce, max_messages: [] });
    const outcome = mode === 'query' ? await this.replica.query(this.canisterId, 'ws_get_messages', arg, gateway) : await this.replica.update(this.canisterId, 'ws_get_messages', arg, gateway);
    if (outcome.status !== 'replied') throw new Error(`ws_get_messages rejected: ${outcome.rejectMessage}`);
    return IDL.decode([CanisterWsGetMessagesResultIdl], outcome.reply)[0] as unknown as { Ok: CanisterOutputCertifiedMessages } | { Err: string };
  }

  /** All of `gateway`'s queued messages from `nonce`, decoded. */
  async queued(gateway: Principal, nonce = 0n): Promise<DecodedOutput[]> {
    const out: DecodedOutput[] = [];
    for (;;) {
      const batch = await this.getMessages(gateway, nonce);
      out.push(...batch.messages.map(decodeOutput));
      if (batch.is_end_of_queue || batch.messages.length === 0) return out;
      nonce = out[out.length - 1].nonce + 1n;
    }
  }

  /** Calls the test canister's `send` (one update, all messages). */
  async send(caller: Principal, to: Principal, ...texts: string[]): Promise<WsResult> {
    const arg = new Uint8Array(IDL.encode([IDL.Principal, Blobs], [to, texts.map(appBytes)]));
    return this.#update(caller, 'send', arg, CanisterSendResultIdl);
  }

  /** Calls the test canister's `close`. */
  async closeClient(caller: Principal, principal: Principal): Promise<WsResult> {
    return this.#update(caller, 'close', new Uint8Array(IDL.encode([IDL.Principal], [principal])), CanisterSendResultIdl);
  }

  /** Runs an update and @returns its raw outcome. */
  raw(caller: Principal, method: string, arg: Uint8Array) {
    return this.replica.update(this.canisterId, method, arg, caller);
  }

  /**
   * Checks a poll's certification as a client does: the certificate verifies against the root key,
   * the tree's root hash is the canister's certified data, and each message's content hashes to
   * the leaf at `["websocket", key]`. @throws naming the first check that fails
   */
  async verify(batch: Pick<CanisterOutputCertifiedMessages, 'messages' | 'cert' | 'tree'>, options: { disableTimeVerification?: boolean } = {}): Promise<void> {
    const certificate = await Certificate.create({
      certificate: batch.cert,
      rootKey: this.replica.rootKey.der,
      principal: { canisterId: this.canisterId },
      disableTimeVerification: options.disableTimeVerification,
    });
    const certified = certificate.lookup_path(['canister', this.canisterId.toUint8Array(), 'certified_data']);
    if (certified.status !== LookupPathStatus.Found) throw new Error('the certificate has no certified_data');
    const tree = Cbor.decode<HashTree>(batch.tree);
    if (hex(await reconstruct(tree)) !== hex(certified.value as Uint8Array)) throw new Error('the tree does not match the certified data');
    for (const output of batch.messages) {
      const found = lookup_path(['websocket', output.key], tree);
      if (found.status !== LookupPathStatus.Found) throw new Error(`the tree has no websocket/${output.key} (${found.status})`);
      if (hex(createHash('sha256').update(output.content).digest()) !== hex(found.value as Uint8Array)) {
        throw new Error(`the content of ${output.key} does not hash to its leaf`);
      }
    }
  }

  async #update(caller: Principal, method: string, arg: Uint8Array, resultType: IDL.Type): Promise<WsResult> {
    const outcome = await this.replica.update(this.canisterId, method, arg, caller);
    if (outcome.status !== 'replied') throw new Error(`${method} rejected: ${outcome.rejectMessage}`);
    return IDL.decode([resultType], outcome.reply)[0] as unknown as WsResult;
  }
}



