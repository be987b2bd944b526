// Runs every benchmark in turn and prints their figures.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

const BENCHMARKS = ['replica.js', 'gateway.js', 'cdk.js', 'client.js'];
for (const name of process.argv.slice(2).length ? process.argv.slice(2) : BENCHMARKS) {
  console.log(`\n== ${name}`);
  execFileSync(process.execPath, [join(__dirname, name)], { stdio: 'inherit' });
}
