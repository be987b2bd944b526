#!/usr/bin/env node
import { parseCommandLine, usage } from './config';
import { GatewayError } from './errors';
import { startGateway } from './gateway';

async function main(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(argv);
  if (parsed.help) {
    console.log(usage());
    return;
  }
  let config = parsed.config;
  let stopReplica: (() => Promise<void>) | undefined;
  if (parsed.dev) {
    const { startDevReplica } = await import('./dev-replica');
    const dev = await startDevReplica(config);
    config = { ...config, icNetworkUrl: dev.url };
    stopReplica = dev.close;
  }
  const gateway = await startGateway(config);
  console.log(`gateway principal ${gateway.principal.toText()}`);
  console.log(`gateway listening on ${gateway.url.href}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining`);
    gateway
      .close()
      .then(() => stopReplica?.())
      .then(
        () => process.exit(0),
        (err: Error) => {
          console.error(`icws-gateway: ${err.message}`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/**
 * Runs `icws-gateway` with the command line `argv` (without node and the script); a bad flag or a
 * start that fails prints the reason and exits 2.
 */
export function runCli(argv: string[]): void {
  main(argv).catch((err: unknown) => {
    console.error(`icws-gateway: ${err instanceof Error ? err.message : String(err)}`);
    if (err instanceof GatewayError && err.hasCode('ICWS_ERR_USAGE')) console.error(usage());
    process.exit(2);
  });
}

if (require.main === module) runCli(process.argv.slice(2));
