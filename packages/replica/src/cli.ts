#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ReplicaError } from './errors';
import { SystemClock, TestClock } from './clock';
import { startReplica, type CanisterSpec } from './launch';
import { printCandid } from './print-candid';

const USAGE = `Usage: icws-replica [--listen HOST:PORT] [--state-dir DIR] [--flat-certificates] --canister NAME=PATH[@ID] ...
                    [--init NAME=CANDID ...] [--watch] [--admin-listen HOST:PORT] [--clock system|manual]
                    [--max-pending-calls N] [--min-round-interval-ms MS]
       icws-replica --print-candid NAME_OR_FILE [--canister NAME=PATH ...]

Hosts canister modules written with @icws/backend-cdk behind the Internet Computer's HTTP interface.

  --listen HOST:PORT      address to serve on (default 127.0.0.1:4943)
  --state-dir DIR         where the root, subnet and node keys, the canister ids and the canisters'
                          stable memory (DIR/state.sqlite) are kept, across restarts; every round
                          is on disk before its certificate is signed. Without it the keys are kept
                          in .icws/replica and stable memory only in memory
  --flat-certificates     sign certificates with the root key, without a subnet delegation, as a
                          local IC SDK replica does (default: delegated, as on mainnet)
  --canister NAME=PATH[@ID]
                          install the module at PATH as NAME, with canister id ID if given
  --init NAME=CANDID      the init argument of canister NAME as Candid text, read against the init
                          types the canister declares, e.g.
                          --init 'ping_pong=(opt record { send_ack_interval_ms = 120000 : nat64 })'
  --watch                 reload a canister when its module's files change, as an upgrade: its
                          stable memory is kept, preUpgrade and postUpgrade run
  --admin-listen HOST:PORT
                          serve the admin API (read, set and advance time; run a round) on a
                          loopback address; implies --clock manual
  --clock system|manual   system: time is the wall clock (default); manual: time moves only
                          through the admin API (and by 1 ns a round), as on PocketIC
  --max-pending-calls N   update calls that may wait for a round; past it calls are refused with
                          HTTP 503 ICWS_ERR_REPLICA_OVERLOADED (default 5000)
  --min-round-interval-ms MS
                          the least time between the starts of two rounds, so that calls close
                          together share one certificate (default 5; 0: a round as soon as the
                          previous one is certified)
  --print-candid NAME_OR_FILE
                          print the Candid interface (.did) of a canister and exit: NAME of a
                          --canister, an example canister (ping_pong, chat), or a module's path
  --help                  show this text`;

/** Where the keys are kept when no `--state-dir` is given, so clients keep trusting the replica across restarts. */
const DEFAULT_KEYS_DIR = '.icws/replica';

/** Parses `NAME=CANDID`. */
export function parseInitFlag(flag: string): { name: string; candid: string } {
  const match = /^([A-Za-z0-9_-]+)=(.*)$/s.exec(flag);
  if (match === null || match[2].trim() === '') {
    throw new ReplicaError('ICWS_ERR_USAGE', `--init ${flag}: expected NAME=CANDID, e.g. ping_pong='(opt record { send_ack_interval_ms = 120000 : nat64 })'`);
  }
  return { name: match[1], candid: match[2] };
}

/**
 * Puts each `--init` on its `--canister`.
 * @throws ReplicaError `ICWS_ERR_USAGE` for an init of no canister, or two inits of one
 */
export function attachInits(canisters: readonly CanisterSpec[], inits: ReadonlyArray<{ name: string; candid: string }>): CanisterSpec[] {
  const byName = new Map<string, string>();
  for (const { name, candid } of inits) {
    if (!canisters.some((c) => c.name === name)) {
      throw new ReplicaError('ICWS_ERR_USAGE', `--init ${name}=…: there is no --canister ${name}=PATH`);
    }
    if (byName.has(name)) throw new ReplicaError('ICWS_ERR_USAGE', `--init ${name}=… is given twice`);
    byName.set(name, candid);
  }
  return canisters.map((spec) => (byName.has(spec.name) ? { ...spec, initCandid: byName.get(spec.name) } : spec));
}

/** Parses `NAME=PATH[@ID]`. */
export function parseCanisterFlag(flag: string): CanisterSpec {
  const match = /^([A-Za-z0-9_-]+)=([^@]+)(?:@(.+))?$/.exec(flag);
  if (match === null) {
    throw new ReplicaError('ICWS_ERR_USAGE', `--canister ${flag}: expected NAME=PATH[@ID], e.g. counter=./counter.js`);
  }
  return { name: match[1], module: match[2], id: match[3] };
}

/** Parses `HOST:PORT` (IPv6 hosts in brackets) given to `flag`. */
export function parseListen(listen: string, flag = '--listen'): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  const port = match ? Number(match[2]) : NaN;
  if (match === null || port > 65535) {
    throw new ReplicaError('ICWS_ERR_USAGE', `${flag} ${listen}: expected HOST:PORT, e.g. 127.0.0.1:4943`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', default: '127.0.0.1:4943' },
      'state-dir': { type: 'string' },
      canister: { type: 'string', multiple: true, default: [] },
      'flat-certificates': { type: 'boolean', default: false },
      init: { type: 'string', multiple: true, default: [] },
      watch: { type: 'boolean', default: false },
      'admin-listen': { type: 'string' },
      clock: { type: 'string' },
      'max-pending-calls': { type: 'string' },
      'min-round-interval-ms': { type: 'string' },
      'print-candid': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values['print-candid'] !== undefined) {
    process.stdout.write(printCandid(values['print-candid'], values.canister.map(parseCanisterFlag)));
    return;
  }
  const { host, port } = parseListen(values.listen);
  const admin = values['admin-listen'] === undefined ? undefined : parseListen(values['admin-listen'], '--admin-listen');
  const clock = values.clock ?? (admin !== undefined ? 'manual' : 'system');
  if (clock !== 'system' && clock !== 'manual') throw new ReplicaError('ICWS_ERR_USAGE', `--clock ${clock}: expected system or manual`);
  if (clock === 'manual' && admin === undefined) {
    throw new ReplicaError('ICWS_ERR_USAGE', '--clock manual: nothing could move the time; add --admin-listen 127.0.0.1:PORT');
  }
  const maxPendingCalls = values['max-pending-calls'] === undefined ? undefined : Number(values['max-pending-calls']);
  if (maxPendingCalls !== undefined && !(Number.isSafeInteger(maxPendingCalls) && maxPendingCalls >= 1)) {
    throw new ReplicaError('ICWS_ERR_USAGE', `--max-pending-calls ${values['max-pending-calls']}: expected a whole number of calls >= 1, e.g. 5000`);
  }
  const minRoundIntervalMs = values['min-round-interval-ms'] === undefined ? undefined : Number(values['min-round-interval-ms']);
  if (minRoundIntervalMs !== undefined && !(Number.isFinite(minRoundIntervalMs) && minRoundIntervalMs >= 0 && values['min-round-interval-ms']!.trim() !== '')) {
    throw new ReplicaError('ICWS_ERR_USAGE', `--min-round-interval-ms ${values['min-round-interval-ms']}: expected milliseconds >= 0, e.g. 5`);
  }
  const canisters = attachInits(values.canister.map(parseCanisterFlag), values.init.map(parseInitFlag));
  let running;
  try {
    running = await startReplica({
      host,
      port,
      stateDir: values['state-dir'] ?? DEFAULT_KEYS_DIR,
      durableState: values['state-dir'] !== undefined,
      watch: values.watch,
      certificates: values['flat-certificates'] ? 'flat' : 'delegated',
      canisters,
      admin,
      clock: clock === 'manual' ? new TestClock() : new SystemClock(),
      maxPendingCalls,
      minRoundIntervalMs,
    });
  } catch (err) {
    if (err instanceof ReplicaError && err.code === 'ICWS_ERR_INIT_ARG') {
      throw new ReplicaError('ICWS_ERR_INIT_ARG', `--init: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const stop = () => {
    running.close().then(() => process.exit(0), () => process.exit(1));
  };
  // Before the lines that say the replica is up: whoever reads them may stop it at once.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  for (const [name, id] of Object.entries(running.canisterIds)) console.log(`canister ${name} ${id.toText()}`);
  if (values['state-dir'] === undefined) console.log('stable memory is kept in memory only: give --state-dir DIR to keep it across restarts');
  if (running.adminUrl !== undefined) console.log(`admin API listening on ${running.adminUrl.origin}`);
  console.log(`replica listening on ${running.url.origin}`);
}

/**
 * Runs `icws-replica` with the command line `argv` (without node and the script); a bad flag or a
 * start that fails prints the reason and exits 2.
 */
export function runCli(argv: string[]): void {
  main(argv).catch((err: unknown) => {
    console.error(`icws-replica: ${err instanceof Error ? err.message : String(err)}`);
    if (isUsageError(err)) console.error(USAGE);
    process.exit(2);
  });
}

/** A flag the command line got wrong (ours or `parseArgs`'s), as opposed to a start that failed. */
function isUsageError(err: unknown): boolean {
  if (err instanceof ReplicaError) return err.code === 'ICWS_ERR_USAGE';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

if (require.main === module) runCli(process.argv.slice(2));
