// The server side of bench/client.js, in processes of their own so that only client work is
// measured there. `client-host.js replica [JSON of more replica options]` runs the embedded replica
// with the burst canister, answers "burst <principal> <n>" on stdin once the canister has queued n
// messages for that client, and "rounds" with how many rounds (certificates) it has made; `client-host.js gateway <replica URL> [JSON of more gateway options]` runs our gateway and
// a raw `ws` echo server. Each prints one JSON line with its addresses.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { createInterface } = require('node:readline');
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');
const { startReplica, loadCanisterModule } = require('@icws/replica');
const { startGateway } = require('@icws/gateway');
const { WebSocketServer } = require('ws');

async function replicaHost(options) {
  const replica = await startReplica({
    port: 0,
    canisters: [{ name: 'burst', module: loadCanisterModule(join(__dirname, 'burst-canister.js')) }],
    log: () => undefined,
    ...(options ? JSON.parse(options) : {}),
  });
  const canisterId = replica.canisterIds.burst;
  console.log(JSON.stringify({ replicaUrl: replica.url.origin, canisterId: canisterId.toText() }));
  const caller = Principal.fromText('2vxsx-fae');
  createInterface({ input: process.stdin }).on('line', async (line) => {
    const [command, principal, count] = line.trim().split(' ');
    if (command === 'rounds') return console.log(JSON.stringify({ rounds: replica.replica.stats.rounds }));
    if (command !== 'burst') return;
    const arg = IDL.encode([IDL.Principal, IDL.Nat32], [Principal.fromText(principal), Number(count)]);
    const outcome = await replica.replica.update(canisterId, 'burst', arg, caller);
    console.log(JSON.stringify({ burst: outcome.status }));
  });
  process.stdin.on('end', () => replica.close().then(() => process.exit(0)));
}

async function gatewayHost(replicaUrl, options) {
  const gateway = await startGateway({
    gatewayAddress: '127.0.0.1:0',
    icNetworkUrl: replicaUrl,
    prometheusEndpoint: null,
    dataDir: mkdtempSync(join(tmpdir(), 'icws-bench-client-gw-')),
    logLevel: 'silent',
    ...(options ? JSON.parse(options) : {}),
  });
  const echo = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  echo.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  await new Promise((resolve) => echo.once('listening', resolve));
  console.log(JSON.stringify({ gatewayUrl: gateway.url.href, echoUrl: `ws://127.0.0.1:${echo.address().port}` }));
  process.stdin.resume();
  process.stdin.on('end', async () => {
    echo.close();
    await gateway.close();
    process.exit(0);
  });
}

const main = () => (process.argv[2] === 'gateway' ? gatewayHost(process.argv[3], process.argv[4]) : replicaHost(process.argv[3]));
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
