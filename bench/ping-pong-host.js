// Runs the replica with the ping-pong example in its own process; prints its URL and canister id.
// An optional argument is the canister's init argument as Candid text (as `icws-replica --init`
// takes it). Answers "memory" on stdin with process.memoryUsage(), without forcing a collection.
const { startReplica, loadCanisterModule } = require('@icws/replica');
const { join } = require('node:path');
const { createInterface } = require('node:readline');

startReplica({
  port: 0,
  canisters: [{ name: 'ping_pong', module: loadCanisterModule(join(__dirname, '../examples/ping-pong/canister.ts')), initCandid: process.argv[2] }],
  log: () => undefined,
}).then((running) => {
  console.log(JSON.stringify({ url: running.url.origin, canisterId: running.canisterIds.ping_pong.toText(), rootKey: Buffer.from(running.replica.rootKey.der).toString('hex') }));
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'memory') console.log(JSON.stringify({ memory: process.memoryUsage(), cpu: process.cpuUsage() }));
  });
  process.stdin.on('end', () => running.close().then(() => process.exit(0)));
}, (err) => {
  console.error(err);
  process.exit(1);
});
