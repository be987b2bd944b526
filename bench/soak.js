// Soak: what real clients see under sustained load. N `@icws/client-sdk` clients (certificates
// checked, as users' clients do) each send an echo to the ping-pong canister every 1/rate s
// through the gateway, for a bounded time, all on 127.0.0.1. The replica, the gateway and the load
// generators run in processes of their own. Every report period it prints one line (traffic,
// round trips of the window, memory); at the end, totals, round trips overall, the memory slopes
// (over the whole run, after the warm-up, and once the protocol's windows of kept state are full,
// which only a run of 6 minutes or more reaches), the clients' errors and closes by code, and a raw `ws` echo with as many connections on
// loopback as the reference of the same run.
//
//   node bench/soak.js --clients=200 --rate=2 --seconds=600   (or SOAK_CLIENTS=200 … node bench/soak.js)
//
// Settings (flag or environment variable, flags win):
//   --clients  SOAK_CLIENTS   clients                                            200
//   --rate     SOAK_RATE      echoes per second per client                       2
//   --seconds  SOAK_SECONDS   how long the clients send                          600
//   --procs    SOAK_PROCS     load-generator processes                           1
//                  (the clients of one process share their certificate checks; more processes
//                  check each certificate once each, so they help only with cores to spare)
//   --report   SOAK_REPORT    seconds between report lines                       30
//   --lost-after SOAK_LOST_AFTER  seconds without a reply before a message counts as lost   10
//   --warmup   SOAK_WARMUP    seconds left out of the memory slopes     60, or a quarter of a shorter run
//   --sample   SOAK_SAMPLE    seconds between memory samples                     5
//   --ack-interval SOAK_ACK_INTERVAL  the canister's (and clients') ack interval, ms   300000
//   --max-returned SOAK_MAX_RETURNED  most messages one poll returns (the canister's init;
//                  its 2 MiB byte cap holds whatever this is)                      50
//   --echo     SOAK_ECHO      seconds of each raw `ws` echo reference            10
//   --reconnect SOAK_RECONNECT=1  clients reopen (with backoff) after a transient close   off
//   --per-ip-limit SOAK_PER_IP_LIMIT  the gateway's connections per address: all clients come
//                  from 127.0.0.1, where users come from many addresses   max(256, 2 × clients)
//   --max-pending-calls SOAK_MAX_PENDING_CALLS  the replica's --max-pending-calls    its default
// SOAK_LOAD_NODE_FLAGS gives the load generators node flags (e.g. "--cpu-prof --cpu-prof-dir=/tmp").
const os = require('node:os');
const { join } = require('node:path');
const { WebSocketServer } = require('ws');
const { startChild, percentile } = require('./support');

const SETTINGS = [
  ['clients', 'SOAK_CLIENTS', 200],
  ['rate', 'SOAK_RATE', 2],
  ['seconds', 'SOAK_SECONDS', 600],
  ['procs', 'SOAK_PROCS', undefined],
  ['report', 'SOAK_REPORT', 30],
  ['lost-after', 'SOAK_LOST_AFTER', 10],
  ['warmup', 'SOAK_WARMUP', undefined],
  ['sample', 'SOAK_SAMPLE', 5],
  ['ack-interval', 'SOAK_ACK_INTERVAL', 300_000],
  ['max-returned', 'SOAK_MAX_RETURNED', 50],
  ['echo', 'SOAK_ECHO', 10],
  ['reconnect', 'SOAK_RECONNECT', 0],
  ['per-ip-limit', 'SOAK_PER_IP_LIMIT', undefined],
  ['max-pending-calls', 'SOAK_MAX_PENDING_CALLS', undefined],
];

/** @returns the settings from flags and environment; exits naming the setting on a bad value. */
function readSettings(argv, env) {
  const flags = new Map();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match || !SETTINGS.some(([flag]) => flag === match[1])) {
      fail(`unknown argument ${arg}; the settings are ${SETTINGS.map(([flag]) => `--${flag}`).join(', ')} (see the top of bench/soak.js)`);
    }
    flags.set(match[1], match[2] ?? '1');
  }
  const out = {};
  for (const [flag, name, fallback] of SETTINGS) {
    const text = flags.get(flag) ?? env[name];
    if (text === undefined || text === '') {
      out[flag] = fallback;
      continue;
    }
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || (flag !== 'reconnect' && value === 0)) {
      fail(`--${flag} (${name}) must be a positive number, got "${text}"`);
    }
    out[flag] = value;
  }
  out.procs ??= 1;
  out.procs = Math.min(out.procs, out.clients);
  out.warmup ??= out.seconds >= 240 ? 60 : out.seconds / 4;
  out['per-ip-limit'] ??= Math.max(256, 2 * out.clients);
  out.reconnect = out.reconnect > 0;
  return out;
}

function fail(message) {
  console.error(`soak: ${message}`);
  process.exit(2);
}

/**
 * The windows of state the protocol keeps, in seconds, which fill during the first minutes of a
 * run: the replica's request statuses (one per call, kept until its ingress expiry, which the
 * client SDK sets 5 minutes ahead), and in the canister the messages of the last ack interval and
 * the copies kept for resumes (the kit's recovery window, 2 minutes by default). Memory can be
 * flat only once all of them are full; a margin covers the last samples' lag.
 */
const STATUS_WINDOW_S = 300;
const RECOVERY_WINDOW_S = 120;
const WINDOW_MARGIN_S = 30;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes) => bytes / 2 ** 20;
const int = (n) => Math.round(n).toLocaleString('en-US');
const ms = (n) => (n === undefined ? '–' : n < 10 ? n.toFixed(1) : Math.round(n).toString());
const loadAverage = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');

/** @returns the least-squares slope of `ys` over `xs`, or undefined for fewer than 3 points. */
function slope(xs, ys) {
  if (xs.length < 3) return undefined;
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? undefined : num / den;
}

function rttSummary(rtts) {
  if (rtts.length === 0) return 'no replies';
  return `p50 ${ms(percentile(rtts, 50))} ms, p99 ${ms(percentile(rtts, 99))} ms, max ${ms(rtts.reduce((a, b) => Math.max(a, b), 0))} ms`;
}

/** Adds the event counts of `from` into `into`. */
function addEvents(into, from) {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

async function main() {
  const s = readSettings(process.argv.slice(2), process.env);
  const loadAtStart = loadAverage();
  const perProc = Array.from({ length: s.procs }, (_, i) => Math.floor(s.clients / s.procs) + (i < s.clients % s.procs ? 1 : 0));
  console.log(
    `soak: ${s.clients} clients × ${s.rate}/s for ${s.seconds} s (offered ${int(s.clients * s.rate)} echoes/s), ${s.procs} load-generator process(es) ` +
      `(${perProc.join(' + ')} clients), reconnect ${s.reconnect ? 'on' : 'off'}, ack interval ${s['ack-interval']} ms, ${s['max-returned']} messages per poll at most, ` +
      `lost after ${s['lost-after']} s; ${os.cpus().length} cores, load average ${loadAtStart}`,
  );

  const init = `(opt record { send_ack_interval_ms = opt (${s['ack-interval']} : nat64); max_number_of_returned_messages = opt (${s['max-returned']} : nat64) })`;
  const replicaOptions = s['max-pending-calls'] === undefined ? {} : { maxPendingCalls: s['max-pending-calls'] };
  const replica = startChild(join(__dirname, 'ping-pong-host.js'), [init, '', JSON.stringify(replicaOptions)]);
  const { url: replicaUrl, canisterId, rootKey } = await replica.next();
  const gateway = startChild(join(__dirname, 'gateway-host.js'), [replicaUrl, JSON.stringify({ maxConnectionsPerIp: s['per-ip-limit'] })]);
  const { url: gatewayUrl } = await gateway.next();

  const loads = perProc.map((clients, index) =>
    startChild(join(__dirname, 'soak-load.js'), [
      JSON.stringify({
        index, clients, rate: s.rate, gatewayUrl, replicaUrl, canisterId, rootKeyHex: rootKey,
        ackIntervalMs: s['ack-interval'], reconnect: s.reconnect, lostAfterMs: s['lost-after'] * 1000, openConcurrency: 20,
      }),
    ], process.env.SOAK_LOAD_NODE_FLAGS?.split(' ').filter(Boolean)),
  );
  const askAll = async (command) => {
    const answers = await Promise.all(loads.map((load) => load.ask(command)));
    const failed = answers.find((answer) => answer.error !== undefined);
    if (failed) throw new Error(`load generator: ${failed.error}`);
    return answers;
  };

  const opened = await askAll('open');
  const openMs = Math.max(...opened.map((o) => o.ms));
  const openFailed = opened.reduce((n, o) => n + o.failed, 0);
  console.log(`opened ${int(s.clients - openFailed)} of ${s.clients} clients in ${(openMs / 1000).toFixed(1)} s${openFailed ? ` (${openFailed} failed to open: see the codes below)` : ''}`);

  // Memory is sampled on its own schedule; the two hosts are asked in turn, one command at a time.
  const samples = [];
  /** The replica's memory as each of its full collections ended. */
  const collections = [];
  let sampling = true;
  const t0 = performance.now();
  const t0Ms = Date.now();
  const sampler = (async () => {
    while (sampling) {
      const t = (performance.now() - t0) / 1000;
      const askGateway = async () => [await gateway.ask('memory'), await gateway.ask('cpu')];
      const [r, [g, gc]] = await Promise.all([replica.ask('memory'), askGateway()]);
      for (const c of r.collections) collections.push({ ...c, t: (c.atMs - t0Ms) / 1000 });
      samples.push({
        t, replica: r.memory, replicaCpu: r.cpu.user + r.cpu.system, pendingCalls: r.stats.pendingCalls, callsRefused: r.stats.callsRefused, rounds: r.stats.rounds, updates: r.stats.updatesExecuted,
        gateway: g.memory, gatewayCpu: gc.cpu.user + gc.cpu.system, polls: gc.polls, sessions: g.sessions, gatewayErrors: gc.errors, gatewayClosed: gc.closed,
      });
      await sleep(s.sample * 1000);
    }
  })();

  await askAll(`go ${s.seconds}`);
  const totals = { sent: 0, received: 0, duplicates: 0, unexpected: 0, refused: 0, cut: 0 };
  const events = {};
  const allRtts = [];
  const allIns = [];
  const allOuts = [];
  const generator = { loopP99: 0, loopMax: 0, cpu: [] };
  const collect = async () => {
    const reports = await askAll('report');
    const window = { sent: 0, received: 0, refused: 0, overdue: 0, pending: 0, rtts: [], ins: [] };
    const lastEvents = {};
    for (const r of reports) {
      for (const key of Object.keys(totals)) totals[key] += r[key];
      for (const key of ['sent', 'received', 'refused', 'overdue', 'pending']) window[key] += r[key];
      for (const rtt of r.rtts) {
        window.rtts.push(rtt);
        allRtts.push(rtt);
      }
      for (const x of r.ins) allIns.push(x);
      for (const x of r.outs) allOuts.push(x);
      window.ins.push(...r.ins);
      addEvents(lastEvents, r.events);
      generator.loopP99 = Math.max(generator.loopP99, r.loopDelayP99Ms);
      generator.loopMax = Math.max(generator.loopMax, r.loopDelayMaxMs);
      generator.cpu.push(r.cpuShare);
    }
    Object.assign(events, lastEvents);
    return { window, reports };
  };
  const line = (elapsed, windowSeconds, { window, reports }) => {
    const last = samples[samples.length - 1];
    const from = samples.find((x) => x.t >= last.t - windowSeconds) ?? samples[0];
    const seconds = Math.max(last.t - from.t, 1e-3);
    const share = (key) => `${Math.round((last[key] - from[key]) / 1e4 / seconds)}%`;
    const closes = Object.entries(events).filter(([key]) => /^(close|reconnecting) /.test(key)).reduce((n, [, v]) => n + v, 0);
    console.log(
      `${String(Math.round(elapsed)).padStart(4)} s  sent ${int(totals.sent)}  received ${int(totals.received)}  ` +
        `lost ${int(window.overdue + totals.cut)} (no reply after ${s['lost-after']} s${totals.cut ? `, ${int(totals.cut)} cut by a close` : ''})  ` +
        `refused ${int(totals.refused)}  closes ${closes}  | window: ${int(window.rtts.length / windowSeconds)} replies/s, rtt ${rttSummary(window.rtts)} ` +
        `(to the canister p50 ${ms(percentile(window.ins, 50))} ms, p99 ${ms(percentile(window.ins, 99))} ms)  ` +
        `| replica CPU ${share('replicaCpu')} RSS ${mb(last.replica.rss).toFixed(0)} MB heap ${mb(last.replica.heapUsed).toFixed(0)} MB, ` +
        `${int((last.rounds - from.rounds) / seconds)} rounds/s of ${int((last.updates - from.updates) / Math.max(last.rounds - from.rounds, 1))} calls, ` +
        `calls pending up to ${int(Math.max(...samples.filter((x) => x.t >= from.t).map((x) => x.pendingCalls)))}, refused ${int(last.callsRefused - from.callsRefused)}  ` +
        `| gateway CPU ${share('gatewayCpu')} RSS ${mb(last.gateway.rss).toFixed(0)} MB, ${last.sessions} sessions, ${int((last.polls - from.polls) / seconds)} polls/s  | generator loop p99 ${ms(Math.max(...reports.map((r) => r.loopDelayP99Ms)))} ms, ` +
        `CPU ${reports.map((r) => `${Math.round(r.cpuShare * 100)}%`).join('+')}`,
    );
  };

  let reported = 0;
  for (let next = s.report; next <= s.seconds; next += s.report) {
    await sleep(t0 + next * 1000 - performance.now());
    line(next, s.report, await collect());
    reported = next;
  }
  await sleep(t0 + s.seconds * 1000 + 200 - performance.now());
  await askAll(`drain ${s['lost-after'] * 1000}`);
  const final = await collect();
  const elapsed = (performance.now() - t0) / 1000;
  if (reported < s.seconds || final.window.rtts.length > 0) line(elapsed, elapsed - reported, final);
  // the final counts, not the drain's answer: replies queued behind a busy event loop still came in
  const lost = final.reports.reduce((n, r) => n + r.pending, 0) + totals.cut;
  sampling = false;
  await sampler;
  await askAll('close');

  // The reference: a raw `ws` echo server here (this process is otherwise idle), the same clients' share per load process.
  const echoServer = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  echoServer.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  await new Promise((resolve) => echoServer.once('listening', resolve));
  const echoUrl = `ws://127.0.0.1:${echoServer.address().port}`;
  const echoRun = async (mode) => {
    const answers = await askAll(`echo ${echoUrl} ${mode} ${s.echo}`);
    const rtts = answers.flatMap((a) => a.rtts);
    return { rtts, rate: rtts.length / (Math.max(...answers.map((a) => a.ms)) / 1000) };
  };
  const paced = await echoRun('paced');
  const closedLoop = await echoRun('closed');
  echoServer.close();

  const windowsFullAt = Math.max(STATUS_WINDOW_S, s['ack-interval'] / 1000, RECOVERY_WINDOW_S) + WINDOW_MARGIN_S;
  const slopes = (fromSeconds) => {
    const kept = samples.filter((x) => x.t >= fromSeconds);
    const minutes = kept.map((x) => x.t / 60);
    const of = (read) => slope(minutes, kept.map((x) => mb(read(x))));
    return {
      samples: kept.length,
      replica: of((x) => x.replica.rss),
      heap: of((x) => x.replica.heapUsed),
      heapTotal: of((x) => x.replica.heapTotal),
      external: of((x) => x.replica.external),
      gateway: of((x) => x.gateway.rss),
    };
  };
  /**
   * Samples rise and fall with the collections (the heap grows by a hundred MB between two full
   * ones), so a slope over a few minutes depends on where in that cycle the run ends. What each full
   * collection returns to, and the highest RSS between two of them, do not.
   */
  const afterCollectionsLine = (kept, steadySamples) => {
    if (kept.length === 0) return console.log('  the replica made no full collection at steady state');
    const minutes = kept.map((c) => c.t / 60);
    const peaks = kept.slice(1).map((c, i) => Math.max(...steadySamples.filter((x) => x.t > kept[i].t && x.t <= c.t).map((x) => x.replica.rss), c.rss));
    const range = (values) => `${mb(Math.min(...values)).toFixed(0)}–${mb(Math.max(...values)).toFixed(0)} MB`;
    console.log(
      `  after each of the replica's ${kept.length} full collections at steady state (${kept.map((c) => Math.round(c.t)).join(', ')} s): ` +
        `heap used ${range(kept.map((c) => c.heapUsed))} (${perMin(slope(minutes, kept.map((c) => mb(c.heapUsed))))}), ` +
        `RSS ${range(kept.map((c) => c.rss))} (${perMin(slope(minutes, kept.map((c) => mb(c.rss))))})` +
        (peaks.length ? `; highest RSS between two of them ${peaks.map((p) => mb(p).toFixed(0)).join(', ')} MB` : ''),
    );
  };
  const first = samples[0];
  const last = samples[samples.length - 1];
  const perMin = (v) => (v === undefined ? 'n/a (fewer than 3 samples)' : `${v >= 0 ? '+' : ''}${v.toFixed(2)} MB/min`);
  const eventList = Object.entries(events).sort((a, b) => b[1] - a[1]);
  const cpus = generator.cpu.length ? generator.cpu : [0];

  console.log(`\n== soak summary: ${s.clients} clients × ${s.rate}/s for ${s.seconds} s, ${s.procs} load-generator process(es), reconnect ${s.reconnect ? 'on' : 'off'}`);
  console.log(`messages: sent ${int(totals.sent)}, received ${int(totals.received)}, lost ${int(lost)} (never came back; ${int(totals.cut)} of them in flight when their connection closed), duplicates ${int(totals.duplicates)}, refused ${int(totals.refused)} (not sent: send threw, codes below), unexpected ${int(totals.unexpected)}`);
  console.log(`throughput: ${int(totals.received / s.seconds)} replies/s received against ${int(s.clients * s.rate)} offered`);
  console.log(`round trip (send → certified reply at the client): ${rttSummary(allRtts)} over ${int(allRtts.length)} replies`);
  console.log(
    `  of which send → the echo executed in the canister (signing, the gateway's relay, the replica's round): ${rttSummary(allIns)}; ` +
      `executed → reply at the client (certification, poll, delivery, the client's checks, the generator's event loop): ${rttSummary(allOuts)}`,
  );
  const slopeLine = (label, fromSeconds) => {
    const x = slopes(fromSeconds);
    console.log(
      `  ${label}, ${x.samples} samples: replica RSS ${perMin(x.replica)} (heap used ${perMin(x.heap)}, heap reserved ${perMin(x.heapTotal)}, ` +
        `outside the heap ${perMin(x.external)}), gateway RSS ${perMin(x.gateway)}`,
    );
  };
  const runEnd = last.t;
  console.log(`memory slope (least squares of samples every ${s.sample} s):`);
  slopeLine(`whole run, 0–${Math.round(runEnd)} s`, 0);
  slopeLine(`after a ${s.warmup} s warm-up, ${s.warmup}–${Math.round(runEnd)} s`, s.warmup);
  const windows = `request statuses ${STATUS_WINDOW_S} s, the ack interval's messages ${s['ack-interval'] / 1000} s, resume copies ${RECOVERY_WINDOW_S} s, + ${WINDOW_MARGIN_S} s`;
  if (runEnd - windowsFullAt >= 60) {
    slopeLine(`steady state, after the protocol's windows filled (${windows}), ${windowsFullAt}–${Math.round(runEnd)} s`, windowsFullAt);
    console.log(`  memory is flat at steady state when this last line's slopes are near 0; the lines above include the windows filling`);
    afterCollectionsLine(collections.filter((c) => c.t >= windowsFullAt), samples.filter((x) => x.t >= windowsFullAt));
  } else {
    console.log(
      `  steady state: not reached. The protocol's windows (${windows}) are full from ${windowsFullAt} s on, and this run ended at ${Math.round(runEnd)} s: ` +
        `the slopes above include their filling, so they do not show whether memory is flat; run at least ${windowsFullAt + 60} s for that (--seconds)`,
    );
  }
  console.log(
    `memory from first to last sample: replica RSS ${mb(first.replica.rss).toFixed(0)} → ${mb(last.replica.rss).toFixed(0)} MB (heap used ${mb(first.replica.heapUsed).toFixed(0)} → ${mb(last.replica.heapUsed).toFixed(0)} MB, reserved ` +
      `${mb(first.replica.heapTotal).toFixed(0)} → ${mb(last.replica.heapTotal).toFixed(0)} MB; outside the heap ${mb(first.replica.external).toFixed(0)} → ${mb(last.replica.external).toFixed(0)} MB), ` +
      `gateway RSS ${mb(first.gateway.rss).toFixed(0)} → ${mb(last.gateway.rss).toFixed(0)} MB`,
  );
  console.log(`client errors and closes by code: ${eventList.length ? eventList.map(([key, n]) => `${key} ×${n}`).join('; ') : 'none'}`);
  const counted = (counts) => (Object.keys(counts ?? {}).length ? Object.entries(counts).map(([key, n]) => `${key} ×${int(n)}`).join(', ') : 'none');
  console.log(
    `server signals: replica refused ${int(last.callsRefused)} calls as overloaded (503, --max-pending-calls), at most ${int(Math.max(...samples.map((x) => x.pendingCalls)))} pending in a sample; ` +
      `gateway errors by kind: ${counted(last.gatewayErrors)}; gateway closes by code: ${counted(last.gatewayClosed)}`,
  );
  console.log(
    `load generators: ${s.procs} process(es), event-loop delay p99 up to ${ms(generator.loopP99)} ms (max ${ms(generator.loopMax)} ms), ` +
      `CPU per process ${Math.round(percentile(cpus, 50) * 100)}% median, ${Math.round(Math.max(...cpus) * 100)}% highest window`,
  );
  console.log(
    `reference, raw ws echo on loopback with ${s.clients} connections: paced at ${int(s.clients * s.rate)}/s for ${s.echo} s ${rttSummary(paced.rtts)}; ` +
      `one at a time per connection ${int(closedLoop.rate)} round trips/s (${rttSummary(closedLoop.rtts)})`,
  );
  console.log(`load average: start ${loadAtStart}, end ${loadAverage()}`);

  for (const load of loads) load.stop();
  gateway.stop();
  replica.stop();
  setTimeout(() => process.exit(0), 1000).unref();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
