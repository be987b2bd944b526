// Update calls/s with durable stable memory next to the same canisters with stable memory in
// memory, in one run: signed v3 calls through HTTP, envelopes signed before the clock starts, the
// replica in its own process (this file, run with --host), started once with a state directory
// (state.sqlite, WAL, a full sync per round) and once without. Two canisters: the counter example
// (each call rewrites one stable cell) and a log that appends a 100-byte record to a StableVec per
// call (the database grows). Each configuration runs twice, alternating, and the better run counts,
// as other processes share the machine. Prints calls/s, calls per round, commits and the ratio.
// Env: BENCH_DURABLE_CALLS (per run, default 10000), BENCH_CONCURRENCY (default 256).
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');
const { ConnectionPool, postRequest, runLoad } = require('./replica-load');
const { Cbor, nativeIdentity, percentile, signedEnvelope, startChild } = require('./support');

const CALLS = Number(process.env.BENCH_DURABLE_CALLS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const WARM_UP = 1_000;
const CANISTERS = {
  counter: { method: 'increment', arg: () => new Uint8Array(IDL.encode([], [])) },
  log: { method: 'append', arg: (i) => new Uint8Array(IDL.encode([IDL.Text], [`entry ${i} `.padEnd(100, '.')])) },
};

/** The replica process: prints its URL and canister ids, answers "stats", stops when stdin ends. */
async function host(stateDir) {
  const { defineCanister, update, StableVec } = require('@icws/backend-cdk');
  const { startReplica } = require('@icws/replica');
  const log = defineCanister((ic) => {
    const entries = StableVec.open(ic, 'entries', IDL.Text);
    return { append: update([IDL.Text], [IDL.Nat64], (text) => BigInt(entries.push(text))) };
  });
  const running = await startReplica({
    port: 0,
    stateDir: stateDir === 'memory' ? undefined : stateDir,
    canisters: [
      { name: 'counter', module: join(__dirname, '../examples/counter/canister.ts') },
      { name: 'log', module: log },
    ],
    log: () => undefined,
  });
  const ids = Object.fromEntries(Object.entries(running.canisterIds).map(([name, id]) => [name, id.toText()]));
  console.log(JSON.stringify({ url: running.url.origin, ids }));
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (line) => {
    if (line.trim() === 'stats') console.log(JSON.stringify({ rounds: running.replica.stats.rounds, commits: running.replica.stats.stateCommits }));
  });
  process.stdin.on('end', () => running.close().then(() => process.exit(0)));
}

/** @returns `count` serialised signed calls of `canister`, each distinct. */
function signedCalls(url, canisterId, canister, count, identities, offset) {
  const expiry = BigInt(Date.now() + 4 * 60_000) * 1_000_000n;
  return Array.from({ length: count }, (_, i) => {
    const id = identities[i % identities.length];
    const content = {
      request_type: 'call',
      canister_id: Principal.fromText(canisterId),
      method_name: canister.method,
      arg: canister.arg(offset + i),
      sender: id.principal,
      ingress_expiry: expiry,
      nonce: new Uint8Array(new Uint32Array([offset + i]).buffer),
    };
    return postRequest(url.host, `/api/v3/canister/${canisterId}/call`, Buffer.from(Cbor.encode(signedEnvelope(id, content))));
  });
}

/** Runs CALLS updates of `name` on a fresh replica (durable or not). @returns calls/s and details */
async function measure(name, durable, identities) {
  const stateDir = durable ? mkdtempSync(join(tmpdir(), 'icws-bench-durable-')) : 'memory';
  const child = startChild(__filename, ['--host', stateDir]);
  try {
    const { url: urlText, ids } = await child.next();
    const url = new URL(urlText);
    const warmUp = signedCalls(url, ids[name], CANISTERS[name], WARM_UP, identities, 0);
    const calls = signedCalls(url, ids[name], CANISTERS[name], CALLS, identities, WARM_UP);
    const pool = new ConnectionPool(url);
    await runLoad(pool, warmUp, CONCURRENCY);
    const before = await child.ask('stats');
    const { seconds, latencies } = await runLoad(pool, calls, CONCURRENCY);
    const after = await child.ask('stats');
    pool.close();
    const rounds = after.rounds - before.rounds;
    return { rate: CALLS / seconds, p50: percentile(latencies, 50), perRound: CALLS / rounds, commits: after.commits - before.commits, rounds };
  } finally {
    child.stop();
    await new Promise((resolve) => child.child.once('exit', resolve));
    if (durable) rmSync(stateDir, { recursive: true, force: true });
  }
}

async function main() {
  const identities = Array.from({ length: 16 }, nativeIdentity);
  console.log(`${CALLS} signed update calls (v3) per run, c=${CONCURRENCY}; the better of two alternating runs`);
  for (const name of Object.keys(CANISTERS)) {
    const best = { memory: undefined, durable: undefined };
    for (let run = 0; run < 2; run++) {
      for (const mode of ['memory', 'durable']) {
        const result = await measure(name, mode === 'durable', identities);
        if (best[mode] === undefined || result.rate > best[mode].rate) best[mode] = result;
      }
    }
    for (const mode of ['memory', 'durable']) {
      const r = best[mode];
      const commits = mode === 'durable' ? `, ${r.commits} commits in ${r.rounds} rounds` : '';
      console.log(`${`${name}, stable memory ${mode === 'durable' ? 'on disk' : 'in memory'}`.padEnd(34)} ${String(Math.round(r.rate)).padStart(6)} calls/s  p50 ${r.p50.toFixed(1)} ms, ${Math.round(r.perRound)} calls/round${commits}`);
    }
    console.log(`${name}: durable at ${((100 * best.durable.rate) / best.memory.rate).toFixed(0)} % of in-memory`);
  }
}

if (process.argv[2] === '--host') {
  host(process.argv[3]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
