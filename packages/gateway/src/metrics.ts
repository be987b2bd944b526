import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's Prometheus metrics, in a registry of its own. */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly clientsConnected: Gauge;
  readonly messagesRelayed: Counter<'direction'>;
  /** `messagesRelayed{direction="client_to_canister"}`, counted without hashing its labels (see {@link RelayCount}). */
  readonly relayedToCanister: RelayCount;
  /** `messagesRelayed{direction="canister_to_client"}`, counted without hashing its labels. */
  readonly relayedToClient: RelayCount;
  readonly pollLatency: Histogram;
  readonly errors: Counter<'kind'>;
  /** Sessions ended, by the `ICWS_ERR_…` code the gateway closed them with, or `client`. */
  readonly sessionsClosed: Counter<'code'>;
  /** Upgrades refused, by the limit they met: `total` or `per_ip`. */
  readonly connectionsRefused: Counter<'limit'>;
}

/**
 * One labelled series of a counter, counted on every relayed message: prom-client hashes the
 * labels of each `inc`, so the count is kept here as a number and added to the counter when the
 * counter is read (a scrape, or `get()`).
 */
export class RelayCount {
  #pending = 0;

  constructor(readonly direction: 'client_to_canister' | 'canister_to_client') {}

  inc(): void {
    this.#pending++;
  }

  /** Adds what was counted since the last read to `counter`. */
  flushTo(counter: Counter<'direction'>): void {
    if (this.#pending === 0) return;
    counter.inc({ direction: this.direction }, this.#pending);
    this.#pending = 0;
  }
}

/** @returns the gateway's metrics, registered in a new registry. */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'icws_gateway_' });
  const relayedToCanister = new RelayCount('client_to_canister');
  const relayedToClient = new RelayCount('canister_to_client');
  return {
    registry,
    clientsConnected: new Gauge({ name: 'icws_gateway_clients_connected', help: 'WebSocket clients connected', registers: [registry] }),
    messagesRelayed: new Counter({
      name: 'icws_gateway_messages_relayed_total',
      help: 'Messages relayed, by direction (client_to_canister, canister_to_client)',
      labelNames: ['direction'],
      registers: [registry],
      collect() {
        relayedToCanister.flushTo(this);
        relayedToClient.flushTo(this);
      },
    }),
    relayedToCanister,
    relayedToClient,
    pollLatency: new Histogram({
      name: 'icws_gateway_poll_latency_seconds',
      help: 'Duration of ws_get_messages polls',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    errors: new Counter({ name: 'icws_gateway_errors_total', help: 'Errors, by kind', labelNames: ['kind'], registers: [registry] }),
    sessionsClosed: new Counter({
      name: 'icws_gateway_sessions_closed_total',
      help: 'Sessions ended, by the ICWS_ERR code the gateway closed them with, or client when the client closed',
      labelNames: ['code'],
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: 'icws_gateway_connections_refused_total',
      help: 'WebSocket upgrades refused, by the limit they met (total, per_ip)',
      labelNames: ['limit'],
      registers: [registry],
    }),
  };
}
