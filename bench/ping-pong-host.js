// Runs the replica with the ping-pong example in its own process; prints its URL, canister id and
// root key. An optional argument is the canister's init argument as Candid text (as `icws-replica
// --init` takes it, '' for none); a second one installs that many ping-pong canisters (their ids
// in `canisterIds`, the first also as `canisterId`); a third is JSON of more replica options (e.g.
// `{"maxPendingCalls":200}`). Answers "memory" on stdin with
// process.memoryUsage(), its CPU use and the replica's counters, without forcing a collection, and the profiling commands
// of support.js.
const { startReplica, loadCanisterModule } = require('@icws/replica');
const { join } = require('node:path');
const { createInterface } = require('node:readline');
const { profileCommand } = require('./support');

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
    if (line.trim() === 'memory') console.log(JSON.stringify({ memory: process.memoryUsage(), cpu: process.cpuUsage(), stats: running.replica.stats }));
  });
  process.stdin.on('end', () => running.close().then(() => process.exit(0)));
}, (err) => {
  console.error(err);
  process.exit(1);
});
