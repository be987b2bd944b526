// Runs a replica with the counter example in its own process, so the load generator's CPU is not
// the replica's. Prints one JSON line with its URL and canister id; answers "stats" on stdin.
const { startReplica, loadCanisterModule } = require('@icws/backend-cdk');
const { join } = require('node:path');

async function main() {
  const running = await startReplica({
    port: 0,
    canisters: [{ name: 'counter', module: loadCanisterModule(join(__dirname, '../examples/counter/canister.ts')) }],
    log: () => undefined,
  });
  console.log(JSON.stringify({ url: running.url.origin, counter: running.canisterIds.counter.toText() }));
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (line) => {
    if (line.trim() === 'stats') console.log(JSON.stringify({ stats: running.replica.stats, rssMb: process.memoryUsage().rss / 2 ** 20 }));
  });
  process.stdin.on('end', () => running.close().then(() => process.exit(0)));
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
