// The WebSocket CDK's cost per call, against the built packages: `send` (one per update, and in
// batches) and `ws_get_messages` with 1k, 10k and 100k messages queued for one gateway, and a
// broadcast to 1,000 clients, and a CertifiedMap range witness at 100k entries. Times are measured inside the canister up to the end of the commit
// that certifies the messages (the round's BLS signature, ~20 ms per round whatever it holds, is
// not included); polls are timed around Replica.query (Candid and certificate included).
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');
const { randomBytes } = require('node:crypto');
const { CertifiedMap, createIcWebSocket, defineCanister, leaf, update } = require('@icws/backend-cdk');
const { Replica, TestClock } = require('@icws/replica');
const { encodeWsGetMessagesArgs, encodeWsOpenArgs } = require('@icws/protocol');

const SIZES = [1_000, 10_000, 100_000];
const BROADCAST_CLIENTS = Number(process.env.BENCH_BROADCAST_CLIENTS ?? 1_000);
const App = IDL.Record({ text: IDL.Text });
const PAYLOAD = new Uint8Array(IDL.encode([App], [{ text: 'benchmark message of a typical size, about sixty bytes long' }]));

/** A canister that times its own sends, up to the end of the commit that certifies them. */
const benchCanister = defineCanister((ic, timings) => {
  const ws = createIcWebSocket(ic, { appMessage: App });
  const timed = (body) => {
    const started = performance.now();
    const count = body();
    ic.onCommit(() => timings.push({ ms: performance.now() - started, count }));
  };
  return {
    ...ws.methods,
    timed_sends: update([IDL.Principal, IDL.Nat32], [], (principal, count) =>
      timed(() => {
        for (let i = 0; i < count; i++) ws.send(principal, PAYLOAD);
        return count;
      }),
    ),
    timed_broadcast: update([], [], () => timed(() => ws.broadcast(PAYLOAD))),
  };
});

const selfAuthenticating = () => Principal.selfAuthenticating(randomBytes(44));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);

async function main() {
  const timings = [];
  const replica = await Replica.create({ clock: new TestClock(), log: () => undefined });
  const canisterId = replica.install('bench', benchCanister, { init: timings });
  const call = async (method, types, values, caller) => {
    const outcome = await replica.update(canisterId, method, new Uint8Array(IDL.encode(types, values)), caller);
    if (outcome.status !== 'replied') throw new Error(`${method}: ${outcome.rejectMessage}`);
  };
  const open = (client, gateway) => replica.update(canisterId, 'ws_open', encodeWsOpenArgs({ client_nonce: 1n, gateway_principal: gateway }), client);
  const timedSends = async (client, count) => {
    await call('timed_sends', [IDL.Principal, IDL.Nat32], [client, count], client);
    const { ms } = timings.at(-1);
    return ms / count;
  };

  const gateway = selfAuthenticating();
  const client = selfAuthenticating();
  await open(client, gateway);
  let queued = 1;

  const rows = [];
  for (const size of SIZES) {
    while (queued < size) {
      const count = Math.min(20_000, size - queued);
      await timedSends(client, count);
      queued += count;
    }
    const single = [];
    for (let i = 0; i < 30; i++) single.push(await timedSends(client, 1));
    const batched = [];
    for (let i = 0; i < 5; i++) batched.push(await timedSends(client, 200));
    queued += 30 + 1_000;
    const polls = [];
    for (let i = 0; i < 300; i++) {
      const nonce = BigInt(Math.floor(Math.random() * (queued - 50)));
      const started = performance.now();
      const outcome = await replica.query(canisterId, 'ws_get_messages', encodeWsGetMessagesArgs({ nonce }), gateway);
      polls.push(performance.now() - started);
      if (outcome.status !== 'replied') throw new Error(outcome.rejectMessage);
    }
    rows.push({ size, single: median(single), batched: median(batched), poll: median(polls) });
  }

  console.log('queued   send (1 per update)   send (200 per update, per msg)   ws_get_messages (50 msgs)');
  for (const { size, single, batched, poll } of rows) {
    console.log(`${String(size).padStart(7)}   ${fmt(single).padStart(17)}   ${fmt(batched).padStart(30)}   ${fmt(poll).padStart(25)}`);
  }

  const broadcastGateway = selfAuthenticating();
  await Promise.all(Array.from({ length: BROADCAST_CLIENTS }, () => open(selfAuthenticating(), broadcastGateway)));
  const broadcasts = [];
  for (let i = 0; i < 10; i++) {
    await call('timed_broadcast', [], [], client);
    const { ms, count } = timings.at(-1);
    if (count !== BROADCAST_CLIENTS + 1) throw new Error(`broadcast reached ${count} clients`);
    broadcasts.push(ms);
  }
  const perBroadcast = median(broadcasts);
  console.log(`broadcast to ${BROADCAST_CLIENTS + 1} clients: ${fmt(perBroadcast)} (${fmt(perBroadcast / (BROADCAST_CLIENTS + 1))} per recipient)`);
  await replica.close();
  witnessFigure();
}

/** The time of a 50-key range witness of a CertifiedMap of 100,000 entries. */
function witnessFigure() {
  const key = (i) => new TextEncoder().encode(String(i).padStart(8, '0'));
  const map = new CertifiedMap();
  for (let i = 0; i < 300_000; i += 3) map.set(key(i), leaf(key(i)));
  map.rootHash();
  const times = [];
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    map.witnessRange(key(150_000), key(150_147));
    times.push(performance.now() - started);
  }
  console.log(`CertifiedMap of 100,000 entries: a 50-key range witness in ${fmt(median(times))}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
