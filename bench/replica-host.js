// Runs a replica with the counter example in its own process, so the load generator's CPU is not
// the replica's. Prints one JSON line with its URL and canister id; answers "stats" on stdin with
// the replica's counters, its CPU use so far and its RSS. BENCH_BACKEND loads the replica from
// another build (to compare with an earlier one).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { PerformanceObserver, constants } = require('node:perf_hooks');
const { startReplica, loadCanisterModule } = require(process.env.BENCH_BACKEND ?? '@icws/replica');

/** Main-thread garbage collection so far, in seconds: minor (scavenges) and major (mark-compact etc.), and the longest pause. */
const gcSeconds = { minor: 0, major: 0, longestMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = entry.detail?.kind ?? entry.kind;
    gcSeconds[kind === constants.NODE_PERFORMANCE_GC_MINOR ? 'minor' : 'major'] += entry.duration / 1000;
    gcSeconds.longestMs = Math.max(gcSeconds.longestMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

async function main() {
  const running = await startReplica({
    port: 0,
    canisters: [{ name: 'counter', module: loadCanisterModule(join(__dirname, '../examples/counter/canister.ts')) }],
    log: () => undefined,
  });
  console.log(JSON.stringify({ url: running.url.origin, counter: running.canisterIds.counter.toText() }));
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (line) => {
    if (line.trim() === 'stats') {
      const stats = {
        stats: running.replica.stats,
        // The crypto pool is internal to the replica; its counters are read for diagnostics only.
        pool: running.replica.pool?.stats,
        cpu: process.cpuUsage(),
        mainCpuSeconds: mainThreadCpuSeconds(),
        gcSeconds,
        rssMb: process.memoryUsage().rss / 2 ** 20,
      };
      console.log(JSON.stringify(stats));
    }
  });
  process.stdin.on('end', () => running.close().then(() => process.exit(0)));
}
/** CPU seconds of the main thread alone (Linux; the thread's id is the process id), else undefined. */
function mainThreadCpuSeconds() {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
