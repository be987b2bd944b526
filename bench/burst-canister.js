// The ping-pong canister plus `burst(client, n)`, which queues n messages for a client in one
// update call: the next poll of the gateway then delivers them together, under one certificate.
const { IDL } = require('@icp-sdk/core/candid');
const { createIcWebSocket, defineCanister, update } = require('@icws/backend-cdk');

const AppMessage = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64 });

module.exports = defineCanister((ic) => {
  const ws = createIcWebSocket(ic, {
    appMessage: AppMessage,
    onOpen({ clientPrincipal }) {
      ws.sendMessage(clientPrincipal, { text: 'ping', timestamp: ic.time() });
    },
    onMessage({ clientPrincipal, message }) {
      ws.sendMessage(clientPrincipal, { text: `${ws.decodeMessage(message).text} ping`, timestamp: ic.time() });
    },
  });
  return {
    ...ws.methods,
    burst: update([IDL.Principal, IDL.Nat32], [], (clientPrincipal, count) => {
      for (let i = 0; i < count; i++) ws.sendMessage(clientPrincipal, { text: `burst ${i}`, timestamp: ic.time() });
    }),
  };
});
module.exports.AppMessage = AppMessage;
