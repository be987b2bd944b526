// Runs the gateway in its own process so its memory can be read alone. Prints its URL and principal
// as one JSON line; answers "memory" on stdin with process.memoryUsage() after a GC, and "cpu" with
// its CPU use so far, the number of polls it made, its errors by kind and the sessions it closed by
// code (its Prometheus counters), and the profiling commands of support.js. An optional second argument is JSON of more
// gateway options (e.g. `{"maxConnectionsPerIp":1000}`).
const { startGateway } = require('@icws/gateway');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { profileCommand } = require('./support');

async function main() {
  const gateway = await startGateway({
    gatewayAddress: '127.0.0.1:0',
    icNetworkUrl: process.argv[2],
    prometheusEndpoint: null,
    dataDir: mkdtempSync(join(tmpdir(), 'icws-bench-gw-')),
    logLevel: 'silent',
    ...(process.argv[3] ? JSON.parse(process.argv[3]) : {}),
  });
  console.log(JSON.stringify({ url: gateway.url.href, principal: gateway.principal.toText() }));
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', async (line) => {
    if (profileCommand(line)) return;
    if (line.trim() === 'cpu') {
      const polls = (await gateway.metrics.pollLatency.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
      const byLabel = async (counter, label) =>
        Object.fromEntries((await counter.get()).values.map((v) => [v.labels[label], v.value]));
      const errors = await byLabel(gateway.metrics.errors, 'kind');
      const closed = await byLabel(gateway.metrics.sessionsClosed, 'code');
      console.log(JSON.stringify({ cpu: process.cpuUsage(), polls, errors, closed }));
    }
    if (line.trim() === 'memory') {
      global.gc?.();
      global.gc?.();
      console.log(JSON.stringify({ memory: process.memoryUsage(), sessions: gateway.sessionCount }));
    }
  });
  process.stdin.on('end', () => gateway.close().then(() => process.exit(0)));
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
