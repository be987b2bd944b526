/**
 * A canister that streams numbered messages to a client and records what clients send it, for the
 * resume and failover tests and `bench/failover.js`. Install with a `Partial<WsSettings>` as its
 * init value to set the recovery window and the ack timings.
 */
import { IDL } from '@icp-sdk/core/candid';
import { createIcWebSocket, defineCanister, query, update, type WsSettings } from '@icws/backend-cdk';
import { wsServiceMethods } from '@icws/protocol';

/** `record { n : nat64; text : text }`: message `n` of a stream, or a client's text. */
export const StreamMessage = IDL.Record({ n: IDL.Nat64, text: IDL.Text });
export interface StreamMessage {
  n: bigint;
  text: string;
}

/** The canister's methods besides the `ws_*` ones. */
export const streamMethods = {
  /** Queues messages `from`..`to` (inclusive) for the client; @returns how many it queued before an `Err`. */
  push: IDL.Func([IDL.Principal, IDL.Nat64, IDL.Nat64], [IDL.Nat64], []),
  /** The texts a client sent, in the order the canister took them. */
  received: IDL.Func([IDL.Principal], [IDL.Vec(IDL.Text)], ['query']),
  /** `open <principal>`, `resume <principal> <recovered>`, `close <principal> <cause> <resumable>`, in order. */
  events: IDL.Func([], [IDL.Vec(IDL.Text)], ['query']),
};

/** The canister's interface, for `IcWebSocket` configs and actors. */
export const streamIdlFactory: IDL.InterfaceFactory = () => IDL.Service({ ...wsServiceMethods(StreamMessage), ...streamMethods });

export default defineCanister((ic, init: Partial<WsSettings> | undefined) => {
  const received = new Map<string, string[]>();
  const events: string[] = [];
  const ws = createIcWebSocket<StreamMessage>(ic, {
    ...init,
    appMessage: StreamMessage,
    onOpen: ({ clientPrincipal }) => void events.push(`open ${clientPrincipal.toText()}`),
    onResume: ({ clientPrincipal, recoveredMessages }) => void events.push(`resume ${clientPrincipal.toText()} ${recoveredMessages}`),
    onClose: ({ clientPrincipal, cause, resumable }) => void events.push(`close ${clientPrincipal.toText()} ${cause} ${resumable}`),
    onMessage({ clientPrincipal, message }) {
      const texts = received.get(clientPrincipal.toText()) ?? [];
      texts.push(ws.decodeMessage(message).text);
      received.set(clientPrincipal.toText(), texts);
    },
  });
  return {
    ...ws.methods,
    push: update([IDL.Principal, IDL.Nat64, IDL.Nat64], [IDL.Nat64], (principal, from, to) => {
      let queued = 0n;
      for (let n = BigInt(from); n <= BigInt(to); n++, queued++) if ('Err' in ws.sendMessage(principal, { n, text: '' })) break;
      return queued;
    }),
    received: query([IDL.Principal], [IDL.Vec(IDL.Text)], (principal) => received.get(principal.toText()) ?? []),
    events: query([], [IDL.Vec(IDL.Text)], () => events),
  };
});
