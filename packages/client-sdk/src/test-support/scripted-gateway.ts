/**
 * A gateway a test scripts by hand, for unit tests of sessions: a socket whose far end the test
 * plays (accept, deliver frames, close), a signer that records what it signs, and builders of the
 * relayed canister messages it delivers (their certificates are not checked: the verifier is faked).
 */
import type { Principal } from '@icp-sdk/core/principal';
import {
  decodeWsMessageArgs,
  encodeCanisterToClientMessage,
  encodeServiceMessage,
  encodeWebsocketMessage,
  type ClientKey,
  type WebsocketMessage,
  type WebsocketServiceMessageContent,
} from '@icws/protocol';
import type { SocketLike } from '../session';

/** A socket whose gateway side the test plays. */
export class ScriptedSocket implements SocketLike {
  static last: ScriptedSocket;
  binaryType = 'blob';
  readyState = 0;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  readonly sent: Uint8Array[] = [];
  closedWith: { code?: number; reason?: string } | undefined;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    ScriptedSocket.last = this;
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }

  /** The socket opens. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The gateway sends a frame. */
  deliver(bytes: Uint8Array): void {
    this.onmessage?.({ data: bytes.slice().buffer });
  }

  /** The gateway (or the network) closes the socket. */
  closeFromServer(code: number, reason = '', wasClean = true): void {
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean });
  }
}

/** Signs nothing: records each call and returns a frame naming its index. */
export class RecordingSigner {
  readonly calls: Array<{ method: string; arg: Uint8Array }> = [];
  /** How long the call of each index takes to sign, in (fake) ms; none by default. */
  delays: number[] = [];
  /** Set: every call from now on fails with it. */
  fail: Error | undefined;

  constructor(readonly principal: Principal) {}

  async sign(method: string, arg: Uint8Array): Promise<Uint8Array> {
    const index = this.calls.push({ method, arg }) - 1;
    if (this.fail) throw this.fail;
    const delay = this.delays[index];
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    return Uint8Array.of(index);
  }

  /** The WebsocketMessage of the `index`-th signed call, which must be a `ws_message`. */
  message(index: number): WebsocketMessage {
    const call = this.calls[index];
    if (call?.method !== 'ws_message') throw new Error(`signed call ${index} is ${call?.method ?? 'missing'}, not ws_message`);
    return decodeWsMessageArgs(call.arg).msg;
  }

  /** The WebsocketMessages of the `ws_message` calls signed so far, in order. */
  messages(): WebsocketMessage[] {
    return this.calls.filter((call) => call.method === 'ws_message').map((call) => decodeWsMessageArgs(call.arg).msg);
  }
}

/** Builds the frames a gateway relays from the canister to one client key. */
export class CanisterFrames {
  #nonce = 0;

  constructor(
    readonly gateway: Principal,
    readonly clientKey: ClientKey,
  ) {}

  /** A relayed service message numbered `sequenceNum`, addressed to `clientKey`. */
  service(sequenceNum: bigint, content: WebsocketServiceMessageContent, clientKey = this.clientKey): Uint8Array {
    return this.relayed(sequenceNum, encodeServiceMessage(content), true, clientKey);
  }

  /** A relayed application message numbered `sequenceNum` whose content is `text` in UTF-8. */
  app(sequenceNum: bigint, text: string): Uint8Array {
    return this.relayed(sequenceNum, new TextEncoder().encode(text), false);
  }

  /** A relayed message numbered `sequenceNum` with `content` as it stands, addressed to `clientKey`. */
  relayed(sequenceNum: bigint, content: Uint8Array, isService: boolean, clientKey = this.clientKey): Uint8Array {
    return encodeCanisterToClientMessage({
      key: `${this.gateway.toText()}_${String(this.#nonce++).padStart(20, '0')}`,
      content: encodeWebsocketMessage({ client_key: clientKey, sequence_num: sequenceNum, timestamp: 1n, is_service_message: isService, content }),
      cert: Uint8Array.of(1),
      tree: Uint8Array.of(2),
    });
  }
}
