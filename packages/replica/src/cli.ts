#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ReplicaError } from './errors';
import { startReplica, type CanisterSpec } from './launch';

const USAGE = `Usage: icws-replica [--listen HOST:PORT] [--state-dir DIR] [--flat-certificates] --canister NAME=PATH[@ID] ...

Hosts canister modules written with @icws/backend-cdk behind the Internet Computer's HTTP interface.

  --listen HOST:PORT      address to serve on (default 127.0.0.1:4943)
  --state-dir DIR         where the root, subnet and node keys are kept (default .icws/replica)
  --flat-certificates     sign certificates with the root key, without a subnet delegation, as a
                          local IC SDK replica does (default: delegated, as on mainnet)
  --canister NAME=PATH[@ID]
                          install the module at PATH as NAME, with canister id ID if given
  --help                  show this text`;

/** Parses `NAME=PATH[@ID]`. */
export function parseCanisterFlag(flag: string): CanisterSpec {
  const match = /^([A-Za-z0-9_-]+)=([^@]+)(?:@(.+))?$/.exec(flag);
  if (match === null) {
    throw new ReplicaError('ICWS_ERR_USAGE', `--canister ${flag}: expected NAME=PATH[@ID], e.g. counter=./counter.js`);
  }
  return { name: match[1], module: match[2], id: match[3] };
}

/** Parses `HOST:PORT` (IPv6 hosts in brackets). */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  const port = match ? Number(match[2]) : NaN;
  if (match === null || port > 65535) {
    throw new ReplicaError('ICWS_ERR_USAGE', `--listen ${listen}: expected HOST:PORT, e.g. 127.0.0.1:4943`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', default: '127.0.0.1:4943' },
      'state-dir': { type: 'string', default: '.icws/replica' },
      canister: { type: 'string', multiple: true, default: [] },
      'flat-certificates': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const { host, port } = parseListen(values.listen);
  const running = await startReplica({
    host,
    port,
    stateDir: values['state-dir'],
    certificates: values['flat-certificates'] ? 'flat' : 'delegated',
    canisters: values.canister.map(parseCanisterFlag),
  });
  for (const [name, id] of Object.entries(running.canisterIds)) console.log(`canister ${name} ${id.toText()}`);
  console.log(`replica listening on ${running.url.origin}`);
  const stop = () => {
    running.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`icws-replica: ${err instanceof Error ? err.message : String(err)}`);
    if (!(err instanceof ReplicaError)) console.error(USAGE);
    process.exit(2);
  });
}
