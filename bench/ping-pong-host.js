// Runs the replica with the ping-pong example in its own process; prints its URL, canister id and
// root key. An optional argument is the canister's init argument as Candid text (as `icws-replica
// --init` takes it, '' for none); a second one installs that many ping-pong canisters (their ids
// in `canisterIds`, the first also as `canisterId`); a third is JSON of more replica options (e.g.
// `{"maxPendingCalls":200}`). Answers "memory" on stdin with
// process.memoryUsage(), its CPU use, the replica's counters and the memory right after each full
// collection since the last answer (what the heap returns to: the live data), without forcing a
// collection, and the profiling commands of support.js.
const { startReplica, loadCanisterModule } = require('@icws/replica');
const { join } = require('node:path');
const { createInterface } = require('node:readline');
const { PerformanceObserver, constants } = require('node:perf_hooks');
const { profileCommand } = require('./support');

/** Memory read as each full (mark-compact) collection ends, until the next "memory" answer takes them. */
let collections = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
    const { rss, heapUsed, heapTotal } = process.memoryUsage();
    collections.push({ atMs: Date.now(), rss, heapUsed, heapTotal });
  }
}).observe({ entryTypes: ['gc'] });

const initCandid = process.argv[2] || undefined;
const count = Number(process.argv[3] || 1);
const options = process.argv[4] ? JSON.parse(process.argv[4]) : {};
const pingPong = loadCanisterModule(join(__dirname, '../examples/ping-pong/canister.ts'));

startReplica({
  port: 0,
  canisters: Array.from({ length: count }, (_, i) => ({ name: i === 0 ? 'ping_pong' : `ping_pong_${i}`, module: pingPong, initCandid })),
  log: () => undefined,
  ...options,
}).then((running) => {
  const canisterIds = Object.values(running.canisterIds).map((id) => id.toText());
  console.log(JSON.stringify({ url: running.url.origin, canisterId: canisterIds[0], canisterIds, rootKey: Buffer.from(running.replica.rootKey.der).toString('hex') }));
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (profileCommand(line)) return;
    if (line.trim() !== 'memory') return;
    console.log(JSON.stringify({ memory: process.memoryUsage(), cpu: process.cpuUsage(), stats: running.replica.stats, collections }));
    collections = [];
  });
  process.stdin.on('end', () => running.close().then(() => process.exit(0)));
}, (err) => {
  console.error(err);
  process.exit(1);
});
