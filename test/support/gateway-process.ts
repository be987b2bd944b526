/**
 * Runs `icws-gateway` (the built `packages/gateway/dist/cli.js`) as a child process, for tests
 * that kill a gateway as an operator or a crash would: SIGTERM drains it, SIGKILL leaves no time
 * for anything.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLI = join(__dirname, '../../packages/gateway/dist/cli.js');

/** Options of {@link startGatewayProcess}. */
export interface GatewayProcessOptions {
  /** The replica the gateway polls and relays to. */
  icNetworkUrl: string;
  /** Port to listen on (127.0.0.1). @default 0, a free one */
  port?: number;
  /** Where its key pair lives: give the same directory to restart it with the same principal. @default a new one */
  dataDir?: string;
  /** More flags, e.g. `['--polling-interval', '20']`. */
  args?: string[];
}

/** A gateway running in its own process. */
export interface GatewayProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Its WebSocket URL, e.g. `ws://127.0.0.1:40123/`. */
  readonly url: string;
  readonly port: number;
  /** Its principal, as it printed it. */
  readonly principal: string;
  readonly dataDir: string;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** Sends `signal` and @returns once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts a gateway; @returns it once it prints that it listens.
 * @throws when it exits before, with what it wrote to stderr
 */
export function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'icws-gw-proc-'));
  const args = [
    CLI,
    '--gateway-address', `127.0.0.1:${options.port ?? 0}`,
    '--ic-network-url', options.icNetworkUrl,
    '--prometheus-endpoint', 'off',
    '--log-level', 'warn',
    '--data-dir', dataDir,
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, args);
  let stderr = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    let principal = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      const named = /^gateway principal (\S+)$/.exec(line);
      if (named) principal = named[1]!;
      const listening = /^gateway listening on (\S+)$/.exec(line);
      if (!listening) return;
      const url = listening[1]!;
      resolve({
        child,
        url,
        port: Number(new URL(url).port),
        principal,
        dataDir,
        get exited() {
          return exited;
        },
        stop: async (signal = 'SIGTERM') => {
          if (!exited) child.kill(signal);
          await exit;
        },
      });
    });
    void exit.then(() => reject(new Error(`icws-gateway exited before listening: ${stderr}`)));
  });
}
