// Replica throughput: signed update calls/s (v3, synchronous), signed queries/s, and query latency
// while rounds are being signed. Envelopes are signed before the clock starts.
const { spawn } = require('node:child_process');
const { generateKeyPairSync, sign } = require('node:crypto');
const http = require('node:http');
const { createInterface } = require('node:readline');
const { Cbor, requestIdOf, IC_REQUEST_DOMAIN_SEPARATOR } = require('@dfinity/agent');
const { IDL } = require('@dfinity/candid');
const { Principal } = require('@dfinity/principal');

const UPDATES = Number(process.env.BENCH_UPDATES ?? 20000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 40000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);

function identity() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, der, principal: Principal.selfAuthenticating(der) };
}

function envelope(id, content) {
  const requestId = requestIdOf(content);
  const signature = sign(null, Buffer.concat([IC_REQUEST_DOMAIN_SEPARATOR, requestId]), id.privateKey);
  return Buffer.from(Cbor.encode({ content, sender_pubkey: id.der, sender_sig: signature }));
}

function startHost() {
  const child = spawn(process.execPath, [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROFILE] : []), require.resolve('./replica-host.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve) => lines.once('line', (line) => resolve(JSON.parse(line))));
  return { child, next, stats: () => (child.stdin.write('stats\n'), next()) };
}

async function load(bodies, url, path, concurrency, agent, latencies) {
  let nextIndex = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (nextIndex < bodies.length) {
      const body = bodies[nextIndex++];
      const t0 = process.hrtime.bigint();
      const status = await post(url, path, body, agent);
      if (status !== 200) throw new Error(`${path} answered ${status}`);
      latencies?.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function post(url, path, body, agent) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, url), { method: 'POST', agent, headers: { 'content-type': 'application/cbor', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function main() {
  const host = startHost();
  const { url, counter } = await host.next();
  const canisterId = Principal.fromText(counter);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const ids = Array.from({ length: 16 }, identity);
  const expiry = BigInt(Date.now() + 4 * 60_000) * 1_000_000n;
  const noArgs = new Uint8Array(IDL.encode([], []));

  const t0 = Date.now();
  const updates = Array.from({ length: UPDATES }, (_, i) => {
    const id = ids[i % ids.length];
    return envelope(id, { request_type: 'call', canister_id: canisterId, method_name: 'increment', arg: noArgs, sender: id.principal, ingress_expiry: expiry, nonce: new Uint8Array(new Uint32Array([i]).buffer) });
  });
  const queries = Array.from({ length: 4096 }, (_, i) => {
    const id = ids[i % ids.length];
    return envelope(id, { request_type: 'query', canister_id: canisterId, method_name: 'get', arg: noArgs, sender: id.principal, ingress_expiry: expiry, nonce: new Uint8Array(new Uint32Array([i]).buffer) });
  });
  const queryBodies = Array.from({ length: QUERIES }, (_, i) => queries[i % queries.length]);
  console.log(`signed ${UPDATES} update and ${queries.length} query envelopes ahead of time in ${Date.now() - t0} ms`);

  await load(queryBodies.slice(0, 2000), url, `/api/v2/canister/${counter}/query`, 64, agent);
  const before = (await host.stats()).stats;
  const updateSeconds = await load(updates, url, `/api/v3/canister/${counter}/call`, CONCURRENCY, agent);
  const after = await host.stats();
  const rounds = after.stats.certificatesSigned - before.certificatesSigned;
  console.log(`updates: ${UPDATES} signed v3 calls in ${updateSeconds.toFixed(2)} s = ${Math.round(UPDATES / updateSeconds)} calls/s ` +
    `(${rounds} rounds, ${(UPDATES / rounds).toFixed(0)} calls per round, one BLS signature each; concurrency ${CONCURRENCY})`);

  const idleLatencies = [];
  const querySeconds = await load(queryBodies, url, `/api/v2/canister/${counter}/query`, 64, agent, idleLatencies);
  console.log(`queries: ${QUERIES} signed queries in ${querySeconds.toFixed(2)} s = ${Math.round(QUERIES / querySeconds)} queries/s ` +
    `(latency p50 ${percentile(idleLatencies, 50).toFixed(2)} ms, p99 ${percentile(idleLatencies, 99).toFixed(2)} ms)`);

  // Queries while update rounds keep the signer busy: their latency must not include a BLS signature.
  const busyLatencies = [];
  const moreUpdates = updates.map((_, i) => {
    const id = ids[i % ids.length];
    return envelope(id, { request_type: 'call', canister_id: canisterId, method_name: 'increment', arg: noArgs, sender: id.principal, ingress_expiry: expiry, nonce: new Uint8Array(new Uint32Array([i + UPDATES]).buffer) });
  }).slice(0, 5000);
  const beforeMixed = (await host.stats()).stats;
  await Promise.all([
    load(moreUpdates, url, `/api/v3/canister/${counter}/call`, 64, agent),
    load(queryBodies.slice(0, 10000), url, `/api/v2/canister/${counter}/query`, 8, agent, busyLatencies),
  ]);
  const afterMixed = await host.stats();
  console.log(`queries during update rounds (${afterMixed.stats.certificatesSigned - beforeMixed.certificatesSigned} signatures): ` +
    `latency p50 ${percentile(busyLatencies, 50).toFixed(2)} ms, p99 ${percentile(busyLatencies, 99).toFixed(2)} ms, max ${Math.max(...busyLatencies).toFixed(2)} ms`);
  console.log(`replica RSS ${afterMixed.rssMb.toFixed(0)} MB`);
  host.child.stdin.end();
  agent.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
