// What the replica keeps per update call: heap after N no-op calls through the in-process API,
// net of the heap before, with garbage collected (run with --expose-gc, as bench/run.js does);
// then again once the wall clock has passed the calls' ingress expiry and a round pruned them.
// The reference in the same run is the heap of N request ids alone (32-byte arrays).
const { IDL } = require('@icp-sdk/core/candid');
const { Principal } = require('@icp-sdk/core/principal');
const { defineCanister, update } = require('@icws/backend-cdk');
const { Replica } = require('@icws/replica');

const CALLS = Number(process.env.BENCH_MEMORY_CALLS ?? 20_000);
const BATCH = 500;
const noop = defineCanister(() => ({ noop: update([], [], () => undefined) }));

function heapBytes() {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
}

async function main() {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  let wallNs = BigInt(Date.now()) * 1_000_000n;
  const replica = await Replica.create({ signer: 'inline', verifier: 'inline', wallClock: () => wallNs, log: () => undefined });
  const id = replica.install('noop', noop);
  const caller = Principal.anonymous();
  const arg = new Uint8Array(IDL.encode([], []));
  await replica.tick();

  const before = heapBytes();
  for (let done = 0; done < CALLS; done += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, CALLS - done) }, () => replica.update(id, 'noop', arg, caller)));
  }
  const kept = heapBytes();
  const statuses = replica.stats.requestStatuses;
  wallNs += 10n * 60n * 1_000_000_000n;
  await replica.tick();
  const afterExpiry = heapBytes();

  const ids = Array.from({ length: CALLS }, () => crypto.getRandomValues(new Uint8Array(32)));
  const idsHeap = heapBytes() - afterExpiry;
  await replica.close();

  const perCall = (bytes) => `${Math.round(bytes / CALLS)} B`;
  console.log(`replica heap per update call kept within the expiry window: ${perCall(kept - before)} (${CALLS} calls, ${statuses} statuses kept)`);
  console.log(`after the calls' expiry and one round: ${perCall(afterExpiry - before)} per call, ${replica.stats.requestStatuses} statuses kept`);
  console.log(`reference, a 32-byte request id alone: ${perCall(idsHeap)} (${ids.length} kept)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
