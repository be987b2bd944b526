import { join } from 'node:path';
import type { GatewayConfig } from './config';
import { GatewayError } from './errors';

/** What `--dev` uses of `@icws/replica`, an optional peer: an operator's install does not pull it. */
interface ReplicaPackage {
  startDevReplica(options: { port: number; stateDir: string }): Promise<{ url: string; close(): Promise<void> }>;
}

const REPLICA_PACKAGE = '@icws/replica';

/**
 * Starts the embedded replica of `@icws/replica` with its example canisters, for
 * `icws-gateway --dev`, on the port of `--ic-network-url` (4943 by default).
 * @throws GatewayError `ICWS_ERR_USAGE` when `@icws/replica` is not installed
 */
export async function startDevReplica(config: GatewayConfig): Promise<{ url: string; close(): Promise<void> }> {
  let replica: ReplicaPackage;
  try {
    replica = (await import(REPLICA_PACKAGE)) as ReplicaPackage;
  } catch {
    throw new GatewayError('ICWS_ERR_USAGE',
      `--dev needs ${REPLICA_PACKAGE}: install it next to the gateway (npm install ${REPLICA_PACKAGE}), or run npx -p @icws/gateway -p ${REPLICA_PACKAGE} icws-gateway --dev`,
    );
  }
  const port = config.icNetworkUrl ? Number(new URL(config.icNetworkUrl).port || 4943) : 4943;
  return replica.startDevReplica({ port, stateDir: join(config.dataDir, 'replica') });
}
