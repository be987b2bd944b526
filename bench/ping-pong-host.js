// Runs the replica with the ping-pong example in its own process; prints its URL and canister id.
const { startReplica, loadCanisterModule } = require('@icws/replica');
const { join } = require('node:path');

startReplica({
  port: 0,
  canisters: [{ name: 'ping_pong', module: loadCanisterModule(join(__dirname, '../examples/ping-pong/canister.ts')) }],
  log: () => undefined,
}).then((running) => {
  console.log(JSON.stringify({ url: running.url.origin, canisterId: running.canisterIds.ping_pong.toText(), rootKey: Buffer.from(running.replica.rootKey.der).toString('hex') }));
  process.stdin.resume();
  process.stdin.on('end', () => running.close().then(() => process.exit(0)));
}, (err) => {
  console.error(err);
  process.exit(1);
});
