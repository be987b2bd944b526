import type { Principal } from '@icp-sdk/core/principal';
import { clientKeyText, messageKeyNonce, principalText, type CanisterOutputCertifiedMessages, type CanisterOutputMessage, type ClientKey } from '@icws/protocol';
import type { Logger } from 'pino';
import { BatchWitness } from './batch-witness';
import type { GatewayMetrics } from './metrics';

/** Where the router delivers a client's messages: its session. */
export interface Recipient {
  /** Sends a certified message on; called once per message, in queue order. */
  deliver(message: CanisterOutputMessage, cert: Uint8Array, tree: Uint8Array): void;
}

/** A client's place in the router, from `ws_open` until its session ends. */
export interface Route {
  /** Stops routing to the recipient; the canister's poller stops with its last route. */
  release(): void;
}

/** What a canister's poller reads from and hands its batches to. */
export interface BatchSink {
  /** The nonce to poll from: the one after the last message routed. */
  readonly nextNonce: bigint;
  /** Routes a certified batch, message by message. */
  accept(batch: CanisterOutputCertifiedMessages): void;
  /**
   * The next poll reads the queue from its start again, since the replica may have restarted with
   * a fresh queue; messages already delivered to a recipient are not delivered again.
   */
  rewind(): void;
}

/** What the router needs of a poller. */
export interface PollerHandle {
  start(): void;
  stop(): Promise<void>;
  pollSoon(): void;
}

export interface RouterOptions {
  /** Makes the poller of a canister, feeding `sink`; called when its first client binds. */
  readonly createPoller: (canisterId: Principal, sink: BatchSink) => PollerHandle;
  readonly metrics: GatewayMetrics;
  readonly log: Logger;
}


interface RouteEntry {
  readonly recipient: Recipient;
  /** Nonce of the last message delivered to the recipient. */
  lastNonce: bigint;
}

/**
 * One canister's routes and the one record of how far its queue has been delivered: the nonce to
 * read next, and per client the last nonce delivered.
 */
class CanisterRoutes implements BatchSink {
  readonly routes = new Map<string, RouteEntry>();
  #nextNonce = 0n;
  poller: PollerHandle | undefined;

  constructor(
    readonly canisterId: Principal,
    private readonly options: RouterOptions,
  ) {}

  get nextNonce(): bigint {
    return this.#nextNonce;
  }

  accept(batch: CanisterOutputCertifiedMessages): void {
    // A large batch's tree is cut down per message; decoded on the first message delivered.
    let witness: BatchWitness | undefined | null = null;
    for (const message of batch.messages) {
      const nonce = messageKeyNonce(message.key);
      if (nonce < this.#nextNonce) continue;
      if (nonce !== this.#nextNonce && this.#nextNonce !== 0n) {
        this.options.metrics.errors.inc({ kind: 'nonce_gap' });
        this.options.log.error({ canister: principalText(this.canisterId), expected: String(this.#nextNonce), got: String(nonce) }, 'non-consecutive message nonce; messages in between are lost');
      }
      this.#nextNonce = nonce + 1n;
      // Messages for clients connected elsewhere or gone are not ours to deliver.
      const route = this.routes.get(clientKeyText(message.client_key));
      if (route === undefined || nonce <= route.lastNonce) continue;
      route.lastNonce = nonce;
      if (witness === null) witness = BatchWitness.of(batch.tree);
      route.recipient.deliver(message, batch.cert, witness?.forKey(message.key) ?? batch.tree);
    }
  }

  rewind(): void {
    this.#nextNonce = 0n;
  }
}

/**
 * Which recipient each canister message goes to, and one poller per canister for as long as the
 * canister has clients on this gateway. Pollers hand their batches here; the router keeps the
 * delivery progress, so a poller re-reading a queue delivers nothing twice.
 */
export class Router {
  readonly #canisters = new Map<string, CanisterRoutes>();
  readonly #options: RouterOptions;

  constructor(options: RouterOptions) {
    this.#options = options;
  }

  /**
   * Routes the canister's messages for `clientKey` to `recipient`, starting the canister's poller
   * if it is the first.
   * @returns the route, or undefined when the client key already has one on this gateway
   */
  bind(recipient: Recipient, canisterId: Principal, clientKey: ClientKey): Route | undefined {
    const canister = principalText(canisterId);
    let entry = this.#canisters.get(canister);
    if (entry === undefined) {
      entry = new CanisterRoutes(canisterId, this.#options);
      this.#canisters.set(canister, entry);
      entry.poller = this.#options.createPoller(canisterId, entry);
      entry.poller.start();
    }
    const key = clientKeyText(clientKey);
    if (entry.routes.has(key)) return undefined;
    const route: RouteEntry = { recipient, lastNonce: -1n };
    entry.routes.set(key, route);
    const canisterEntry = entry;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        if (canisterEntry.routes.get(key) === route) canisterEntry.routes.delete(key);
        if (canisterEntry.routes.size === 0 && this.#canisters.get(canister) === canisterEntry) {
          this.#canisters.delete(canister);
          void canisterEntry.poller?.stop();
        }
      },
    };
  }

  /** Asks the canister's poller, if any, to poll as soon as it can. */
  pollSoon(canisterId: Principal): void {
    this.#canisters.get(principalText(canisterId))?.poller?.pollSoon();
  }

  /** Number of canisters being polled. */
  get canisterCount(): number {
    return this.#canisters.size;
  }

  /** Stops every poller and forgets every route. */
  async stopAll(): Promise<void> {
    const entries = [...this.#canisters.values()];
    this.#canisters.clear();
    await Promise.all(entries.map((entry) => entry.poller?.stop()));
  }
}
