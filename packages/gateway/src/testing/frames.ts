/**
 * Frames, calls and canister messages for unit tests, unsigned: the gateway relays envelopes
 * without checking their signatures (the replica does). Not part of the package.
 */
import { Principal } from '@icp-sdk/core/principal';
import {
  CanisterWsOpenResultIdl,
  decodeClientRequest,
  encodeCandid,
  encodeClientRequest,
  encodeWsOpenArgs,
  formatMessageKey,
  type CanisterOutputCertifiedMessages,
  type CanisterOutputMessage,
  type ClientKey,
  type DecodedClientRequest,
} from '@icws/protocol';
import type { RelayOutcome } from '../ic-transport';

export const CANISTER_ID = Principal.fromText('rrkah-fqaaa-aaaaa-aaaaq-cai');
export const OTHER_CANISTER_ID = Principal.fromText('ryjl3-tyaaa-aaaaa-aaaba-cai');
export const GATEWAY_PRINCIPAL = Principal.fromText('2vxsx-fae');
export const CLIENT_PRINCIPAL = Principal.fromUint8Array(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));

/** The canister's `Ok` answer to ws_open. */
export const WS_OPEN_OK: RelayOutcome = { status: 'replied', reply: encodeCandid([CanisterWsOpenResultIdl], [{ Ok: null }]) };

/** Options of a test call. */
export interface CallOptions {
  readonly canisterId?: Principal;
  readonly sender?: Principal;
  /** Epoch milliseconds; a day from 2030-01-01 by default. */
  readonly expiryMs?: number;
}

/** @returns a client frame calling `method` with `arg` (any bytes; text here, to tell calls apart). */
export function callFrame(method: string, arg: Uint8Array | string, options: CallOptions = {}): Uint8Array {
  return encodeClientRequest({
    envelope: {
      content: {
        request_type: 'call',
        canister_id: options.canisterId ?? CANISTER_ID,
        method_name: method,
        arg: typeof arg === 'string' ? new TextEncoder().encode(arg) : arg,
        sender: options.sender ?? CLIENT_PRINCIPAL,
        ingress_expiry: BigInt(options.expiryMs ?? Date.UTC(2030, 0, 2)) * 1_000_000n,
      },
    },
  });
}

/** @returns a client's ws_open frame. */
export function wsOpenFrame(clientNonce = 7n, options: CallOptions & { readonly gateway?: Principal } = {}): Uint8Array {
  return callFrame('ws_open', encodeWsOpenArgs({ client_nonce: clientNonce, gateway_principal: options.gateway ?? GATEWAY_PRINCIPAL }), options);
}

/** @returns a decoded `ws_message` call whose arg is `text`, `padding` bytes longer if asked. */
export function messageCall(text: string, options: CallOptions & { readonly padding?: number } = {}): DecodedClientRequest {
  return decodeClientRequest(callFrame('ws_message', text + ' '.repeat(options.padding ?? 0), options));
}

/** @returns the client key of `CLIENT_PRINCIPAL` with `nonce`. */
export function clientKey(nonce = 7n, principal = CLIENT_PRINCIPAL): ClientKey {
  return { client_principal: principal, client_nonce: nonce };
}

/** @returns the canister's message at `nonce` of its queue for the gateway, for `key`. */
export function canisterMessage(key: ClientKey, nonce: bigint, text = `message ${nonce}`): CanisterOutputMessage {
  return { client_key: key, key: formatMessageKey(GATEWAY_PRINCIPAL, nonce), content: new TextEncoder().encode(text) };
}

/** @returns a certified batch of `messages`. */
export function batch(messages: CanisterOutputMessage[], isEndOfQueue = true): CanisterOutputCertifiedMessages {
  return { messages, cert: Uint8Array.of(1), tree: Uint8Array.of(2), is_end_of_queue: isEndOfQueue };
}
