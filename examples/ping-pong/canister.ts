import { IDL } from '@icp-sdk/core/candid';
import { CanisterSendResultIdl, createIcWebSocket, defineCanister, update, type WsSettings } from '@icws/backend-cdk';
import { AppMessage } from './idl';

/**
 * Ping-pong over IC WebSockets: a client that opens gets `{ text = "ping" }`, and every message it
 * sends comes back with " ping" appended. `send` pushes raw (Candid) bytes to a connected client;
 * it is open to any caller, as befits a demo. Install with `init` to change the ack timings.
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
});
