// Replica throughput and latency with envelopes signed before the clock starts:
//  - signed update calls/s (v3, synchronous; every envelope distinct),
//  - signed queries/s with distinct envelopes (every signature new: cold) and with repeated ones
//    (gateways polling ws_get_messages with one nonce, agents rounding their expiry: warm),
//  - query latency while update rounds keep the BLS signer busy, next to the idle latency.
// The replica runs in its own process (replica-host.js); the load generator (replica-load.js)
// keeps its own CPU use small, and both processes' CPU use is printed for each phase.
// Env: BENCH_UPDATES, BENCH_QUERIES, BENCH_CONCURRENCY (updates), BENCH_QUERY_CONCURRENCY,
// BENCH_PROFILE=<dir> (CPU profile of the replica), BENCH_ONLY=signing,updates,cold,repeated,latency,memory (phases
// to run, e.g. to profile one), BENCH_BACKEND (module to load the replica from, e.g. an older build),
// BENCH_DEBUG=1 (crypto pool counters). Last, the replica's memory per queued message and per
// registered WebSocket client (bench/replica-ws-memory.js, in a process of its own with --expose-gc).
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');
const { ConnectionPool, postRequest, runLoad } = require('./replica-load');
const { Cbor, nativeIdentity, percentile, signedEnvelope, startChild } = require('./support');

const UPDATES = Number(process.env.BENCH_UPDATES ?? 20000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 30000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const QUERY_CONCURRENCY = Number(process.env.BENCH_QUERY_CONCURRENCY ?? 64);
/** Distinct envelopes behind the repeated-query figure, each sent many times. */
const REPEATED_SET = 4096;
const MIXED_UPDATES = 5000;
const LATENCY_QUERIES = 5000;
/** Light query load for the latency figure: it measures waiting, not queueing behind other queries. */
const LATENCY_CONCURRENCY = 2;
/** Enough update calls in flight to keep the BLS signer busy round after round. */
const LATENCY_UPDATE_CONCURRENCY = 16;
const ONLY = process.env.BENCH_ONLY?.split(',');

function startHost() {
  const flags = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const host = startChild(require.resolve('./replica-host.js'), [], flags);
  return { ...host, stats: () => host.ask('stats') };
}

/** CPU seconds the whole machine has spent busy (Linux), to tell when other processes competed. */
function machineBusySeconds() {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).map(Number);
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Runs `body` and reports the CPU both processes used meanwhile (cores: CPU seconds per second),
 * and what other processes of the machine used, when that is noticeable.
 */
async function measured(host, body) {
  const before = await host.stats();
  const ownBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  const started = process.hrtime.bigint();
  const result = await body();
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const own = process.cpuUsage(ownBefore);
  const machine = machineBusySeconds();
  const after = await host.stats();
  const replica = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6 / wall;
  const load = (own.user + own.system) / 1e6 / wall;
  const others = machine === undefined ? 0 : (machine - machineBefore) / wall - replica - load;
  const gc = (after.gcSeconds.minor + after.gcSeconds.major - before.gcSeconds.minor - before.gcSeconds.major) / wall;
  const main = after.mainCpuSeconds === undefined ? '' : ` (main ${((after.mainCpuSeconds - before.mainCpuSeconds) / wall).toFixed(2)}, gc ${gc.toFixed(2)})`;
  if (process.env.BENCH_DEBUG && after.pool) {
    const ops = after.pool.operations - before.pool.operations;
    console.log(`  crypto pool: ${after.pool.batches - before.pool.batches} batches, ${ops} operations, ${after.pool.inThread - before.pool.inThread} in-thread; longest GC pause so far ${after.gcSeconds.longestMs.toFixed(1)} ms`);
  }
  const cpuText = `cores: replica ${replica.toFixed(2)}${main}, load ${load.toFixed(2)}${others > 0.1 ? `, OTHER PROCESSES ${others.toFixed(2)}` : ''}`;
  return { result, before: before.stats, after: after.stats, cpuText };
}

const ms = (value) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
const latencyText = (latencies) => `p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}`;

/** Prints one labelled figure: rate, latency, then details. */
function report(label, count, unit, { seconds, latencies }, details) {
  console.log(`${label.padEnd(30)} ${String(Math.round(count / seconds)).padStart(6)} ${unit}/s  ${latencyText(latencies).padEnd(28)} ${details}`);
}

async function main() {
  const host = startHost();
  const { url: urlText, counter } = await host.next();
  const url = new URL(urlText);
  const canisterId = Principal.fromText(counter);
  const ids = Array.from({ length: 16 }, nativeIdentity);
  const expiry = BigInt(Date.now() + 4 * 60_000) * 1_000_000n;
  const noArgs = new Uint8Array(IDL.encode([], []));
  let nonce = 0;
  const signed = (count, requestType, methodName) =>
    Array.from({ length: count }, () => {
      const id = ids[nonce % ids.length];
      const content = { request_type: requestType, canister_id: canisterId, method_name: methodName, arg: noArgs, sender: id.principal, ingress_expiry: expiry, nonce: new Uint8Array(new Uint32Array([nonce++]).buffer) };
      return Buffer.from(Cbor.encode(signedEnvelope(id, content)));
    });
  const callPath = `/api/v3/canister/${counter}/call`;
  const queryPath = `/api/v2/canister/${counter}/query`;
  const requests = (bodies, path) => bodies.map((body) => postRequest(url.host, path, body));

  const t0 = Date.now();
  const updates = requests(signed(UPDATES, 'call', 'increment'), callPath);
  const mixedUpdates = requests(signed(MIXED_UPDATES, 'call', 'increment'), callPath);
  const coldQueries = requests(signed(QUERIES, 'query', 'get'), queryPath);
  const repeatedSet = requests(signed(REPEATED_SET, 'query', 'get'), queryPath);
  const repeated = (count) => Array.from({ length: count }, (_, i) => repeatedSet[i % repeatedSet.length]);
  console.log(`signed ${nonce} envelopes ahead of time in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const pool = new ConnectionPool(url);
  // Warm-up: every repeated envelope once (its signature is then known), and the JIT.
  await runLoad(pool, repeatedSet, QUERY_CONCURRENCY);
  const phases = {
    async signing() {
      // The round's one BLS signature, as the replica makes it (worker thread, mcl) and as the reference does (noble, inline).
      const { WorkerCertificateSigner, InlineCertificateSigner } = require('../packages/replica/dist/bls-signer.js');
      const { bls12_381 } = require('@noble/curves/bls12-381');
      const secretKey = bls12_381.utils.randomSecretKey();
      const figures = [];
      for (const [name, signer, count] of [['worker (mcl)', new WorkerCertificateSigner(secretKey), 500], ['inline (noble)', new InlineCertificateSigner(secretKey), 50]]) {
        const message = new Uint8Array(45);
        for (let i = 0; i < count / 10; i++) await signer.sign(message);
        const started = performance.now();
        for (let i = 0; i < count; i++) await signer.sign(message.fill(i & 0xff, 13));
        figures.push(`${name} ${ms((performance.now() - started) / count)}`);
        await signer.close();
      }
      console.log(`root-key signature of a round: ${figures.join(', ')}`);
    },
    async updates() {
      const { result, before, after, cpuText } = await measured(host, () => runLoad(pool, updates, CONCURRENCY));
      const rounds = after.certificatesSigned - before.certificatesSigned;
      report('update calls (v3), distinct', UPDATES, 'calls', result, `c=${CONCURRENCY}, ${Math.round(UPDATES / rounds)} calls/round | ${cpuText}`);
    },
    async cold() {
      const { result, cpuText } = await measured(host, () => runLoad(pool, coldQueries, QUERY_CONCURRENCY));
      report('queries, distinct (cold)', QUERIES, 'queries', result, `c=${QUERY_CONCURRENCY} | ${cpuText}`);
    },
    async repeated() {
      const { result, cpuText } = await measured(host, () => runLoad(pool, repeated(QUERIES), QUERY_CONCURRENCY));
      report(`queries, repeated (${REPEATED_SET})`, QUERIES, 'queries', result, `c=${QUERY_CONCURRENCY} | ${cpuText}`);
    },
    // Query latency at a light query load, without and with update rounds in flight: each round's
    // BLS signature (milliseconds of CPU) must not show up in the queries' latency.
    async latency() {
      const idle = await runLoad(pool, repeated(LATENCY_QUERIES), LATENCY_CONCURRENCY);
      let updatesDone = false;
      const { result, before, after } = await measured(host, async () => {
        const [seconds, latencies] = await Promise.all([
          runLoad(pool, mixedUpdates, LATENCY_UPDATE_CONCURRENCY).then((run) => ((updatesDone = true), run.seconds)),
          (async () => {
            const latencies = [];
            while (!updatesDone) latencies.push(...(await runLoad(pool, repeated(100), LATENCY_CONCURRENCY)).latencies);
            return latencies;
          })(),
        ]);
        return { seconds, latencies };
      });
      const signatures = after.certificatesSigned - before.certificatesSigned;
      if (process.env.BENCH_DEBUG) {
        const slow = (latencies) => latencies.filter((l) => l > 10).length;
        console.log(`  queries over 10 ms: idle ${slow(idle.latencies)} of ${idle.latencies.length}, during rounds ${slow(result.latencies)} of ${result.latencies.length}; idle max ${ms(Math.max(...idle.latencies))}`);
      }
      console.log(`query latency, c=${LATENCY_CONCURRENCY}:  idle ${latencyText(idle.latencies)} | during update rounds ${latencyText(result.latencies)}, ` +
        `max ${ms(Math.max(...result.latencies))} (${Math.round(signatures / result.seconds)} BLS signatures/s)`);
    },
  };
  for (const [name, phase] of Object.entries(phases)) if (ONLY === undefined || ONLY.includes(name)) await phase();
  if (ONLY === undefined || ONLY.includes('memory')) {
    // The targets: at most 1 KB per queued small message and 4 KB per registered client.
    const m = JSON.parse(execFileSync(process.execPath, ['--expose-gc', require.resolve('./replica-ws-memory.js')], { encoding: 'utf8' }));
    const b = (bytes) => `${Math.round(bytes)} B`;
    console.log(
      `replica memory per queued message (${m.payloadBytes}-byte app message, ${m.messageBytes}-byte CBOR; ${m.messages} queued, not polled): ` +
        `${b(m.perMessage)} heap+external (RSS +${b(m.rssPerMessage)}) | reference, one copy of the message's CBOR: ${b(m.messageReference)}`,
    );
    console.log(
      `replica memory per registered client (registry entry and its queued open message; ${m.clients} clients): ${b(m.perClient)} heap+external ` +
        `(RSS +${b(m.rssPerClient)}) | reference, a Map entry of principal text to a key record: ${b(m.clientReference)}`,
    );
  }
  console.log(`replica RSS ${(await host.stats()).rssMb.toFixed(0)} MB`);
  pool.close();
  host.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
