import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from './config';
import { GatewayError } from './errors';

/** Example canisters `--dev` deploys, by name and module path under the examples folder. */
const DEV_CANISTERS: ReadonlyArray<readonly [string, string]> = [
  ['ping_pong', 'ping-pong/canister'],
  ['chat', 'chat/canister'],
];

/**
 * Starts the embedded replica of `@icws/backend-cdk` on 127.0.0.1:4943 with the example
 * canisters, for `icws-gateway --dev`.
 */
export async function startDevReplica(config: GatewayConfig): Promise<{ url: string; close(): Promise<void> }> {
  let cdk: typeof import('@icws/backend-cdk');
  try {
    cdk = await import('@icws/backend-cdk');
  } catch {
    throw new GatewayError('config', 'ICWS_ERR_USAGE', '--dev needs @icws/backend-cdk: npm install @icws/backend-cdk');
  }
  const examples = findExamples();
  const port = config.icNetworkUrl ? Number(new URL(config.icNetworkUrl).port || 4943) : 4943;
  const running = await cdk.startReplica({
    host: '127.0.0.1',
    port,
    stateDir: join(config.dataDir, 'replica'),
    canisters: DEV_CANISTERS.map(([name, path]) => ({ name, module: cdk.loadCanisterModule(resolveModule(join(examples, path))) })),
  });
  for (const [name, id] of Object.entries(running.canisterIds)) console.log(`canister ${name} ${id.toText()}`);
  console.log(`replica listening on ${running.url.origin}`);
  return { url: running.url.origin, close: () => running.close() };
}

function findExamples(): string {
  // The compiled copies shipped in this package first, then the repository's sources.
  const candidates = [process.env.ICWS_EXAMPLES_DIR, join(__dirname, 'examples'), join(__dirname, '../../../examples')];
  const found = candidates.find((dir) => dir !== undefined && existsSync(join(dir, 'ping-pong')));
  if (found === undefined) throw new GatewayError('config', 'ICWS_ERR_USAGE', '--dev cannot find the example canisters; set ICWS_EXAMPLES_DIR');
  return found;
}

function resolveModule(base: string): string {
  for (const extension of ['.js', '.ts']) if (existsSync(base + extension)) return base + extension;
  return base + '.js';
}
