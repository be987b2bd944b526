// Client SDK, as an application sees it. In one run, each figure next to its reference and the
// target of issue 17:
//  - what the browser bundle costs: the SDK, and the Web Worker with mcl-wasm it loads when the
//    page makes its first socket;
//  - the BLS verifiers per certificate (a mainnet certificate with its delegation, so two
//    signatures): noble and mcl-wasm on the calling thread, mcl-wasm on a worker thread; wall
//    time and the calling thread's busy time;
//  - client CPU per received message when one poll delivers 50 messages (one certificate for the
//    batch), for @icws/client-sdk and the published ic-websocket-js@0.5.0;
//  - round trips of real @icws/client-sdk clients (certificates checked, the default verifier)
//    through gateway and canister with 1 / 20 / 100 / 300 clients, each one round trip at a time:
//    p50 and p99 latency and round trips per second, next to a raw `ws` echo with as many clients,
//    and at 100 clients again with the noble verifier on the calling thread. The clients share this
//    process, so they share the SDK's process-wide certificate cache and verifier: each distinct
//    certificate is checked once for all of them (as in a bot or server holding many sockets), where
//    as many browsers would each check it. The output says so.
// Runs against the built packages (`npm run build`); the upstream client comes from
// test/upstream-client (`npm ci --prefix test/upstream-client`). BENCH_CLIENT_COUNTS (1,20,100,300),
// BENCH_CLIENT_SECONDS (5 per count), BENCH_CLIENT_BURSTS (5), BENCH_CLIENT_VERIFIER (worker) and
// BENCH_CLIENT_COMPARE (noble: the verifier measured again at 100 clients as a reference) and
// BENCH_CLIENT_ROUND_INTERVAL (the replica's minRoundIntervalMs; its default when unset) change it.
// Each SDK line also gives the replica's rounds per second: each round is one certificate to check.
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { gzipSync } = require('node:zlib');
const WebSocket = require('ws');
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');
const protocol = require('@icws/protocol');
const { enableTypeScriptModules } = require('@icws/replica');
const { IcWebSocket, createWsConfig, generateRandomIdentity } = require('@icws/client-sdk');
const { AppMessage } = require('./burst-canister');
const { startChild, percentile } = require('./support');

const BURST = 50;
const BURSTS = Number(process.env.BENCH_CLIENT_BURSTS ?? 5);
const COUNTS = (process.env.BENCH_CLIENT_COUNTS ?? '1,20,100,300').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_CLIENT_SECONDS ?? 5);
const VERIFIER = process.env.BENCH_CLIENT_VERIFIER ?? 'worker';
/** The verifier the SDK had before mcl-wasm, run again at COMPARE_AT clients as an in-run reference. */
const COMPARE_WITH = process.env.BENCH_CLIENT_COMPARE ?? 'noble';
const COMPARE_AT = 100;
const CERTIFICATES = Number(process.env.BENCH_CLIENT_CERTIFICATES ?? 20);
const ROUND_INTERVAL = process.env.BENCH_CLIENT_ROUND_INTERVAL;
const UPSTREAM = join(__dirname, '../test/upstream-client/node_modules');
const CLIENT_SRC = join(__dirname, '../packages/client-sdk/src');
const DIST = join(__dirname, '../packages/client-sdk/dist');

/** Issue 17's targets for a real SDK client (printed, not asserted). */
const TARGETS = {
  1: 'target p50 <= 15 ms, p99 <= 30 ms',
  20: 'target p50 <= 40 ms',
  100: 'target >= 1,500 round trips/s',
};

const methods = {
  ...protocol.wsServiceMethods(AppMessage),
  burst: IDL.Func([IDL.Principal, IDL.Nat32], [], []),
};
const idlFactory = () => IDL.Service(methods);
const app = (text) => ({ text, timestamp: BigInt(Date.now()) * 1_000_000n });

/** A WebSocket class that keeps the frames it receives, to count certificates after the measurement. */
function recordingWebSocket(Base, counters) {
  return class extends Base {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => counters.frames.push(event.data));
    }
  };
}

/** @returns how many distinct certificates the relayed frames in `frames` carry. */
function distinctCertificates(frames) {
  const certs = new Set();
  for (const data of frames) {
    try {
      certs.add(Buffer.from(protocol.decodeCanisterToClientMessage(new Uint8Array(data.buffer ?? data)).cert).toString('base64'));
    } catch {
      // the handshake
    }
  }
  return certs.size;
}

const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
const sizeOf = (file) => {
  const bytes = readFileSync(join(DIST, file));
  return `${kb(bytes.length)} (${kb(gzipSync(bytes).length)} gzipped)`;
};

/** What a page pays for the browser bundle, and what it loads with its first socket. */
function printBundleCost() {
  const chunk = readdirSync(join(DIST, 'browser')).find((file) => /^mcl-wasm-.*\.js$/.test(file));
  console.log(`browser bundle: icws-client.browser.js ${sizeOf('icws-client.browser.js')}, loaded with the page`);
  console.log(`  + with the first socket: icws-bls-worker.js ${sizeOf('icws-bls-worker.js')} (mcl-wasm in a Web Worker)`);
  console.log(`    or, with blsVerifier 'wasm' or where workers fail: browser/${chunk} ${sizeOf(`browser/${chunk}`)}; with 'noble': nothing`);
}

/**
 * The BLS verifiers on a mainnet certificate with its delegation (two signatures), checked
 * `CERTIFICATES` times one after the other with keys prepared (as a client's root and subnet keys
 * are after its first certificate). The verifiers are internal to the SDK: they are loaded from its
 * sources.
 */
async function verifierBench() {
  enableTypeScriptModules();
  const { verifyCertificate } = require(join(CLIENT_SRC, 'certificate.ts'));
  const { NobleBlsVerifier } = require(join(CLIENT_SRC, 'bls-noble.ts'));
  const { WasmBlsVerifier } = require(join(CLIENT_SRC, 'bls-wasm-verifier.ts'));
  const { WorkerBlsVerifier } = require(join(CLIENT_SRC, 'bls-worker-verifier.ts'));
  const vectors = JSON.parse(readFileSync(join(__dirname, '../test/vectors/mainnet-certificates.json'), 'utf8'));
  const vector = vectors.certificates.find((v) => v.name === 'request-status-2022');
  const options = (blsVerifier) => ({
    rootKey: Buffer.from(vectors.rootKey, 'hex'),
    canisterId: Principal.fromText(vector.canisterInRange),
    nowMs: Date.parse(vector.time),
    maxAgeInMinutes: 5,
    blsVerifier,
  });
  const bytes = Buffer.from(vector.hex, 'hex');
  const results = {};
  for (const [name, verifier] of [['noble', new NobleBlsVerifier()], ['wasm', new WasmBlsVerifier()], ['worker', new WorkerBlsVerifier()]]) {
    for (let i = 0; i < 3; i++) await verifyCertificate(bytes, options(verifier)); // start, prepare the keys
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    await nextTurn();
    const elu0 = performance.eventLoopUtilization();
    let wallMs = 0;
    for (let i = 0; i < CERTIFICATES; i++) {
      const t0 = performance.now();
      await verifyCertificate(bytes, options(verifier));
      wallMs += (performance.now() - t0) / CERTIFICATES;
      // the event loop counts its busy time when a turn ends: end one after each check
      await nextTurn();
    }
    const busyMs = performance.eventLoopUtilization(elu0).active / CERTIFICATES;
    results[name] = { wallMs, busyMs };
    await verifier.close?.();
  }
  const line = (label, { wallMs, busyMs }) => `${label} ${wallMs.toFixed(1)} ms, calling thread busy ${busyMs.toFixed(1)} ms`;
  console.log(`certificate check (mainnet certificate with delegation: 2 BLS signatures), mean of ${CERTIFICATES}:`);
  console.log(`  ${line('noble on the calling thread (reference):', results.noble)}`);
  console.log(`  ${line('mcl-wasm on the calling thread:         ', results.wasm)}  (${(results.noble.wallMs / results.wasm.wallMs).toFixed(1)}x faster)`);
  console.log(`  ${line('mcl-wasm on a worker thread (default):  ', results.worker)}  (calling thread ${(results.noble.busyMs / results.worker.busyMs).toFixed(0)}x less busy)`);
}

/** Connects one client with `connect(onText)` and measures client CPU per message over bursts of 50. */
async function measureBursts(host, name, connect) {
  const counters = { frames: [] };
  let waiting;
  let received = 0;
  const client = await connect(counters, (text) => {
    if (!text.startsWith('burst ')) return;
    received++;
    if (received === BURST) waiting?.();
  });
  const perMessage = [];
  let certificates = 0;
  for (let round = 0; round < BURSTS + 1; round++) {
    received = 0;
    counters.frames = [];
    const done = new Promise((resolve) => (waiting = resolve));
    const replied = host.ask(`burst ${client.principal} ${BURST}`);
    // from here on, the process only receives: the messages come with the gateway's next poll
    const cpu0 = process.cpuUsage();
    await done;
    const cpu = process.cpuUsage(cpu0);
    const reply = await replied;
    if (reply.burst !== 'replied') throw new Error(`burst: ${JSON.stringify(reply)}`);
    if (round === 0) continue; // warm-up
    perMessage.push((cpu.user + cpu.system) / 1000 / BURST);
    certificates += distinctCertificates(counters.frames);
  }
  client.close();
  const median = percentile(perMessage, 50);
  console.log(
    `${name}: ${median.toFixed(3)} ms client CPU per received message (median of ${BURSTS} bursts of ${BURST}; ` +
      `${(certificates / BURSTS).toFixed(1)} certificate(s) per burst)`,
  );
  return median;
}

function connectOurs(stack) {
  return (counters, onText) =>
    new Promise((resolve, reject) => {
      const ws = new IcWebSocket(
        stack.gatewayUrl,
        undefined,
        createWsConfig({
          canisterId: stack.canisterId,
          idlFactory,
          identity: generateRandomIdentity(),
          networkUrl: stack.replicaUrl,
          WebSocket: recordingWebSocket(WebSocket, counters),
          blsVerifier: VERIFIER,
        }),
      );
      ws.onmessage = (event) => {
        if (event.data.text === 'ping') resolve({ principal: ws.getPrincipal().toText(), close: () => ws.close() });
        onText(event.data.text);
      };
      ws.onerror = (event) => reject(event.error);
    });
}

function loadUpstream() {
  if (!existsSync(join(UPSTREAM, 'ic-websocket-js'))) return undefined;
  const load = (name) => require(join(UPSTREAM, name));
  return { ...load('ic-websocket-js'), agent: load('@dfinity/agent') };
}

/** `type` rebuilt with another copy's IDL (the upstream client checks instanceof its own classes). */
function convertIdl(type, target) {
  if (type instanceof IDL.FuncClass) return target.Func(type.argTypes.map((t) => convertIdl(t, target)), type.retTypes.map((t) => convertIdl(t, target)), type.annotations);
  if (type instanceof IDL.VecClass) return target.Vec(convertIdl(type._type, target));
  if (type instanceof IDL.OptClass) return target.Opt(convertIdl(type._type, target));
  const fields = (list) => Object.fromEntries(list.map(([name, t]) => [name, convertIdl(t, target)]));
  if (type instanceof IDL.VariantClass) return target.Variant(fields(type._fields));
  if (type instanceof IDL.RecordClass) return target.Record(fields(type._fields));
  const name = type.display();
  return target[name[0].toUpperCase() + name.slice(1)];
}

function connectUpstream(stack, upstream) {
  return (counters, onText) =>
    new Promise((resolve, reject) => {
      globalThis.WebSocket = recordingWebSocket(WebSocket, counters);
      const { Actor, HttpAgent } = upstream.agent;
      const factory = ({ IDL: target }) => target.Service(Object.fromEntries(Object.entries(methods).map(([n, f]) => [n, convertIdl(f, target)])));
      const actor = Actor.createActor(factory, { agent: HttpAgent.createSync({ host: stack.replicaUrl }), canisterId: stack.canisterId });
      const identity = upstream.generateRandomIdentity();
      const ws = new upstream.IcWebSocket(
        stack.gatewayUrl,
        undefined,
        upstream.createWsConfig({ canisterId: stack.canisterId, canisterActor: actor, identity, networkUrl: stack.replicaUrl }),
      );
      ws.onopen = () => undefined;
      ws.onclose = () => undefined;
      ws.onmessage = (event) => {
        if (event.data.text === 'ping') resolve({ principal: identity.getPrincipal().toText(), close: () => ws.close() });
        onText(event.data.text);
      };
      ws.onerror = (event) => reject(event.error ?? event);
    });
}

/**
 * Runs `clients` loops of sequential round trips for SECONDS.
 * @returns round trips per second and the p50 and p99 of their latencies, in ms
 */
async function roundTrips(clients, roundTrip) {
  const deadline = performance.now() + SECONDS * 1000;
  const latencies = [];
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < deadline) {
        const start = performance.now();
        await roundTrip(client);
        latencies.push(performance.now() - start);
      }
    }),
  );
  return { rate: latencies.length / ((performance.now() - t0) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const figures = (r) => `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${Math.round(r.rate).toLocaleString('en')}/s`;

function sdkRoundTrip(client) {
  const reply = client.next();
  client.ws.send(app('rt'));
  return reply;
}

/** An IcWebSocket client whose replies are awaited one at a time. */
function icClient(stack, blsVerifier = VERIFIER) {
  return new Promise((resolve, reject) => {
    const waiters = [];
    const ws = new IcWebSocket(
      stack.gatewayUrl,
      undefined,
      createWsConfig({ canisterId: stack.canisterId, idlFactory, identity: generateRandomIdentity(), networkUrl: stack.replicaUrl, blsVerifier }),
    );
    ws.onmessage = (event) => {
      if (event.data.text === 'ping') return resolve({ ws, next: () => new Promise((r) => waiters.push(r)) });
      waiters.shift()?.(event.data.text);
    };
    ws.onerror = (event) => reject(event.error);
  });
}

function echoClient(url) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const waiters = [];
    socket.on('message', () => waiters.shift()?.());
    socket.once('open', () => resolve({ socket, next: () => new Promise((r) => waiters.push(r)) }));
    socket.once('error', reject);
  });
}

async function inBatches(count, make, batch = 20) {
  const out = [];
  for (let i = 0; i < count; i += batch) out.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - i) }, make))));
  return out;
}

async function main() {
  printBundleCost();
  await verifierBench();

  const replicaOptions = ROUND_INTERVAL === undefined ? {} : { minRoundIntervalMs: Number(ROUND_INTERVAL) };
  const host = startChild(join(__dirname, 'client-host.js'), ['replica', JSON.stringify(replicaOptions)]);
  const replica = await host.next();
  const limits = { maxConnectionsPerIp: 2 * Math.max(...COUNTS) + 100, maxConnections: 2 * Math.max(...COUNTS) + 100 };
  const gateway = startChild(join(__dirname, 'client-host.js'), ['gateway', replica.replicaUrl, JSON.stringify(limits)]);
  const stack = { ...replica, ...(await gateway.next()) };

  const ours = await measureBursts(host, '@icws/client-sdk', connectOurs(stack));
  const upstream = loadUpstream();
  if (upstream === undefined) {
    console.log('ic-websocket-js@0.5.0: skipped (not installed; run `npm ci --no-audit --no-fund --prefix test/upstream-client`)');
  } else {
    const theirs = await measureBursts(host, 'ic-websocket-js@0.5.0', connectUpstream(stack, upstream));
    console.log(`=> @icws/client-sdk is ${(theirs / ours).toFixed(1)}x cheaper per received message (target >= 60x)`);
  }

  console.log(
    `round trips, each client one at a time for ${SECONDS} s; @icws/client-sdk (blsVerifier '${VERIFIER}') through gateway and canister ` +
      `(replica rounds at least ${ROUND_INTERVAL ?? 'its default'}${ROUND_INTERVAL === undefined ? '' : ' ms'} apart), raw ws echo as reference;\n` +
      '  the clients share one process: each distinct certificate is checked once for all of them, not once per client:',
  );
  const payload = protocol.encodeCandid([AppMessage], [app('rt')]);
  const clients = [];
  for (const count of COUNTS) {
    try {
      clients.push(...(await inBatches(count - clients.length, () => icClient(stack))));
    } catch (err) {
      console.log(`  ${String(count).padStart(3)} clients: skipped, the clients could not all connect (${err?.message ?? err})`);
      break;
    }
    const roundsBefore = (await host.ask('rounds')).rounds;
    const sdk = await roundTrips(clients, sdkRoundTrip);
    const rounds = (await host.ask('rounds')).rounds - roundsBefore;
    const perRound = `${Math.round(rounds / SECONDS).toLocaleString('en')} rounds/s, ${(sdk.rate * SECONDS / rounds).toFixed(1)} round trips per round`;
    const echoes = await inBatches(count, () => echoClient(stack.echoUrl));
    const echo = await roundTrips(echoes, (c) => {
      const reply = c.next();
      c.socket.send(payload);
      return reply;
    });
    for (const c of echoes) c.socket.close();
    console.log(`  ${String(count).padStart(3)} clients: SDK ${figures(sdk)} (${perRound}); echo ${figures(echo)}${TARGETS[count] ? `  (${TARGETS[count]})` : ''}`);
    if (count === COMPARE_AT && COMPARE_WITH !== VERIFIER && COMPARE_WITH !== '') {
      const others = await inBatches(count, () => icClient(stack, COMPARE_WITH));
      const before = await roundTrips(others, sdkRoundTrip);
      for (const c of others) c.ws.close();
      console.log(`  ${String(count).padStart(3)} clients: SDK with blsVerifier '${COMPARE_WITH}' (reference) ${figures(before)}`);
    }
  }
  for (const c of clients) c.ws.close();
  gateway.stop();
  host.stop();
  setTimeout(() => process.exit(0), 500).unref();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

