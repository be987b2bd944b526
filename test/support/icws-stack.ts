/**
 * The whole stack for end-to-end client tests: the embedded replica running the ping-pong example,
 * a gateway in front of it, and an actor of the canister for `IcWebSocket` configs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Actor, HttpAgent, type ActorSubclass, type SignIdentity } from '@icp-sdk/core/agent';
import type { Principal } from '@icp-sdk/core/principal';
import { startReplica, type RunningReplica } from '@icws/replica';
import { createWsConfig, IcWebSocket, type IcWebSocketConfig, type IcWebSocketEventMap, type WsCanisterService } from '@icws/client-sdk';
import { startGateway, type RunningGateway } from '@icws/gateway';
import pingPong from '../../examples/ping-pong/canister';
import { idlFactory, type AppMessage } from '../../examples/ping-pong/idl';

/** The ping-pong canister's service, as its actor is typed. */
export type PingPongService = WsCanisterService<AppMessage>;

export interface Stack {
  replica: RunningReplica;
  gateway: RunningGateway;
  canisterId: Principal;
  actor: ActorSubclass<PingPongService>;
  /** A config for the ping-pong canister on this replica. */
  config(identity: SignIdentity, extra?: Partial<IcWebSocketConfig<PingPongService>>): IcWebSocketConfig<PingPongService>;
  /** A client of the ping-pong canister through `url` (the gateway by default). */
  client(identity: SignIdentity, extra?: Partial<IcWebSocketConfig<PingPongService>>, url?: URL | string): IcWebSocket<PingPongService>;
  close(): Promise<void>;
}

/** Starts a replica with the ping-pong canister (installed with `init`) and a gateway polling it. */
export async function startStack(options: { init?: unknown; pollingIntervalMs?: number; gateway?: boolean } = {}): Promise<Stack> {
  const replica = await startReplica({ port: 0, canisters: [{ name: 'ping_pong', module: pingPong, init: options.init }], log: () => undefined });
  const gateway =
    options.gateway === false
      ? (undefined as unknown as RunningGateway)
      : await startGateway({
          gatewayAddress: '127.0.0.1:0',
          icNetworkUrl: replica.url.origin,
          pollingIntervalMs: options.pollingIntervalMs,
          prometheusEndpoint: null,
          dataDir: mkdtempSync(join(tmpdir(), 'icws-client-gw-')),
          logLevel: 'silent',
        });
  const canisterId = replica.canisterIds.ping_pong!;
  const actor = Actor.createActor<PingPongService>(idlFactory, { agent: HttpAgent.createSync({ host: replica.url.origin }), canisterId });
  const config = (identity: SignIdentity, extra: Partial<IcWebSocketConfig<PingPongService>> = {}) =>
    createWsConfig({ canisterId, canisterActor: actor, identity, networkUrl: replica.url.origin, ...extra });
  return {
    replica,
    gateway,
    canisterId,
    actor,
    config,
    client: (identity, extra, url) => new IcWebSocket(url ?? gateway.url, undefined, config(identity, extra)),
    close: async () => {
      await gateway?.close();
      await replica.close();
    },
  };
}

/** @returns an app message with `text`, stamped now. */
export function appMessage(text: string): AppMessage {
  return { text, timestamp: BigInt(Date.now()) * 1_000_000n };
}

/** @returns a promise of the next event of `type` on `ws`. */
export function nextEvent<K extends keyof IcWebSocketEventMap<AppMessage>>(
  ws: IcWebSocket<PingPongService>,
  type: K,
  timeoutMs = 20_000,
): Promise<IcWebSocketEventMap<AppMessage>[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeoutMs} ms`)), timeoutMs);
    ws.addEventListener(
      type,
      (event) => {
        clearTimeout(timer);
        resolve(event);
      },
      { once: true },
    );
  });
}
