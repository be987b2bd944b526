// Gateway with the replica behind it, driven by cheap clients (native Ed25519 keys, no certificate
// checks), so the figures are the server side's capacity, not what an SDK client sees:
//  - reply latency (client → canister → client) at the default 100 ms polling interval,
//  - relay rate, and the CPU gateway and replica spend per round trip at a steady load (measured
//    over 10 s once a warm-up has seen the CPU per round trip settle, so JIT compilation is not
//    counted), next to a raw `ws` echo server's CPU per round trip in the same run, measured alike,
//  - how many idle canisters one gateway core polls every 100 ms, from the gateway's CPU per poll
//    with many idle canisters, next to a plain node:http POST's client CPU in the same run,
//  - gateway memory per idle connection.
// Env: BENCH_ONLY=latency,relay,capacity,idle,memory (phases to run), BENCH_IDLE_CLIENTS (memory
// phase, 10000), BENCH_IDLE_CANISTERS (idle phase, 200), BENCH_IDLE_SECONDS (idle phase's windows,
// 10), BENCH_LATENCY_CLIENTS (20), BENCH_PROFILE=<dir> (CPU profiles of the gateway's and the
// replica's main threads during the capacity phase's measured window and the idle phase).
const { join } = require('node:path');
const http = require('node:http');
const WebSocket = require('ws');
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');
const protocol = require('@icws/protocol');
const { Cbor, startChild, nativeIdentity, signedEnvelope, percentile } = require('./support');

const IDLE_CLIENTS = Number(process.env.BENCH_IDLE_CLIENTS ?? 10000);
const IDLE_CANISTERS = Number(process.env.BENCH_IDLE_CANISTERS ?? 200);
/** Length of the idle phase's measured windows (without sessions, then polling). */
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
const CAPACITY_CLIENTS = 100;
/** Round trips each capacity client keeps in flight: a steady load below the replica's pending-call bound. */
const CAPACITY_IN_FLIGHT = 4;
/** Length of the capacity phase's measured window, after its warm-up (see STEADY_WARM_UP). */
const CAPACITY_SECONDS = 10;
const POLL_INTERVAL_MS = 100;
const ONLY = process.env.BENCH_ONLY?.split(',');
const PROFILE = process.env.BENCH_PROFILE;
const AppMessage = IDL.Record({ text: IDL.Text, timestamp: IDL.Nat64 });
/** Said with every figure the bench clients' work changes: they do not check the certificates an SDK client checks. */
const CLIENTS_NOTE = 'clients that skip certificate checks';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class BenchClient {
  constructor(url, canisterId) {
    this.identity = nativeIdentity();
    this.canisterId = canisterId;
    this.nonce = BigInt(Math.floor(Math.random() * 2 ** 40));
    this.sequence = 0n;
    this.socket = new WebSocket(url, { perMessageDeflate: false });
    this.frames = [];
    this.waiters = [];
    this.onFrame = undefined;
    this.socket.on('message', (data) => {
      if (this.onFrame) return this.onFrame(data);
      const waiter = this.waiters.shift();
      if (waiter) waiter(data);
      else this.frames.push(data);
    });
  }
  frame() {
    return this.frames.length ? Promise.resolve(this.frames.shift()) : new Promise((resolve) => this.waiters.push(resolve));
  }
  call(method, arg) {
    const content = {
      request_type: 'call', canister_id: this.canisterId, method_name: method, arg, sender: this.identity.principal,
      ingress_expiry: BigInt(Date.now() + 4 * 60_000) * 1_000_000n, nonce: crypto.getRandomValues(new Uint8Array(8)),
    };
    this.socket.send(protocol.encodeClientRequest({ envelope: signedEnvelope(this.identity, content) }));
  }
  async open() {
    await new Promise((resolve, reject) => { this.socket.once('open', resolve); this.socket.once('error', reject); });
    const { gateway_principal } = protocol.decodeGatewayHandshake(await this.frame());
    this.call('ws_open', protocol.encodeWsOpenArgs({ client_nonce: this.nonce, gateway_principal }));
    await this.frame(); // open message
    await this.frame(); // the canister's "ping"
  }
  send(text) {
    this.sequence++;
    const content = new Uint8Array(IDL.encode([AppMessage], [{ text, timestamp: BigInt(Date.now()) * 1_000_000n }]));
    const msg = { client_key: { client_principal: this.identity.principal, client_nonce: this.nonce }, sequence_num: this.sequence, timestamp: BigInt(Date.now()) * 1_000_000n, is_service_message: false, content };
    this.call('ws_message', protocol.encodeWsMessageArgs({ msg }));
  }
}

async function openClients(count, url, canisterIds, concurrency = 200) {
  const ids = Array.isArray(canisterIds) ? canisterIds : [canisterIds];
  const clients = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const client = new BenchClient(url, ids[next++ % ids.length]);
      await client.open();
      clients.push(client);
    }
  }));
  return clients;
}

/** CPU seconds (user + system) a host reported on stdin ("cpu" or "memory" answer). */
const cpuSeconds = (answer) => (answer.cpu.user + answer.cpu.system) / 1e6;

/** How a closed loop warms up before its measured window: 1 s unless told otherwise. */
const QUICK_WARM_UP = { windowSeconds: 1, minSeconds: 1, maxSeconds: 1 };
/**
 * The capacity phase's warm-up: windows of `windowSeconds` until the CPU per round trip of two in a
 * row agrees within `tolerance`, at least `minSeconds`, at most `maxSeconds`. Profiles showed JIT
 * compilation (on V8's own threads, counted as the process's CPU) busy for the first 5–8 s of load.
 */
const STEADY_WARM_UP = { windowSeconds: 2, minSeconds: 8, maxSeconds: 20, tolerance: 0.1 };

/**
 * Keeps `inFlight` messages in flight per connection for `seconds` (each reply sends the next),
 * after a warm-up (see {@link STEADY_WARM_UP}); `measure(phase)` samples the hosts, its `cpu` (CPU
 * seconds) is what the warm-up watches. The measured window is also sampled at its middle, so the
 * halves can be compared.
 * @returns round trips completed in the measured window (and in each half), its length, the samples
 *   and what the warm-up did
 */
async function closedLoop(connections, inFlight, seconds, measure, warmUp = QUICK_WARM_UP) {
  let roundTrips = 0;
  let stop = false;
  const done = connections.map((connection) => new Promise((resolve) => {
    let outstanding = 0;
    connection.onFrame = () => {
      outstanding--;
      roundTrips++;
      if (!stop) {
        outstanding++;
        connection.sendOne();
      } else if (outstanding === 0) resolve();
    };
    for (let i = 0; i < inFlight; i++) {
      outstanding++;
      connection.sendOne();
    }
  }));
  const warmStart = performance.now();
  const windows = [];
  let settled = false;
  if (warmUp.tolerance === undefined) await sleep(warmUp.minSeconds * 1000);
  else {
    let previous = { sample: await measure('warm-up'), trips: roundTrips };
    for (let elapsed = warmUp.windowSeconds; elapsed <= warmUp.maxSeconds; elapsed += warmUp.windowSeconds) {
      await sleep(warmUp.windowSeconds * 1000);
      const sample = await measure('warm-up');
      windows.push((1000 * (sample.cpu - previous.sample.cpu)) / (roundTrips - previous.trips));
      previous = { sample, trips: roundTrips };
      const [a, b] = windows.slice(-2);
      settled = elapsed >= warmUp.minSeconds && windows.length >= 2 && Math.abs(a - b) <= warmUp.tolerance * Math.min(a, b);
      if (settled) break;
    }
  }
  const warmSeconds = (performance.now() - warmStart) / 1000;
  const before = await measure('before');
  const tripsBefore = roundTrips;
  const t0 = performance.now();
  await sleep((seconds * 1000) / 2);
  const middle = await measure('middle');
  const tripsMiddle = roundTrips;
  await sleep((seconds * 1000) / 2);
  const tripsAfter = roundTrips;
  const wall = (performance.now() - t0) / 1000;
  const after = await measure('after');
  stop = true;
  await Promise.all(done);
  for (const connection of connections) connection.onFrame = undefined;
  return {
    roundTrips: tripsAfter - tripsBefore,
    halves: [tripsMiddle - tripsBefore, tripsAfter - tripsMiddle],
    wall,
    before,
    middle,
    after,
    warmUp: { seconds: warmSeconds, windows, settled },
  };
}

/** Client CPU of one node:http POST on a kept-alive connection, the HTTP client a gateway could use. */
async function nodeHttpPostCpuMs(url, path, body, count) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = () => new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method: 'POST', agent, headers: { 'content-type': 'application/cbor', 'content-length': body.length } }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  for (let i = 0; i < 200; i++) await post();
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) await post();
  const cpu = process.cpuUsage(before);
  agent.destroy();
  return (cpu.user + cpu.system) / 1000 / count;
}

async function main() {
  const run = (phase) => ONLY === undefined || ONLY.includes(phase);
  const canisterCount = run('idle') ? IDLE_CANISTERS : 1;
  const replica = startChild(join(__dirname, 'ping-pong-host.js'), ['', String(canisterCount)]);
  const { url: replicaUrl, canisterId: canisterText, canisterIds: canisterTexts } = await replica.next();
  // Every client of this bench comes from 127.0.0.1: lift the per-address limit above their number.
  const limits = { maxConnectionsPerIp: IDLE_CLIENTS + IDLE_CANISTERS + 1_000, maxConnections: IDLE_CLIENTS + IDLE_CANISTERS + 1_000 };
  const gateway = startChild(join(__dirname, 'gateway-host.js'), [replicaUrl, JSON.stringify(limits)], ['--expose-gc']);
  const { url } = await gateway.next();
  const canisterId = Principal.fromText(canisterText);
  const profiled = async (name, body) => {
    if (!PROFILE) return body();
    await Promise.all([gateway.ask('profile-start'), replica.ask('profile-start')]);
    const result = await body();
    await Promise.all([gateway.ask(`profile-stop ${join(PROFILE, `gateway-${name}.cpuprofile`)}`), replica.ask(`profile-stop ${join(PROFILE, `replica-${name}.cpuprofile`)}`)]);
    return result;
  };

  // Latency: one message at a time per client, for one client (an idle system) and for 20.
  const latencyClients = [];
  if (run('latency')) {
    for (const count of [1, Number(process.env.BENCH_LATENCY_CLIENTS ?? 20)]) {
      const clients = await openClients(count - latencyClients.length, url, canisterId);
      latencyClients.push(...clients);
      const latencies = [];
      await Promise.all(latencyClients.map(async (client) => {
        for (let i = 0; i < 25; i++) {
          const t0 = performance.now();
          client.send(`m${i}`);
          await client.frame();
          latencies.push(performance.now() - t0);
        }
      }));
      console.log(`reply latency at the 100 ms polling interval, ${String(count).padStart(2)} client(s) × 25 round trips (${CLIENTS_NOTE}): p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
    }
  }

  const clients = run('relay') || run('capacity')
    ? [...latencyClients, ...(await openClients(CAPACITY_CLIENTS - latencyClients.length, url, canisterId))]
    : latencyClients;

  // Relay rate: 100 clients, each with 50 messages in flight at once.
  if (run('relay')) {
    const perClient = 50;
    const t0 = performance.now();
    await Promise.all(clients.map(async (client) => {
      for (let i = 0; i < perClient; i++) client.send(`t${i}`);
      for (let i = 0; i < perClient; i++) await client.frame();
    }));
    const seconds = (performance.now() - t0) / 1000;
    const frames = clients.length * perClient;
    console.log(`relay: ${frames} client frames relayed and answered in ${seconds.toFixed(2)} s = ${Math.round(frames / seconds)} frames/s (100 ${CLIENTS_NOTE}, 50 in flight each)`);
  }

  // Server capacity: CPU of gateway and replica per round trip at a steady load, against the CPU of
  // a raw `ws` echo server per round trip with as many connections and messages in flight.
  if (run('capacity')) {
    let sent = 0;
    for (const client of clients) client.sendOne = () => client.send(`c${sent++}`);
    // Profiles cover the measured window only, not the warm-up.
    const measure = async (phase) => {
      const [g, r] = await Promise.all([gateway.ask('cpu'), replica.ask('memory')]);
      if (PROFILE && phase === 'before') await Promise.all([gateway.ask('profile-start'), replica.ask('profile-start')]);
      if (PROFILE && phase === 'after') {
        await Promise.all([gateway.ask(`profile-stop ${join(PROFILE, 'gateway-capacity.cpuprofile')}`), replica.ask(`profile-stop ${join(PROFILE, 'replica-capacity.cpuprofile')}`)]);
      }
      const gatewayCpu = cpuSeconds(g);
      const replicaCpu = cpuSeconds(r);
      return { cpu: gatewayCpu + replicaCpu, gateway: gatewayCpu, replica: replicaCpu, rounds: r.stats.rounds, polls: g.polls, queries: r.stats.queriesExecuted, fromCertified: r.stats.queriesFromCertifiedState };
    };
    const server = await closedLoop(clients, CAPACITY_IN_FLIGHT, CAPACITY_SECONDS, measure, STEADY_WARM_UP);
    // Then the replica's allocation per round trip at the same load, sampled (sampling slows it a little).
    const allocation = await closedLoop(clients, CAPACITY_IN_FLIGHT, 3, async (phase) => {
      if (phase === 'before') return replica.ask('alloc-start');
      if (phase === 'after') return replica.ask(`alloc-stop${PROFILE ? ` ${join(PROFILE, 'replica-capacity.heapprofile')}` : ''}`);
      return undefined;
    });
    const echoHost = startChild(join(__dirname, 'ws-echo-host.js'));
    const { url: echoUrl } = await echoHost.next();
    const frame = Buffer.alloc(420, 7); // about a signed ws_message envelope's size
    const echoes = await Promise.all(Array.from({ length: CAPACITY_CLIENTS }, () => new Promise((resolve, reject) => {
      const socket = new WebSocket(echoUrl, { perMessageDeflate: false });
      const connection = { sendOne: () => socket.send(frame), onFrame: undefined };
      socket.on('message', () => connection.onFrame?.());
      socket.once('open', () => resolve(Object.assign(connection, { socket })));
      socket.once('error', reject);
    })));
    const echo = await closedLoop(echoes, CAPACITY_IN_FLIGHT, CAPACITY_SECONDS, async () => ({ cpu: cpuSeconds(await echoHost.ask('cpu')) }), STEADY_WARM_UP);
    for (const connection of echoes) connection.socket.close();
    echoHost.stop();

    const perTrip = (seconds, trips) => (seconds * 1000) / trips;
    const gatewayMs = perTrip(server.after.gateway - server.before.gateway, server.roundTrips);
    const replicaMs = perTrip(server.after.replica - server.before.replica, server.roundTrips);
    const halvesMs = [perTrip(server.middle.cpu - server.before.cpu, server.halves[0]), perTrip(server.after.cpu - server.middle.cpu, server.halves[1])];
    const echoMs = perTrip(echo.after.cpu - echo.before.cpu, echo.roundTrips);
    const per = (key) => (server.after[key] - server.before[key]) / server.roundTrips;
    const allocatedKb = allocation.after.allocatedBytes / allocation.roundTrips / 1024;
    const { windowSeconds, tolerance, maxSeconds } = STEADY_WARM_UP;
    const warmUpNote = ({ seconds, windows, settled }) =>
      `${Math.round(seconds)} s warm-up, ${settled ? `settled (two ${windowSeconds}-s windows within ${tolerance * 100}%)` : `not settled within ${maxSeconds} s`}: ` +
      `${windows.map((ms) => ms.toFixed(3)).join(', ')} CPU-ms per round trip`;
    const detail = `replica allocates ${allocatedKb.toFixed(1)} KB per round trip; ${(1 / per('rounds')).toFixed(1)} round trips per round, ${(1 / per('polls')).toFixed(1)} per poll, ` +
      `${Math.round((100 * (server.after.fromCertified - server.before.fromCertified)) / (server.after.queries - server.before.queries))}% of polls answered without waiting for a round`;
    console.log(
      `server capacity (${CAPACITY_CLIENTS} ${CLIENTS_NOTE} × ${CAPACITY_IN_FLIGHT} in flight; ${warmUpNote(server.warmUp)}, then ${CAPACITY_SECONDS} s measured): ` +
        `${Math.round(server.roundTrips / server.wall)} round trips/s, ` +
        `gateway + replica ${(gatewayMs + replicaMs).toFixed(3)} CPU-ms per round trip (gateway ${gatewayMs.toFixed(3)}, replica ${replicaMs.toFixed(3)}; halves ${halvesMs[0].toFixed(3)} / ${halvesMs[1].toFixed(3)}) ` +
        `= ${Math.round(2000 / (gatewayMs + replicaMs))} round trips/s on 2 cores | reference, raw ws echo server: ${echoMs.toFixed(3)} CPU-ms per round trip ` +
        `(${Math.round(echo.roundTrips / echo.wall)} round trips/s; ${warmUpNote(echo.warmUp)}); ${detail}`,
    );
  }
  for (const client of clients) client.socket.close();
  if (clients.length > 0) await sleep(1000);

  // Idle polling: the gateway's CPU per poll while it polls many idle canisters (one client on
  // each), less its CPU with no session over as long a time (measured after a settling pause, so
  // start-up work is not taken for idle cost); one core polls 1000 ms / (10 polls × that)
  // canisters. Opening the clients is measured apart: it relays a ws_open per canister and reads
  // the node keys the first polls need (read again every 5 minutes, so a cost the polling window
  // would not see).
  if (run('idle')) {
    const cpuOver = async (ms) => {
      const before = await gateway.ask('cpu');
      await sleep(ms);
      const after = await gateway.ask('cpu');
      return { cpuMs: (cpuSeconds(after) - cpuSeconds(before)) * 1000, polls: after.polls - before.polls };
    };
    await sleep(2000);
    const baseline = await cpuOver(IDLE_SECONDS * 1000);
    const ids = canisterTexts.map((text) => Principal.fromText(text));
    const openBefore = await gateway.ask('cpu');
    const openStarted = performance.now();
    const idleClients = await openClients(ids.length, url, ids, 50);
    await sleep(2000);
    const openAfter = await gateway.ask('cpu');
    const openSeconds = (performance.now() - openStarted) / 1000;
    const polling = await profiled('idle', () => cpuOver(IDLE_SECONDS * 1000));
    const perPollMs = (polling.cpuMs - baseline.cpuMs) / polling.polls;
    // Less the polls made meanwhile, at the rate measured, and the CPU without sessions.
    const openMs = (cpuSeconds(openAfter) - cpuSeconds(openBefore)) * 1000 - (openAfter.polls - openBefore.polls) * perPollMs - (baseline.cpuMs / IDLE_SECONDS) * openSeconds;
    // The reference: a node:http client posting a poll-sized query (what a poll costs in HTTP alone).
    const identity = nativeIdentity();
    const content = {
      request_type: 'query', canister_id: ids[0], method_name: 'ws_get_messages', arg: protocol.encodeWsGetMessagesArgs({ nonce: 0n }),
      sender: identity.principal, ingress_expiry: BigInt(Date.now() + 4 * 60_000) * 1_000_000n,
    };
    const body = Buffer.from(Cbor.encode(signedEnvelope(identity, content)));
    const httpMs = await nodeHttpPostCpuMs(replicaUrl, `/api/v2/canister/${ids[0].toText()}/query`, body, 2000);
    console.log(
      `idle polling: ${ids.length} idle canisters, ${Math.round(polling.polls / IDLE_SECONDS)} polls/s (${ids.length * (1000 / POLL_INTERVAL_MS)} due), gateway CPU ${perPollMs.toFixed(3)} ms per poll ` +
        `= ${Math.round(1000 / ((1000 / POLL_INTERVAL_MS) * perPollMs))} idle canisters per gateway core at ${POLL_INTERVAL_MS} ms (over ${IDLE_SECONDS} s, less ${(baseline.cpuMs / IDLE_SECONDS).toFixed(1)} CPU-ms/s without sessions); ` +
        `opening them (ws_open, first polls, node keys) ${(openMs / ids.length).toFixed(2)} CPU-ms per canister | ` +
        `reference, one node:http POST of a poll: ${httpMs.toFixed(3)} CPU-ms of its client (${Math.round(1000 / ((1000 / POLL_INTERVAL_MS) * httpMs))} canisters per core)`,
    );
    for (const client of idleClients) client.socket.close();
    await sleep(500);
  }

  // Memory per idle connection.
  if (run('memory')) {
    const before = await gateway.ask('memory');
    const idle = await openClients(IDLE_CLIENTS, url, canisterId);
    await sleep(2000);
    const after = await gateway.ask('memory');
    const perRss = (after.memory.rss - before.memory.rss) / idle.length / 1024;
    const perHeap = (after.memory.heapUsed + after.memory.external - before.memory.heapUsed - before.memory.external) / idle.length / 1024;
    console.log(`memory: ${after.sessions} open sessions; gateway RSS +${perRss.toFixed(1)} KB and heap+external +${perHeap.toFixed(1)} KB per idle connection`);
    for (const client of idle) client.socket.terminate();
  }
  gateway.stop();
  replica.stop();
  setTimeout(() => process.exit(0), 500).unref();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
