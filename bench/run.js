// Runs every benchmark in turn and prints their figures; `run.js soak.js --clients=500` runs one,
// passing it the flags. The soak (soak.js) runs for minutes, so only when named.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

const BENCHMARKS = ['replica.js', 'replica-memory.js', 'durable.js', 'gateway.js', 'cdk.js', 'client.js', 'failover.js'];
/** Node flags a benchmark needs. */
const NODE_FLAGS = { 'replica-memory.js': ['--expose-gc'] };
const args = process.argv.slice(2);
const names = args.filter((arg) => !arg.startsWith('--'));
const flags = args.filter((arg) => arg.startsWith('--'));
for (const name of names.length ? names : BENCHMARKS) {
  console.log(`\n== ${name}`);
  execFileSync(process.execPath, [...(NODE_FLAGS[name] ?? []), join(__dirname, name), ...flags], { stdio: 'inherit' });
}
