// What the replica keeps per registered WebSocket client and per queued small message, with
// garbage collected (run with --expose-gc; bench/replica.js runs it so). Prints one JSON line:
//  - perClient: heap + external per client opened (its registry entry and its open message, which
//    waits in the queue), once the ws_open calls' request statuses have expired;
//  - perMessage: heap + external per message of ~30 bytes queued for one client and not polled;
//  - messageReference: heap + external per copy of one such message's CBOR (what a queue holds at least);
//  - clientReference: heap + external per entry of a Map from a principal's text to a record of
//    its key and sequence numbers (what a registry holds at least);
//  - rssPerMessage, rssPerClient: the same growths in RSS (which also holds freed, unreturned memory).
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');
const { randomBytes } = require('node:crypto');
const { createIcWebSocket, defineCanister, update } = require('@icws/backend-cdk');
const { Replica, TestClock } = require('@icws/replica');
const { encodeWsOpenArgs, encodeWebsocketMessage } = require('@icws/protocol');

const CLIENTS = Number(process.env.BENCH_MEMORY_CLIENTS ?? 5_000);
const MESSAGES = Number(process.env.BENCH_MEMORY_MESSAGES ?? 50_000);
const PER_CALL = 1_000;
/** About 30 bytes of Candid: a short text. */
const PAYLOAD = new Uint8Array(IDL.encode([IDL.Text], ['a small message, 30 bytes']));

const canister = defineCanister((ic) => {
  const ws = createIcWebSocket(ic, { maxQueuedMessages: 10 * MESSAGES });
  return {
    ...ws.methods,
    queue: update([IDL.Principal, IDL.Nat32], [], (principal, count) => {
      for (let i = 0; i < count; i++) ws.send(principal, PAYLOAD);
    }),
  };
});

function memory() {
  global.gc();
  global.gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

const rss = () => process.memoryUsage().rss;

async function main() {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  let wallNs = BigInt(Date.now()) * 1_000_000n;
  const clock = new TestClock();
  const replica = await Replica.create({ clock, signer: 'inline', verifier: 'inline', wallClock: () => wallNs, log: () => undefined });
  const id = replica.install('ws', canister);
  const gateway = Principal.selfAuthenticating(randomBytes(44));
  const call = async (method, arg, caller) => {
    const outcome = await replica.update(id, method, arg, caller);
    if (outcome.status !== 'replied') throw new Error(`${method}: ${outcome.rejectMessage}`);
  };
  const expireStatuses = async () => {
    wallNs += 10n * 60n * 1_000_000_000n;
    await replica.tick();
  };
  await replica.tick();

  // Clients: their ws_open calls go out 500 at a time; statuses expire before the measurement.
  const principals = Array.from({ length: CLIENTS }, () => Principal.selfAuthenticating(randomBytes(44)));
  const beforeClients = memory();
  const rssBeforeClients = rss();
  for (let i = 0; i < CLIENTS; i += 500) {
    await Promise.all(principals.slice(i, i + 500).map((principal) => call('ws_open', encodeWsOpenArgs({ client_nonce: 1n, gateway_principal: gateway }), principal)));
  }
  await expireStatuses();
  const perClient = (memory() - beforeClients) / CLIENTS;
  const rssPerClient = (rss() - rssBeforeClients) / CLIENTS;

  // Messages: queued for one client, 1,000 per update call.
  const target = principals[0];
  const beforeMessages = memory();
  const rssBeforeMessages = rss();
  for (let i = 0; i < MESSAGES; i += PER_CALL) {
    await call('queue', new Uint8Array(IDL.encode([IDL.Principal, IDL.Nat32], [target, Math.min(PER_CALL, MESSAGES - i)])), target);
  }
  await expireStatuses();
  const perMessage = (memory() - beforeMessages) / MESSAGES;
  const rssPerMessage = (rss() - rssBeforeMessages) / MESSAGES;

  // Reference: the CBOR message a client receives, one copy per message.
  const cbor = encodeWebsocketMessage({ client_key: { client_principal: target, client_nonce: 1n }, sequence_num: 2n, timestamp: wallNs, is_service_message: false, content: PAYLOAD });
  const beforeCopies = memory();
  const copies = Array.from({ length: MESSAGES }, () => cbor.slice());
  const perCopy = (memory() - beforeCopies) / copies.length;
  const beforeEntries = memory();
  const registry = new Map(principals.map((principal) => [principal.toText(), { principal, nonce: 1n, incoming: 1n, outgoing: 1n }]));
  const perEntry = (memory() - beforeEntries) / registry.size;
  await replica.close();
  console.log(JSON.stringify({
    clients: CLIENTS, messages: MESSAGES, payloadBytes: PAYLOAD.length, messageBytes: cbor.length,
    perClient, perMessage, messageReference: perCopy, clientReference: perEntry, rssPerClient, rssPerMessage, kept: [copies.length, registry.size],
  }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
