// `npm start`: the whole local stack — the embedded replica with every example canister deployed.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { startReplica, loadCanisterModule } = require('@icws/backend-cdk');

const ROOT = join(__dirname, '..');
const EXAMPLES = [
  ['counter', 'examples/counter/canister.ts'],
  ['certified_variable', 'examples/certified-variable/canister.ts'],
];

async function main() {
  const replica = await startReplica({
    host: '127.0.0.1',
    port: Number(process.env.ICWS_REPLICA_PORT ?? 4943),
    stateDir: join(ROOT, '.icws/replica'),
    canisters: EXAMPLES.map(([name, path]) => ({ name, module: loadCanisterModule(join(ROOT, path)) })),
  });
  const ids = Object.fromEntries(Object.entries(replica.canisterIds).map(([name, id]) => [name, id.toText()]));
  mkdirSync(join(ROOT, '.icws'), { recursive: true });
  writeFileSync(join(ROOT, '.icws/canister_ids.json'), JSON.stringify(ids, null, 2) + '\n');
  for (const [name, id] of Object.entries(ids)) console.log(`canister ${name} ${id}`);
  console.log(`replica listening on ${replica.url.origin}`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    replica.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`npm start: ${err.message}`);
  process.exit(1);
});
