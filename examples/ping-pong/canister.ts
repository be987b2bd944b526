import { IDL } from '@icp-sdk/core/candid';
import { CanisterSendResultIdl, createIcWebSocket, defineCanister, update, type WsSettings } from '@icws/backend-cdk';
import { AppMessage } from './idl';

/** The init argument as Candid: `icws-replica --init 'ping_pong=(opt record { send_ack_interval_ms = 120000 : nat64 })'`. */
const InitArgs = IDL.Opt(
  IDL.Record({
    send_ack_interval_ms: IDL.Opt(IDL.Nat64),
    keep_alive_timeout_ms: IDL.Opt(IDL.Nat64),
    max_number_of_returned_messages: IDL.Opt(IDL.Nat64),
  }),
);
type InitRecord = { send_ack_interval_ms: [] | [bigint]; keep_alive_timeout_ms: [] | [bigint]; max_number_of_returned_messages: [] | [bigint] };

/** @returns the settings an init record sets, leaving the others to their defaults. */
function settingsOf([init]: [] | [InitRecord]): Partial<WsSettings> | undefined {
  if (init === undefined) return undefined;
  const settings: { -readonly [K in keyof WsSettings]?: number } = {};
  if (init.send_ack_interval_ms[0] !== undefined) settings.sendAckIntervalMs = Number(init.send_ack_interval_ms[0]);
  if (init.keep_alive_timeout_ms[0] !== undefined) settings.keepAliveTimeoutMs = Number(init.keep_alive_timeout_ms[0]);
  if (init.max_number_of_returned_messages[0] !== undefined) settings.maxNumberOfReturnedMessages = Number(init.max_number_of_returned_messages[0]);
  return settings;
}

/**
 * Ping-pong over IC WebSockets: a client that opens gets `{ text = "ping" }`, and every message it
 * sends comes back with " ping" appended. `send` pushes raw (Candid) bytes to a connected client;
 * it is open to any caller, as befits a demo. Install with `init` (or Candid init text) to change
 * the ack timings.
 */
export default defineCanister((ic, init: Partial<WsSettings> | undefined) => {
  const ws = createIcWebSocket<AppMessage>(ic, {
    ...init,
    appMessage: AppMessage,
    onOpen({ clientPrincipal }) {
      ws.sendMessage(clientPrincipal, { text: 'ping', timestamp: ic.time() });
    },
    onMessage({ clientPrincipal, message }) {
      const received = ws.decodeMessage(message);
      ws.sendMessage(clientPrincipal, { text: `${received.text} ping`, timestamp: ic.time() });
    },
    onClose({ clientPrincipal, cause }) {
      ic.print(`client ${clientPrincipal.toText()} disconnected: ${cause}`);
    },
  });
  return {
    ...ws.methods,
    send: update([IDL.Principal, IDL.Vec(IDL.Nat8)], [CanisterSendResultIdl], (clientPrincipal, bytes) => ws.send(clientPrincipal, Uint8Array.from(bytes))),
  };
}, { candidInit: { types: [InitArgs], fromCandid: ([init]) => settingsOf(init as [] | [InitRecord]) } });
