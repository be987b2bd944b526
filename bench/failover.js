// Failover: a client given two gateways receives a stream of numbered messages; the gateway it is
// connected to is killed with SIGKILL, again and again (and restarted on its port). Prints the time
// from each kill to the first message delivered over the next connection (p50/p99), with resume
// (the session goes on through the other gateway: that message is the first one missed) next to a
// reconnection without resume (a new session: it is the next one pushed, and what was pushed in the
// gap is lost), measured alike in the same run. The replica runs in a process of its own (this
// script with --replica-host), as do the gateways. Runs against the built packages.
const { join } = require('node:path');
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');
const { IcWebSocket, createWsConfig, generateRandomIdentity } = require('@icws/client-sdk');
const { wsServiceMethods } = require('@icws/protocol');
const { startChild, percentile } = require('./support');

const KILLS = Number(process.env.BENCH_FAILOVER_KILLS ?? 15);
const PUSH_INTERVAL_MS = 20;
const RECONNECT = { minDelayMs: 100, maxDelayMs: 1_000 };

const StreamMessage = IDL.Record({ n: IDL.Nat64, text: IDL.Text });
const idlFactory = () => IDL.Service({ ...wsServiceMethods(StreamMessage) });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The replica's process: the stream canister; on stdin `stream <principal>` pushes message 1, 2, 3, …
 * to that client every PUSH_INTERVAL_MS until `stop`.
 */
async function replicaHost() {
  const { startReplica, loadCanisterModule } = require('@icws/replica');
  const replica = await startReplica({
    port: 0,
    log: () => undefined,
    canisters: [{ name: 'stream', module: loadCanisterModule(join(__dirname, '../test/support/stream-canister.ts')) }],
  });
  const canisterId = replica.canisterIds.stream;
  console.log(JSON.stringify({ url: replica.url.origin, canisterId: canisterId.toText() }));
  let run = 0;
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', async (data) => {
    for (const line of data.split('\n').filter(Boolean)) {
      const [command, principal] = line.trim().split(' ');
      const current = ++run;
      if (command !== 'stream') continue;
      const to = Principal.fromText(principal);
      for (let n = 1n; current === run; n++) {
        const arg = new Uint8Array(IDL.encode([IDL.Principal, IDL.Nat64, IDL.Nat64], [to, n, n]));
        // Rejected once the replica closes at the end: the stream just stops.
        if (!(await replica.replica.update(canisterId, 'push', arg, Principal.anonymous()).then(() => true, () => false))) return;
        await sleep(PUSH_INTERVAL_MS);
      }
    }
  });
  process.stdin.on('end', () => replica.close().then(() => process.exit(0)));
}

/** A gateway in its own process, on `port` (0: any free one). */
async function gateway(replicaUrl, port = 0) {
  const child = startChild(join(__dirname, 'gateway-host.js'), [replicaUrl, JSON.stringify({ gatewayAddress: `127.0.0.1:${port}` })]);
  const { url } = await child.next();
  return { ...child, url };
}

/**
 * Kills the gateway a client is connected through `KILLS` times, restarting it on its port after
 * each recovery. @returns the times from kill to the first message over the next connection (ms),
 * and the messages lost per kill
 */
async function measure(host, resume) {
  const gateways = [await gateway(host.url), await gateway(host.url)];
  const ws = new IcWebSocket(
    gateways.map((g) => g.url),
    undefined,
    createWsConfig({ canisterId: host.canisterId, idlFactory, identity: generateRandomIdentity(), networkUrl: host.url, reconnect: { ...RECONNECT, resume } }),
  );
  let last = 0n;
  let onMessage;
  ws.onmessage = (event) => {
    onMessage?.(event.data.n);
    last = event.data.n;
  };
  await ws.opened;
  host.child.stdin.write(`stream ${ws.getPrincipal().toText()}\n`);

  const times = [];
  const lost = [];
  for (let kill = 0; kill < KILLS; kill++) {
    await new Promise((resolve) => (onMessage = () => resolve())); // the stream flows
    onMessage = undefined;
    const index = gateways.findIndex((g) => g.url === ws.url);
    const exited = new Promise((resolve) => gateways[index].child.once('exit', resolve));
    const reopened = new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
    const killedAt = performance.now();
    gateways[index].child.kill('SIGKILL');
    await reopened;
    const before = last;
    const n = await new Promise((resolve) => (onMessage = resolve));
    times.push(performance.now() - killedAt);
    lost.push(Number(n - before - 1n));
    onMessage = undefined;
    await exited;
    gateways[index] = await gateway(host.url, Number(new URL(gateways[index].url).port));
  }
  host.child.stdin.write('stop\n');
  ws.close();
  for (const g of gateways) g.stop();
  return { times, lost };
}

async function main() {
  const host = startChild(__filename, ['--replica-host']);
  const { url, canisterId } = await host.next();
  const replica = { url, canisterId: Principal.fromText(canisterId), child: host.child };
  const rows = [
    ['resume (session goes on)', await measure(replica, true)],
    ['reconnect without resume (reference)', await measure(replica, false)],
  ];
  console.log(`gateway killed with SIGKILL ${KILLS} times per client; one message every ${PUSH_INTERVAL_MS} ms; reconnect backoff ${RECONNECT.minDelayMs}–${RECONNECT.maxDelayMs} ms, full jitter`);
  for (const [name, { times, lost }] of rows) {
    const lostTotal = lost.reduce((a, b) => a + b, 0);
    console.log(
      `${name.padEnd(38)} kill → first message p50 ${percentile(times, 50).toFixed(0).padStart(5)} ms, p99 ${percentile(times, 99).toFixed(0).padStart(5)} ms; ` +
        `messages lost ${lostTotal} (${(lostTotal / KILLS).toFixed(1)} per kill)`,
    );
  }
  host.stop();
}

(process.argv.includes('--replica-host') ? replicaHost() : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
