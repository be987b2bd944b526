/**
 * A replica started with `startReplica` (as `icws-replica` is) has V8 give back the heap pages that
 * state which died left partly used. The load is the replica's shape: records kept for a window and
 * dropped in arrival order (as request statuses and queued messages are), with shorter-lived objects
 * promoted between them. Each case runs in a child process, since the setting is process-wide.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const REPLICA = join(__dirname, '../../packages/replica/dist/index.js');

/**
 * Starts and stops a replica, runs the load, and @returns the old space's bytes reserved per byte
 * used, read at each of the last full collections V8 chose to make (the median of four).
 */
function reservedPerUsedUnderLoad(options: { compactHeap?: boolean }): number {
  const script = `
    const v8 = require('node:v8');
    const { PerformanceObserver, constants } = require('node:perf_hooks');
    const ratios = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
        const old = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'old_space');
        ratios.push(old.space_size / old.space_used_size);
      }
    }).observe({ entryTypes: ['gc'] });
    const KEPT = 150000, SHORTER = 30000;
    const kept = new Array(KEPT), shorter = new Array(SHORTER);
    let i = 0;
    function step(left) {
      for (let k = 0; k < 2000; k++, i++) {
        kept[i % KEPT] = { i, text: 'message ' + i, hash: 'x'.repeat(32) + i };
        shorter[i % SHORTER] = { i, fields: [i, i, i, i, i, i, i, i] };
      }
      if (left > 0) return setImmediate(step, left - 1);
      const last = ratios.slice(-4).sort((a, b) => a - b);
      process.stdout.write(String((last[1] + last[2]) / 2));
      process.exit(0);
    }
    require(${JSON.stringify(REPLICA)}).startReplica({ port: 0, ...${JSON.stringify(options)} }).then(async (running) => {
      await running.close();
      step(1500);
    });
  `;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

describe('the replica process heap', () => {
  it('follows the live data under a steady load, where V8 alone keeps the pages dead state left partly used', () => {
    const alone = reservedPerUsedUnderLoad({ compactHeap: false });
    const replica = reservedPerUsedUnderLoad({});
    expect(alone).toBeGreaterThan(1.4);
    expect(replica).toBeLessThan(1.25);
  });
});
